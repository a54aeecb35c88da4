package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.List;

/**
 * Section (b): run fetches side by side with {@code gather}.
 *
 * <pre>
 * results = await asyncio.gather(fetch_data(1), fetch_data(1), fetch_data(1))   # ~1 s, not 3 s
 * </pre>
 *
 * {@link Tasks#gather(List)} takes futures that are already running and completes with their results in
 * input order. Sequential composition ({@code compose}) of the same three takes the sum.
 */
public final class GatherExample {

  private GatherExample() {
  }

  /** Three concurrent fetches: completes after about {@code delayMs}. */
  public static Future<List<String>> gather(Vertx vertx, long delayMs) {
    return Tasks.gather(List.of(
      FetchDataExample.fetchData(vertx, delayMs),
      FetchDataExample.fetchData(vertx, delayMs),
      FetchDataExample.fetchData(vertx, delayMs)));
  }

  /** The same three fetches one after the other: about {@code 3 × delayMs}. */
  public static Future<List<String>> sequential(Vertx vertx, long delayMs) {
    return FetchDataExample.fetchData(vertx, delayMs)
      .compose(a -> FetchDataExample.fetchData(vertx, delayMs)
        .compose(b -> FetchDataExample.fetchData(vertx, delayMs)
          .map(c -> List.of(a, b, c))));
  }
}
