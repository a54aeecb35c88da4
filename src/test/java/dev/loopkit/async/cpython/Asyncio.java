package dev.loopkit.async.cpython;

import dev.loopkit.hostile.Released;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;

import java.util.function.Supplier;

/**
 * The harness of the CPython ports: a case is a future built on an event loop (asyncio's running loop);
 * an assertion that throws fails it. When it completes, every loopkit counter (scopes, timers, requests)
 * must be back to zero — asyncio's tests get that from {@code IsolatedAsyncioTestCase} closing the loop.
 */
final class Asyncio {

  private Asyncio() {
  }

  /** Runs {@code body} on an event loop, then waits for loopkit's counters to return to zero. */
  static void run(Vertx vertx, VertxTestContext tc, Supplier<Future<?>> body) {
    vertx.runOnContext(v -> {
      Future<?> f;
      try {
        f = body.get();
      } catch (Throwable t) {
        tc.failNow(t);
        return;
      }
      f.compose(x -> Released.counters(vertx, 5_000)).onComplete(tc.succeedingThenComplete());
    });
  }

  /** @return a future completing with {@code f}'s outcome as a value (asyncio's {@code try: await f}). */
  static <T> Future<AsyncResult<T>> settle(Future<T> f) {
    return f.transform(Future::succeededFuture);
  }

  /** @return the failure of {@code ar}, asserting it failed */
  static Throwable failure(AsyncResult<?> ar) {
    if (ar.succeeded()) {
      throw new AssertionError("expected a failure, got the result " + ar.result());
    }
    return ar.cause();
  }

  /** A future that never completes unless completed by hand (asyncio's {@code loop.create_future()}). */
  static <T> Promise<T> future() {
    return Promise.promise();
  }

  /** A failed future (asyncio's {@code raise}). */
  static <T> Future<T> raise(Throwable t) {
    return Future.failedFuture(t);
  }

  /** asyncio's {@code ZeroDivisionError}. */
  static ArithmeticException zeroDivision() {
    return new ArithmeticException("division by zero");
  }

  /** asyncio's {@code MyExc}. */
  static final class MyExc extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MyExc(String message) {
      super(message);
    }
  }
}
