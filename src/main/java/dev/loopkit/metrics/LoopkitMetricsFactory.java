package dev.loopkit.metrics;

import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/**
 * vertx-micrometer-metrics with loopkit's defaults: enabled, Prometheus backend, JVM metrics on.
 *
 * <p>Opt-in: the library registers nothing (no {@code VertxServiceProvider}), so depending on loopkit never
 * changes a user's Vert.x metrics. Use {@link #defaults()} in your own {@code VertxOptions}
 * ({@code Vertx.vertx(new VertxOptions().setMetricsOptions(LoopkitMetricsFactory.defaults()))}) or this
 * factory with {@code Vertx.builder().withMetrics(new LoopkitMetricsFactory())}; the application's
 * {@link dev.loopkit.Launcher} applies the defaults when {@code -options} says nothing about metrics.
 *
 * <p>The metrics it creates are the stock ones, except that HTTP servers' active-request gauges are
 * corrected for a Vert.x 5.0.7 leak, and their {@code method} label bounded ({@link HttpServerMetricsGuard}: a
 * malformed request, or one answered before its body was read and then closed, stayed "active" forever;
 * every invented method made new meters).
 */
public class LoopkitMetricsFactory extends MicrometerMetricsFactory {

  /** @return loopkit's default metrics options */
  public static MicrometerMetricsOptions defaults() {
    return new MicrometerMetricsOptions()
      .setEnabled(true)
      .setJvmMetricsEnabled(true)
      .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true));
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return new CorrectedVertxMetrics(super.metrics(options));
  }

  @Override
  public MetricsOptions newOptions() {
    return defaults();
  }

  /**
   * The launcher passes Vert.x's plain default {@link MetricsOptions} when {@code -options} says nothing
   * about metrics: loopkit's defaults replace it.
   */
  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    if (options == null || !(options instanceof MicrometerMetricsOptions) && !options.isEnabled()) {
      return defaults();
    }
    return super.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return json == null ? defaults() : super.newOptions(json);
  }
}
