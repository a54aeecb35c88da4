package dev.loopkit.examples;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Tasks;
import dev.loopkit.bus.BusRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicReference;

/**
 * Section (d): {@code wait_for} — a slow operation under a timeout fails with a timeout <em>and</em> is
 * cancelled.
 *
 * <pre>
 * try:
 *     await asyncio.wait_for(slow_operation(), timeout=1.0)
 * except asyncio.TimeoutError: ...
 * </pre>
 *
 * Vert.x's own {@code Future.timeout} only stops waiting: the timer or event-bus request behind it keeps
 * running (the reply consumer stays registered for the full 30 s send timeout). {@link Tasks#waitFor}
 * cancels the operation's {@link CancelScope}: here a timer and an event-bus request, both released at
 * the deadline, which {@link LiveResources} shows.
 */
public final class WaitForExample {

  /** Address of the example's slow service. */
  public static final String SLOW_ADDRESS = "loopkit.examples.slow";

  private WaitForExample() {
  }

  /** A slow operation that honours cancellation: a timer, then an event-bus round trip. */
  public static Future<String> slowOperation(CancelScope scope, long slowMs) {
    return Tasks.sleep(scope, slowMs / 2)
      .compose(v -> BusRequest.<String>request(scope, SLOW_ADDRESS, slowMs / 2))
      .map(reply -> "slow result");
  }

  /** Registers the slow service: replies after the delay it is sent. */
  public static MessageConsumer<Long> slowService(Vertx vertx) {
    return vertx.eventBus().<Long>consumer(SLOW_ADDRESS, msg -> vertx.setTimer(Math.max(1, msg.body()), t -> msg.reply("done")));
  }

  /**
   * Runs {@link #slowOperation} of {@code slowMs} under a timeout of {@code timeoutMs}.
   *
   * @return {@code {timedOut, error, elapsedMs, timers, busRequests}}; the last two are loopkit's live
   * counts right after the timeout (0: nothing left behind)
   */
  public static Future<JsonObject> run(Vertx vertx, long timeoutMs, long slowMs) {
    MessageConsumer<Long> service = slowService(vertx);
    LiveResources live = LiveResources.of(vertx);
    long t0 = System.nanoTime();
    AtomicReference<Future<String>> operation = new AtomicReference<>();
    return Tasks.waitFor(vertx, timeoutMs, scope -> {
        operation.set(slowOperation(scope, slowMs));
        return operation.get();
      })
      .transform(ar -> {
        long elapsed = (System.nanoTime() - t0) / 1_000_000;
        // the operation itself settles once its resources are released (at most one loop hop later)
        return operation.get().transform(released -> Future.succeededFuture(new JsonObject()
          .put("timedOut", ar.failed() && ar.cause() instanceof dev.loopkit.async.DeadlineExceededException)
          .put("error", ar.failed() ? ar.cause().getClass().getSimpleName() + ": " + ar.cause().getMessage() : null)
          .put("elapsedMs", elapsed)
          .put("timers", live.get(LiveResources.TIMERS))
          .put("busRequests", live.get(LiveResources.BUS_REQUESTS))));
      })
      .compose(result -> service.unregister().map(result));
  }
}
