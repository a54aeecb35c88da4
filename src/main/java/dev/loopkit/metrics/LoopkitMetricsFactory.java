package dev.loopkit.metrics;

import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;

/**
 * vertx-micrometer-metrics with loopkit's defaults: enabled, Prometheus backend, JVM metrics on.
 *
 * <p>The Vert.x launcher asks the metrics factory found on the class path for default options; the
 * stock factory's are disabled, so {@code GET /metrics} would be empty unless every user passed
 * {@code -options}. The fat jar therefore registers this factory (and not the stock one) as its
 * {@code VertxServiceProvider}. An explicit {@code metricsOptions} in {@code -options} still wins, as does
 * {@code -Dvertx.metrics.options.enabled=false}.
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
