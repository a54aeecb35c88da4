package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Section (a): an async function, run from {@code main}.
 *
 * <pre>
 * async def fetch_data(delay):          # asyncio
 *     await asyncio.sleep(delay)
 *     return f"Data after {delay} seconds"
 * asyncio.run(fetch_data(1))
 * </pre>
 *
 * In Vert.x an async function returns a {@link Future}; {@code asyncio.run} is "create the loop, wait for
 * the result, close the loop": {@link Vertx#vertx()}, {@link Future#await()} from the main thread (which is
 * not an event loop, so it may block), {@link Vertx#close()}.
 */
public final class FetchDataExample {

  private FetchDataExample() {
  }

  /** The tutorial's {@code fetch_data}: a timer, never a blocked thread. */
  public static Future<String> fetchData(Vertx vertx, long delayMs) {
    return Tasks.sleep(vertx, delayMs).map(v -> "Data after " + delayMs + " ms");
  }

  /** {@code asyncio.run(fetch_data(delay))}: a fresh Vert.x, the result awaited, Vert.x closed. */
  public static String run(long delayMs) {
    Vertx vertx = Vertx.vertx();
    try {
      return fetchData(vertx, delayMs).await();
    } finally {
      vertx.close().await();
    }
  }

  public static void main(String[] args) {
    System.out.println(run(args.length > 0 ? Long.parseLong(args[0]) : 1000));
  }
}
