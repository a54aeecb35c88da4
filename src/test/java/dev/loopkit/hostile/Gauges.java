package dev.loopkit.hostile;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Measurement;

/** Reads vertx-micrometer-metrics meters for "nothing leaked" checks. */
public final class Gauges {

  /** The gauge of HTTP requests a Vert.x server is processing, summed over its labels. */
  public static final String ACTIVE_REQUESTS = "vertx.http.server.active.requests";

  private Gauges() {
  }

  /** @return the sum of every meter named {@code name} in {@code registry} */
  public static double sum(MeterRegistry registry, String name) {
    double total = 0;
    for (Meter m : registry.getMeters()) {
      if (m.getId().getName().equals(name)) {
        for (Measurement ms : m.measure()) {
          total += ms.getValue();
        }
      }
    }
    return total;
  }

  /** @return {@code vertx_http_server_active_requests}, all labels together */
  public static double activeRequests(MeterRegistry registry) {
    return sum(registry, ACTIVE_REQUESTS);
  }
}
