package dev.loopkit.async.cpython;

import dev.loopkit.async.Task;
import dev.loopkit.async.Tasks;
import dev.loopkit.hostile.Released;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxTestContext;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
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

  /** {@code asyncio.sleep(ms); return value}. */
  static <T> Task<T> after(long ms, T value) {
    return s -> Tasks.sleep(s, ms).map(value);
  }

  /** {@code asyncio.sleep(ms); raise error}. */
  static <T> Task<T> crashAfter(long ms, RuntimeException error) {
    return s -> Tasks.sleep(s, ms).compose(v -> raise(error));
  }

  /** The first failure and the suppressed ones, by type: asyncio's {@code get_error_types(eg)}. */
  static List<Class<?>> errorTypes(Throwable first) {
    List<Class<?>> out = new ArrayList<>();
    out.add(first.getClass());
    Arrays.stream(first.getSuppressed()).forEach(t -> out.add(t.getClass()));
    return out;
  }

  /** asyncio's {@code KeyboardInterrupt} / {@code MyBaseExc}: a {@link Throwable} outside {@link Exception}. */
  static final class MyBaseExc extends Error {
    private static final long serialVersionUID = 1L;

    MyBaseExc(String message) {
      super(message);
    }
  }

}
