package dev.loopkit.async;

import dev.loopkit.async.impl.WebClientCancel;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Makes your own Vert.x calls honour a {@link CancelScope} — the way asyncio's {@code await} makes any
 * awaitable cancellable. One generic form for any {@code Future}-returning call, and ready adapters for
 * the Vert.x clients:
 * <ul>
 *   <li>{@link #run(CancelScope, Supplier, Runnable)}: any call plus the action that aborts it.</li>
 *   <li>{@link #run(CancelScope, Supplier, Function, Consumer)}: a call that first yields a handle (a
 *   request, a file, a connection), then uses it; cancelling aborts the handle, even one that arrives
 *   after the cancellation.</li>
 *   <li>{@link #http}: an {@link HttpClient} request, reset on cancel — the connection is closed, the server
 *   sees it at once.</li>
 *   <li>{@link #web}: a {@link WebClient} request (the Web Client has no cancel of its own), reset on cancel
 *   the same way.</li>
 *   <li>{@link #timer}: a timer, cancelled on cancel ({@link Tasks#sleep}).</li>
 *   <li>An event-bus request: {@link dev.loopkit.bus.BusRequest#request} (reply consumer and timer released,
 *   a cancel notice published to the callee).</li>
 * </ul>
 *
 * <p>The contract, the same for all of them:
 * <ul>
 *   <li>In a scope that is already cancelled nothing starts: the result fails at once with the scope's
 *   {@link CancelScope#reason() reason}.</li>
 *   <li>When the scope is cancelled before the call completes, the abort runs once (a throwing abort is
 *   logged and skipped), then the result fails with the scope's reason — a {@link CancelledException},
 *   or a {@link DeadlineExceededException} when its deadline passed — <b>never with what the call then
 *   fails with</b> (a reset request's {@code StreamResetException}, a cancelled timer's
 *   {@code CancellationException}). The result does not wait for the aborted call to settle.</li>
 *   <li>When the call completes first, its outcome passes through and the abort is never run; a failure
 *   that arrives while the scope is being cancelled (callbacks run innermost-first) is reported as the
 *   scope's reason too.</li>
 *   <li>Threading: the abort runs, and the result fails, on the context the call was started on (one hop
 *   when the scope is cancelled from another thread); without a context, on the cancelling thread.</li>
 * </ul>
 */
public final class Cancellable {

  private static final Logger LOG = LoggerFactory.getLogger(Cancellable.class);

  private Cancellable() {
  }

  /**
   * Starts {@code call} under {@code scope}; when the scope is cancelled first, runs {@code abort} and
   * fails with the scope's reason. See the class comment.
   *
   * @param call starts the work; a synchronous throw becomes the failure
   * @param abort releases what the call holds (cancel a timer, reset a request, close a file)
   */
  public static <T> Future<T> run(CancelScope scope, Supplier<Future<T>> call, Runnable abort) {
    // the "handle" is the abort itself, held from the start: the call is aborted whenever it is pending
    return run(scope, () -> Future.succeededFuture(abort), started -> call.get(), Runnable::run);
  }

  /**
   * Acquires a handle with {@code acquire}, then runs {@code use} with it, under {@code scope}. When the scope
   * is cancelled before {@code use}'s future completes, {@code abort} gets the handle — at once when it is
   * held, or as soon as the acquisition completes when it is still pending ({@code use} is then never
   * called) — and the result fails with the scope's reason. See the class comment.
   */
  public static <R, T> Future<T> run(CancelScope scope, Supplier<Future<R>> acquire,
                                     Function<? super R, Future<T>> use, Consumer<? super R> abort) {
    CancelledException already = scope.reason();
    if (already != null) {
      return Future.failedFuture(already);
    }
    Context context = Vertx.currentContext();
    Promise<T> promise = Promise.promise();
    // guarded by itself: the handle, whether the scope was cancelled, whether the call settled
    Object[] state = new Object[3];
    Future<R> acquiring = start(acquire);
    Registration registration = scope.onCancel(reason -> onContext(context, () -> {
      R held;
      synchronized (state) {
        if (state[1] != null || state[2] != null) {
          return;
        }
        state[1] = reason;
        @SuppressWarnings("unchecked") R h = (R) state[0];
        held = h;
      }
      if (held != null) {
        abort(abort, held);
      }
      promise.tryFail(reason);
    }));
    acquiring.onComplete(acquired -> {
      if (acquired.failed()) {
        settle(state, registration);
        fail(promise, scope, acquired.cause());
        return;
      }
      R held = acquired.result();
      boolean cancelled;
      synchronized (state) {
        cancelled = state[1] != null;
        if (!cancelled) {
          state[0] = held;
        }
      }
      if (cancelled) {
        abort(abort, held); // cancelled while it was being acquired: release it, never use it
        return;
      }
      start(() -> use.apply(held)).onComplete(ar -> {
        settle(state, registration);
        if (ar.succeeded()) {
          promise.tryComplete(ar.result());
        } else {
          fail(promise, scope, ar.cause());
        }
      });
    });
    return promise.future();
  }

  private static void settle(Object[] state, Registration registration) {
    synchronized (state) {
      state[2] = Boolean.TRUE;
    }
    registration.remove();
  }

  /**
   * An {@link HttpClient} request under {@code scope}: obtains the request (a connection from the pool),
   * then runs {@code exchange} with it — typically {@code req -> req.send().compose(HttpClientResponse::body)}.
   * When the scope is cancelled first, the request is reset (its connection closed: the server sees the
   * close at once, nothing is drained), or, while the connection is still being obtained, that connection
   * is closed when it arrives, before anything is sent. {@link LiveResources#HTTP_REQUESTS} counts the
   * request until it has settled.
   *
   * @param exchange sends the request and reads what it needs of the response; it should complete once
   *   the response is consumed, so that a cancellation while reading the body still resets the request
   */
  public static <T> Future<T> http(CancelScope scope, HttpClient client, RequestOptions options,
                                   Function<HttpClientRequest, Future<T>> exchange) {
    LiveResources live = LiveResources.of(scope.vertx());
    AtomicBoolean sent = new AtomicBoolean();
    AtomicBoolean counted = new AtomicBoolean();
    Runnable uncount = () -> {
      if (counted.compareAndSet(true, false)) {
        live.decrement(LiveResources.HTTP_REQUESTS);
      }
    };
    counted.set(true);
    live.increment(LiveResources.HTTP_REQUESTS);
    Future<T> result = run(scope,
      () -> client.request(options).onFailure(err -> uncount.run()),
      req -> {
        sent.set(true);
        Future<T> exchanged;
        try {
          exchanged = exchange.apply(req);
        } catch (Throwable t) {
          exchanged = Future.failedFuture(t);
        }
        if (exchanged == null) {
          exchanged = Future.failedFuture(new NullPointerException("the exchange returned a null future"));
        }
        if (exchanged.failed()) {
          req.connection().close(); // the exchange failed at once: the request must not keep its connection
        }
        return exchanged.onComplete(ar -> uncount.run());
      },
      req -> {
        if (sent.get()) {
          req.reset(); // on the wire: closes its connection, the exchange then fails (its failure is dropped)
        } else {
          // Never sent: close the connection rather than reset an unsent request (on 5.0.7 that can leave a
          // half-closed connection behind).
          req.connection().close();
          uncount.run();
        }
      });
    if (result.failed() && !sent.get()) {
      uncount.run(); // nothing started (the scope was already cancelled)
    }
    return result;
  }

  /**
   * A {@link WebClient} request under {@code scope}: {@code request.send()}. The Web Client has no cancel
   * of its own; this adapter gives it one, the same as {@link #http}'s: when the scope is cancelled first,
   * the underlying request is reset (its connection closed) — also while the body is being read, and
   * before anything is sent when the connection is still being obtained.
   *
   * @param client the client {@code request} was created from (the adapter watches its requests)
   */
  public static <T> Future<HttpResponse<T>> web(CancelScope scope, WebClient client, HttpRequest<T> request) {
    return web(scope, client, request, HttpRequest::send);
  }

  /**
   * {@link #web(CancelScope, WebClient, HttpRequest)} with another way of sending, such as
   * {@code r -> r.sendJsonObject(body)}.
   *
   * <p>Relies on the Web Client's interceptor hook ({@code WebClientInternal.addInterceptor}, in its impl
   * package, the one non-public API used here): it works with clients from {@code WebClient.create} and
   * {@code WebClient.wrap}, on the class path. Other {@code WebClient} implementations are refused with
   * {@link IllegalArgumentException}.
   */
  public static <T> Future<HttpResponse<T>> web(CancelScope scope, WebClient client, HttpRequest<T> request,
                                                Function<HttpRequest<T>, Future<HttpResponse<T>>> send) {
    WebClientCancel.Watch<T> watch = WebClientCancel.watch(client, request, LiveResources.of(scope.vertx()));
    Future<HttpResponse<T>> result = run(scope, () -> {
      watch.arm();
      return send.apply(request).onComplete(ar -> watch.settled());
    }, watch::cancel);
    if (result.failed() && !watch.armed()) {
      watch.settled();
    }
    return result;
  }

  /** A timer of {@code delayMs} under {@code scope}, cancelled with it: {@link Tasks#sleep(CancelScope, long)}. */
  public static Future<Void> timer(CancelScope scope, long delayMs) {
    return Tasks.sleep(scope, delayMs);
  }

  private static <R> Future<R> start(Supplier<Future<R>> call) {
    try {
      Future<R> f = call.get();
      return f != null ? f : Future.failedFuture(new NullPointerException("the call returned a null future"));
    } catch (Throwable t) {
      return Future.failedFuture(t);
    }
  }

  private static <T> void fail(Promise<T> promise, CancelScope scope, Throwable cause) {
    CancelledException cancelled = scope.reason();
    promise.tryFail(cancelled != null ? cancelled : cause);
  }

  private static <R> void abort(Consumer<? super R> abort, R handle) {
    try {
      abort.accept(handle);
    } catch (Throwable t) {
      LOG.warn("an abort action threw {} — skipped; abort actions must only release resources", t.toString(), t);
    }
  }

  private static void onContext(Context context, Runnable action) {
    if (context == null || Vertx.currentContext() == context) {
      action.run();
    } else {
      context.runOnContext(v -> action.run());
    }
  }
}
