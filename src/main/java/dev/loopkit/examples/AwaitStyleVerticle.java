package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import dev.loopkit.blocking.AllowBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * {@code async def} in Java: deployed with {@code ThreadingModel.VIRTUAL_THREAD} (Java 21+), this
 * verticle's code runs on virtual threads and calls {@link Future#await()} in straight lines — no
 * callbacks, no compose — while the event loop stays free. Each message gets its own virtual thread, so
 * concurrent requests wait side by side: two requests take as long as one.
 *
 * <pre>
 * async def handle(n):                          # asyncio
 *     first = await fetch_data(n)
 *     rest = await asyncio.gather(fetch_data(n), fetch_data(n))
 *     return [first, *rest]
 * </pre>
 *
 * Request {@value #ADDRESS} with a delay in ms; the reply is {@code {"results": [...], "thread": ...}}.
 */
@AllowBlocking("deployed with ThreadingModel.VIRTUAL_THREAD: await() suspends a virtual thread, never an event loop")
public class AwaitStyleVerticle extends VerticleBase {

  /** The address served. */
  public static final String ADDRESS = "loopkit.examples.await";

  @Override
  public Future<?> start() {
    vertx.eventBus().<Long>consumer(ADDRESS, msg -> {
      long delay = msg.body();
      String first = FetchDataExample.fetchData(vertx, delay).await();
      List<String> rest = Tasks.gather(List.of(
        FetchDataExample.fetchData(vertx, delay),
        FetchDataExample.fetchData(vertx, delay))).await();
      msg.reply(new JsonObject()
        .put("results", new JsonArray().add(first).addAll(new JsonArray(rest)))
        .put("thread", Thread.currentThread().toString()));
    });
    return Future.succeededFuture();
  }
}
