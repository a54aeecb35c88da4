package dev.loopkit.hostile;

import dev.loopkit.async.LiveResources;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * "Nothing leaked": polls (on Vert.x timers, never sleeping) until loopkit's {@link LiveResources} counters
 * and any extra condition are back to where they were.
 */
public final class Released {

  /** Counters held from a verticle's start to its stop (infrastructure, not per request): not compared. */
  private static final java.util.Set<String> INFRASTRUCTURE = java.util.Set.of("cancelNotices.consumers", "timeout.consumers");

  private Released() {
  }

  /** @return completes when every per-request counter is zero; fails naming them after {@code maxMs} */
  public static Future<Void> counters(Vertx vertx, long maxMs) {
    LiveResources live = LiveResources.of(vertx);
    return eventually(vertx, maxMs, () -> zero(live.snapshot()), () -> "resources left behind: " + live);
  }

  /** @return completes when {@code condition} holds; fails with {@code state} after {@code maxMs} */
  public static Future<Void> eventually(Vertx vertx, long maxMs, BooleanSupplier condition, Supplier<String> state) {
    Promise<Void> p = Promise.promise();
    poll(vertx, condition, state, System.nanoTime() + maxMs * 1_000_000L, p);
    return p.future();
  }

  static boolean zero(Map<String, Long> snapshot) {
    return snapshot.entrySet().stream()
      .allMatch(e -> INFRASTRUCTURE.contains(e.getKey()) || e.getValue() == 0);
  }

  private static void poll(Vertx vertx, BooleanSupplier condition, Supplier<String> state, long until, Promise<Void> p) {
    if (condition.getAsBoolean()) {
      p.complete();
    } else if (System.nanoTime() - until > 0) {
      p.fail(new AssertionError("not released in time: " + state.get()));
    } else {
      vertx.setTimer(5, t -> poll(vertx, condition, state, until, p));
    }
  }
}
