package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.bus.Replies;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.ThreadingModel;
import io.vertx.core.internal.ContextBuilder;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Cooperative cancellation across the event bus (and across cluster nodes): a scope {@link #watch watched}
 * under a request id is cancelled when a cancel notice {@code {"requestId": id, "reason": ...}} is
 * published on {@link Addresses#CANCEL} — what {@link dev.loopkit.bus.BusRequest} publishes when its
 * caller gives up, and what the {@link TimeoutVerticle} publishes when it abandons an attempt (deadline,
 * hedge lost, caller gone). {@link #publish} sends one.
 *
 * <p>The contract:
 * <ul>
 *   <li>One consumer per Vert.x instance listens on {@link Addresses#CANCEL} while anything needs it. A
 *   verticle that serves requests holds a {@link #listen(Vertx) listener} from start to stop, so the
 *   consumer is not registered and unregistered per request (which, clustered, is a cluster-wide
 *   operation). Ad-hoc watches also keep it up while they last.</li>
 *   <li>The consumer lives on a context of its own, not on the deployment that first asked for it, so
 *   undeploying that verticle does not silently take it away from the others.</li>
 *   <li>A watched scope is cancelled <em>on the context that watched it</em> (the consumer hops), so the
 *   cancellation callbacks of a verticle's operations run on that verticle's event loop.</li>
 *   <li>A watch ends by itself when its scope is closed, so nothing outlives the request it was for.</li>
 *   <li>Clustered, the consumer's registration reaches the other nodes asynchronously:
 *   {@link #ready(Vertx)} completes when it has.</li>
 * </ul>
 * A notice cancels exactly the scopes watched under its {@code requestId} (string equality: no prefix,
 * pattern or derived-id matching); a notice whose {@code requestId} is not a string, or whose body is not a
 * JSON object, cancels nothing. A notice <em>requested</em> instead of published is answered 400 and
 * cancels nothing (a request reaches one node only). The notice's {@code reason} is cut and escaped ({@link LogValues}) before
 * it becomes the cancellation's message. Ids loopkit generates are unguessable ({@link
 * dev.loopkit.bus.RequestIds}), so a notice can only stop work whose id its sender was given.
 *
 * <p>{@link LiveResources} counts the consumer under {@value #CONSUMERS} and live watches under
 * {@value #WATCHES}.
 */
public final class CancelNotices {

  /** {@link LiveResources} counter of registered cancel-notice consumers (0 or 1 per Vert.x instance). */
  public static final String CONSUMERS = "cancelNotices.consumers";
  /** {@link LiveResources} counter of scopes currently watched. */
  public static final String WATCHES = "cancelNotices.watches";

  private static final Map<Vertx, CancelNotices> BY_VERTX = new WeakHashMap<>();

  private final Map<String, Set<Watch>> watched = new ConcurrentHashMap<>();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();
  private final LiveResources live;
  private MessageConsumer<Object> consumer;
  private Future<Void> ready = Future.succeededFuture();
  private int holders;
  private int listeners;
  private int watches;

  private CancelNotices(Vertx vertx) {
    this.live = LiveResources.of(vertx);
  }

  private static CancelNotices of(Vertx vertx) {
    synchronized (BY_VERTX) {
      CancelNotices n = BY_VERTX.get(vertx);
      if (n == null) {
        n = new CancelNotices(vertx);
        BY_VERTX.put(vertx, n);
        if (vertx instanceof VertxInternal) {
          ((VertxInternal) vertx).addCloseHook(completion -> {
            synchronized (BY_VERTX) {
              BY_VERTX.remove(vertx);
            }
            completion.succeed();
          });
        }
      }
      return n;
    }
  }

  /**
   * Keeps the cancel-notice consumer registered until the returned registration is removed (call it in a
   * verticle's start, remove it in stop). Idempotent removal.
   */
  public static Registration listen(Vertx vertx) {
    CancelNotices notices = of(vertx);
    synchronized (notices) {
      notices.listeners++;
    }
    notices.hold(vertx);
    boolean[] removed = {false};
    return () -> {
      synchronized (notices) {
        if (removed[0]) {
          return;
        }
        removed[0] = true;
        notices.listeners--;
      }
      notices.release();
    };
  }

  /**
   * @return completes when the consumer's registration is effective everywhere (at once unless
   * clustered); succeeded when nothing listens
   */
  public static Future<Void> ready(Vertx vertx) {
    CancelNotices n = of(vertx);
    synchronized (n) {
      return n.ready;
    }
  }

  /** @return whether a {@link #listen(Vertx) listener} is held on {@code vertx} */
  public static boolean isListening(Vertx vertx) {
    CancelNotices n = of(vertx);
    synchronized (n) {
      return n.listeners > 0;
    }
  }

  /**
   * Cancels {@code scope} when a notice for {@code requestId} arrives, until the scope is closed. The
   * scope is cancelled on the context current now (when there is one).
   *
   * @return a registration that stops watching (also done when the scope closes)
   */
  public static Registration watch(Vertx vertx, String requestId, CancelScope scope) {
    return of(vertx).add(vertx, requestId, scope);
  }

  /** @return how many scopes are watched on {@code vertx} */
  public static int watching(Vertx vertx) {
    CancelNotices n = of(vertx);
    synchronized (n) {
      return n.watches;
    }
  }

  /** @return cancel notices received on {@code vertx} since it started (any request id) */
  public static long received(Vertx vertx) {
    return of(vertx).received.get();
  }

  /** @return scopes cancelled by a notice on {@code vertx} since it started */
  public static long cancelledByNotice(Vertx vertx) {
    return of(vertx).cancelled.get();
  }

  /**
   * Publishes a cancel notice for {@code requestId} on {@link Addresses#CANCEL}, to every node: whoever
   * works on that request id stops.
   */
  public static void publish(Vertx vertx, String requestId, String reason) {
    vertx.eventBus().publish(Addresses.CANCEL, new JsonObject().put("requestId", requestId).put("reason", reason));
  }

  private void hold(Vertx vertx) {
    synchronized (this) {
      if (holders++ > 0) {
        return;
      }
      // A context of its own: a consumer registered on a verticle's context would be unregistered when that
      // verticle is undeployed, behind the back of every other holder. On the first holder's event loop when
      // it runs on one: the notices that holder publishes are then delivered without waking another thread.
      VertxInternal vi = (VertxInternal) vertx;
      ContextInternal current = vi.getContext();
      ContextBuilder builder = vi.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP);
      if (current != null && current.threadingModel() == ThreadingModel.EVENT_LOOP) {
        builder.withEventLoop(current.nettyEventLoop());
      }
      ContextInternal own = builder.build();
      AtomicReference<MessageConsumer<Object>> created = new AtomicReference<>();
      own.dispatch(v -> created.set(vertx.eventBus().consumer(Addresses.CANCEL, this::onMessage)));
      consumer = created.get();
      ready = consumer.completion();
      live.increment(CONSUMERS);
    }
  }

  private void release() {
    MessageConsumer<Object> toClose;
    synchronized (this) {
      if (--holders > 0) {
        return;
      }
      toClose = consumer;
      consumer = null;
      ready = Future.succeededFuture();
    }
    if (toClose != null) {
      live.decrement(CONSUMERS);
      toClose.unregister();
    }
  }

  private void onMessage(Message<Object> msg) {
    if (msg.replyAddress() != null) {
      // a request reaches one consumer only: refused, so that the sender learns to publish
      Replies.fail(msg, FailureCode.BAD_REQUEST, "'" + Addresses.CANCEL + "' takes published notices "
        + "{\"requestId\", \"reason\"} (eventBus().publish), not requests; nothing was cancelled");
      return;
    }
    onNotice(msg.body());
  }

  private void onNotice(Object body) {
    received.incrementAndGet();
    if (!(body instanceof JsonObject)) {
      return;
    }
    JsonObject json = (JsonObject) body;
    Object id = json.getValue("requestId");
    Set<Watch> scopes = id instanceof String ? watched.get(id) : null;
    if (scopes == null) {
      return;
    }
    Object why = json.getValue("reason");
    // the reason is the publisher's text: cut and escaped before it reaches a scope, a reply or a log line
    String reason = "cancel notice: " + (why instanceof String ? LogValues.safe((String) why, LogValues.MAX_CHARS) : "caller gave up");
    for (Watch w : scopes.toArray(new Watch[0])) {
      if (w.context == null || Vertx.currentContext() == w.context) {
        cancel(w.scope, reason);
      } else {
        w.context.runOnContext(v -> cancel(w.scope, reason));
      }
    }
  }

  private void cancel(CancelScope scope, String reason) {
    if (scope.isCancelled() || scope.isClosed()) {
      return;
    }
    // counted first: the scope's callbacks run inside cancel(), and may look at the count
    cancelled.incrementAndGet();
    scope.cancel(reason);
  }

  private Registration add(Vertx vertx, String requestId, CancelScope scope) {
    synchronized (this) {
      watches++;
    }
    live.increment(WATCHES);
    hold(vertx);
    Watch w = new Watch(scope, Vertx.currentContext());
    watched.computeIfAbsent(requestId, k -> ConcurrentHashMap.newKeySet()).add(w);
    boolean[] removed = {false};
    Registration registration = () -> {
      synchronized (this) {
        if (removed[0]) {
          return;
        }
        removed[0] = true;
        watches--;
      }
      live.decrement(WATCHES);
      watched.computeIfPresent(requestId, (k, set) -> {
        set.remove(w);
        return set.isEmpty() ? null : set;
      });
      release();
    };
    scope.onClose(registration::remove);
    return registration;
  }

  private static final class Watch {
    final CancelScope scope;
    final Context context;

    Watch(CancelScope scope, Context context) {
      this.scope = scope;
      this.context = context;
    }
  }
}
