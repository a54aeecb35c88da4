package dev.loopkit.blocking.impl;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The checker's Micrometer meters (in {@code dev.loopkit.metrics.Meters.registry(vertx)}, so they show on
 * {@code GET /metrics}):
 *
 * <ul>
 *   <li>{@value #LAG} (timer, tag {@code loop}): event-loop lag measured by the heartbeat, p50/p99;</li>
 *   <li>{@value #INCIDENTS} (counter, tags {@code verticle}, {@code kind}, {@code detection}): incidents
 *   and strict findings;</li>
 *   <li>{@value #BLOCKED} (timer, tags {@code verticle}, {@code kind}): blocked time per incident;</li>
 *   <li>{@value #NEAR_MISSES} (counter, tag {@code loop}): stalls of half the threshold or more.</li>
 * </ul>
 *
 * Every meter also has the tag {@code node}: the name of the node the checker runs on
 * ({@link dev.loopkit.cluster.ClusterNode#name()}; {@code local} when not clustered), so that the meters of
 * several nodes stay apart once scraped together. Meters are removed when the checker closes.
 */
final class BlockingMeters {

  static final String LAG = "loopkit.blocking.lag";
  static final String INCIDENTS = "loopkit.blocking.incidents";
  static final String BLOCKED = "loopkit.blocking.blocked";
  static final String NEAR_MISSES = "loopkit.blocking.near.misses";

  private final MeterRegistry registry;
  private final String node;
  private final List<Meter> created = new CopyOnWriteArrayList<>();

  /** @param node the name of the node the checker runs on: every meter's {@code node} tag */
  BlockingMeters(MeterRegistry registry, String node) {
    this.registry = registry;
    this.node = node;
  }

  Timer lag(String loop) {
    Timer t = Timer.builder(LAG).description("event-loop lag (heartbeat delay)")
      .tag("loop", loop).tag("node", node)
      .publishPercentiles(0.5, 0.99)
      .distributionStatisticExpiry(Duration.ofMinutes(1))
      .register(registry);
    created.add(t);
    return t;
  }

  void incident(String verticle, String kind, String detection) {
    Counter c = Counter.builder(INCIDENTS).description("blocking incidents (runtime) and findings (strict)")
      .tag("verticle", verticle == null ? "none" : verticle).tag("kind", kind).tag("detection", detection).tag("node", node)
      .register(registry);
    remember(c);
    c.increment();
  }

  void blocked(String verticle, String kind, long nanos) {
    Timer t = Timer.builder(BLOCKED).description("time event loops spent blocked, per incident")
      .tag("verticle", verticle == null ? "none" : verticle).tag("kind", kind).tag("node", node)
      .register(registry);
    remember(t);
    t.record(nanos, TimeUnit.NANOSECONDS);
  }

  void nearMiss(String loop) {
    Counter c = Counter.builder(NEAR_MISSES).description("stalls of half the threshold or more")
      .tag("loop", loop).tag("node", node).register(registry);
    remember(c);
    c.increment();
  }

  private void remember(Meter m) {
    if (!created.contains(m)) {
      created.add(m);
    }
  }

  void close() {
    for (Meter m : created) {
      registry.remove(m);
    }
    created.clear();
  }
}
