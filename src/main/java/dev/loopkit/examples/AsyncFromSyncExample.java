package dev.loopkit.examples;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/**
 * Section (h), gotcha "calling async from sync". asyncio forbids {@code asyncio.run()} inside a running
 * loop and offers {@code run_coroutine_threadsafe} from other threads. Vert.x's equivalents:
 * <ul>
 *   <li>from a plain thread (main, a test, a legacy library's thread) {@link Future#await()} blocks that
 *   thread until the result is there — fine, it is not an event loop;</li>
 *   <li>on an event loop, {@link Future#await()} throws {@link IllegalStateException} instead of
 *   deadlocking the loop: compose instead;</li>
 *   <li>on Java 21+, a verticle deployed with the {@code VIRTUAL_THREAD} threading model may call
 *   {@code await()} freely: it suspends the virtual thread, not the loop — straight-line code like
 *   {@code async def} ({@link AwaitStyleVerticle}).</li>
 * </ul>
 */
public final class AsyncFromSyncExample {

  private AsyncFromSyncExample() {
  }

  /** From a thread that is not Vert.x's: blocks until the fetch completes. */
  public static String fromPlainThread(Vertx vertx, long delayMs) {
    return FetchDataExample.fetchData(vertx, delayMs).await();
  }

  /** On an event loop, {@code await()} refuses; completes with the exception it threw. */
  public static Future<Throwable> awaitOnEventLoop(Context loop) {
    Promise<Throwable> result = Promise.promise();
    loop.runOnContext(v -> {
      try {
        FetchDataExample.fetchData(loop.owner(), 1).await();
        result.fail("await() on an event loop did not throw");
      } catch (IllegalStateException expected) {
        result.complete(expected);
      }
    });
    return result.future();
  }
}
