package dev.loopkit.bus;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.lang.ref.WeakReference;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * An event-bus request that honours a {@link CancelScope} — which {@code EventBus.request} plus
 * {@code Future.timeout} does not (the reply consumer and its timer stay registered until the send
 * timeout, 30 s by default).
 *
 * <ul>
 *   <li>The send timeout is the smaller of the options' and the scope's remaining time (plus a 5 ms
 *   backstop, so that the scope's deadline fires first and releases the request like a cancellation),
 *   so the bus itself never waits past the deadline.</li>
 *   <li>The message carries {@link Headers#TIMEOUT_MS} (the remaining budget, when the scope has a
 *   deadline) and {@link Headers#REQUEST_ID} (kept when the options already set one).</li>
 *   <li>When the scope is cancelled before the reply, the reply consumer and its timer are released
 *   immediately (a {@link FailureCode#CANCELLED} failure is delivered to the request's own reply
 *   address), a cancel notice {@code {"requestId": ...}} is published on {@link Addresses#CANCEL} so that
 *   the consumer doing the work can stop, and the request fails with the scope's
 *   {@link CancelledException} as soon as the release has happened (one event-loop hop): when the
 *   caller sees the failure, nothing is left registered. A reply racing the cancellation is dropped.</li>
 *   <li>A scope whose deadline has already passed sends nothing; the request fails when the scope
 *   expires (on the next loop turn).</li>
 * </ul>
 *
 * Only public Vert.x API is used: the request's reply address is read by an outbound interceptor,
 * installed once per event bus, while {@link #request} is on the stack.
 */
public final class BusRequest {

  /** How long after the scope's deadline the event bus's own reply timeout fires, as a backstop. */
  static final long BACKSTOP_MS = 5;

  private static final ThreadLocal<String[]> CAPTURE = new ThreadLocal<>();
  private static final Map<EventBus, Boolean> INSTALLED = Collections.synchronizedMap(new WeakHashMap<>());
  /** The event bus whose interceptor was last checked as installed (weakly, like {@link #INSTALLED}). */
  private static volatile WeakReference<EventBus> lastInstalled = new WeakReference<>(null);

  private BusRequest() {
  }

  /** {@link #request(CancelScope, String, Object, DeliveryOptions)} with default delivery options. */
  public static <T> Future<Message<T>> request(CancelScope scope, String address, Object body) {
    return request(scope, address, body, new DeliveryOptions());
  }

  /**
   * Sends {@code body} to {@code address} and returns the reply; see the class comment.
   *
   * @param options copied, never modified
   */
  public static <T> Future<Message<T>> request(CancelScope scope, String address, Object body, DeliveryOptions options) {
    CancelledException cancelled = scope.reason();
    if (cancelled != null) {
      return Future.failedFuture(cancelled);
    }
    Vertx vertx = scope.vertx();
    Promise<Message<T>> promise = Promise.promise();
    if (!scope.deadline().isNone() && scope.deadline().expired()) {
      // Nothing is sent past the deadline; the scope fires on the next loop turn and fails us.
      Registration waiting = scope.onCancel(promise::tryFail);
      return promise.future().onComplete(ar -> waiting.remove());
    }
    DeliveryOptions delivery = new DeliveryOptions(options);
    long remaining = scope.remainingMs();
    if (remaining != Long.MAX_VALUE) {
      // The scope's own deadline fires first (the bus timeout is a backstop a few ms later), so that a
      // request that runs out of budget is released the same way as a cancelled one: callee notified.
      delivery.setSendTimeout(Math.max(1, Math.min(options.getSendTimeout(), remaining + BACKSTOP_MS)));
      delivery.addHeader(Headers.TIMEOUT_MS, Long.toString(remaining));
    }
    String requestId = delivery.getHeaders() != null ? delivery.getHeaders().get(Headers.REQUEST_ID) : null;
    if (requestId == null) {
      requestId = RequestIds.next();
      delivery.addHeader(Headers.REQUEST_ID, requestId);
    }
    Pending<T> pending = new Pending<>(vertx, scope, address, body, delivery, requestId);
    Registration registration = scope.onCancel(pending::release);
    Future<Message<T>> reply = pending.reply();
    if (reply.isComplete()) {
      registration.remove();
    } else {
      reply.onComplete(ar -> registration.remove());
    }
    return reply;
  }

  /**
   * Starts a request without a scope, for callers that keep their own deadline (the timeout verticle's
   * attempts): {@code delivery} is used as it is (not copied; do not reuse it) and must carry
   * {@link Headers#REQUEST_ID}; its send timeout is the bus's reply timeout. The reply is
   * {@link Pending#reply()}; {@link Pending#release} gives the request up as a cancelled scope would (cancel
   * notice, reply consumer and timer released, then the reply fails with the given reason).
   */
  public static <T> Pending<T> start(Vertx vertx, String address, Object body, DeliveryOptions delivery) {
    String requestId = delivery.getHeaders() == null ? null : delivery.getHeaders().get(Headers.REQUEST_ID);
    if (requestId == null) {
      throw new IllegalArgumentException("BusRequest.start needs a " + Headers.REQUEST_ID + " header");
    }
    return new Pending<>(vertx, null, address, body, delivery, requestId);
  }

  /** A request in flight: its reply, and a way to give it up. Thread-safe. */
  public static final class Pending<T> {
    private final Promise<Message<T>> promise = Promise.promise();
    private final EventBus bus;
    private final String id;
    private final String replyAddress;
    private CancelledException cancelledWith;

    Pending(Vertx vertx, CancelScope scope, String address, Object body, DeliveryOptions delivery, String id) {
      this.id = id;
      this.bus = vertx.eventBus();
      installInterceptor(bus);
      LiveResources live = LiveResources.of(vertx);
      String[] slot = new String[1];
      long sentAt = System.nanoTime();
      Future<Message<T>> sent;
      CAPTURE.set(slot);
      try {
        sent = bus.request(address, body, delivery);
      } finally {
        CAPTURE.remove();
      }
      live.increment(LiveResources.BUS_REQUESTS);
      this.replyAddress = slot[0];
      sent.onComplete(ar -> {
        live.decrement(LiveResources.BUS_REQUESTS);
        CancelledException cancelledBy;
        synchronized (this) {
          cancelledBy = cancelledWith;
        }
        if (cancelledBy != null) {
          promise.tryFail(cancelledBy);
        } else if (ar.succeeded()) {
          promise.tryComplete(ar.result());
        } else {
          promise.tryFail(timedOut(ar.cause(), scope, address, sentAt, delivery.getSendTimeout()));
        }
      });
    }

    /** @return the reply; fails with the reason given to {@link #release} when released first */
    public Future<Message<T>> reply() {
      return promise.future();
    }

    /** {@link #release(CancelledException)} with a {@link CancelledException} of {@code reason}. */
    public void release(String reason) {
      release(new CancelledException(reason));
    }

    /**
     * Gives the request up, once, unless its reply came first: publishes a cancel notice for its request
     * id, releases the reply consumer and its timer now; {@link #reply()} then fails with {@code reason}
     * (one event-loop hop: when the failure is seen, nothing is left registered). A reply racing the
     * release is dropped.
     */
    public void release(CancelledException reason) {
      synchronized (this) {
        if (promise.future().isComplete() || cancelledWith != null) {
          return;
        }
        cancelledWith = reason;
      }
      bus.publish(Addresses.CANCEL, new JsonObject().put("requestId", id).put("reason", reason.getMessage()));
      if (replyAddress != null) {
        // Release the reply consumer and its timer now; the request fails when that has happened.
        bus.send(replyAddress, FailureCode.CANCELLED.exception("request cancelled: " + reason.getMessage()),
          new DeliveryOptions().setLocalOnly(true));
      } else {
        promise.tryFail(reason);
      }
    }
  }

  /**
   * The bus's own reply timeout, seen as what it means to the caller: its deadline passed (the scope's
   * {@link DeadlineExceededException}) or nobody answered within the send timeout (a
   * {@link DeadlineExceededException} naming the address) — loopkit's one timeout type. An immediate
   * TIMEOUT (a paused consumer's full buffer discarding the request) is not a deadline and passes as is.
   */
  private static Throwable timedOut(Throwable cause, CancelScope scope, String address, long sentAt, long sendTimeoutMs) {
    if (!(cause instanceof ReplyException) || ((ReplyException) cause).failureType() != ReplyFailure.TIMEOUT) {
      return cause;
    }
    if (scope != null && !scope.deadline().isNone() && scope.deadline().expired()) {
      CancelledException reason = scope.reason();
      return reason instanceof DeadlineExceededException ? reason
        : new DeadlineExceededException("deadline exceeded waiting for a reply from '" + address + "'", cause);
    }
    long waitedMs = (System.nanoTime() - sentAt) / 1_000_000;
    if (waitedMs >= sendTimeoutMs) {
      return new DeadlineExceededException("no reply from '" + address + "' within " + sendTimeoutMs + " ms", cause);
    }
    return cause;
  }

  private static void installInterceptor(EventBus bus) {
    if (lastInstalled.get() == bus) {
      return; // the usual case (one Vert.x per JVM): no lock on the request path
    }
    if (INSTALLED.putIfAbsent(bus, Boolean.TRUE) == null) {
      bus.addOutboundInterceptor(BusRequest::captureReplyAddress);
    }
    lastInstalled = new WeakReference<>(bus);
  }

  private static void captureReplyAddress(DeliveryContext<Object> dc) {
    String[] slot = CAPTURE.get();
    if (slot != null && slot[0] == null) {
      slot[0] = dc.message().replyAddress();
    }
    dc.next();
  }
}
