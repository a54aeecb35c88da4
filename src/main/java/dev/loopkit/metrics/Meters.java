package dev.loopkit.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Where loopkit's own meters go: the Vert.x Micrometer registry when metrics are enabled (so they show on
 * {@code GET /metrics}), else a private in-memory registry per Vert.x instance (so code that records
 * meters never needs a null check, and reports can still read them).
 */
public final class Meters {

  private static final Map<Vertx, MeterRegistry> FALLBACK = new WeakHashMap<>();

  private Meters() {
  }

  /** @return the registry loopkit's meters for {@code vertx} belong in */
  public static MeterRegistry registry(Vertx vertx) {
    MeterRegistry vertxRegistry = BackendRegistries.getDefaultNow();
    if (vertxRegistry != null) {
      return vertxRegistry;
    }
    synchronized (FALLBACK) {
      return FALLBACK.computeIfAbsent(vertx, v -> new SimpleMeterRegistry());
    }
  }
}
