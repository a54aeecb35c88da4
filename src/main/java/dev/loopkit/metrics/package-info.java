/**
 * Metrics wiring: {@link dev.loopkit.metrics.LoopkitMetricsFactory} turns vertx-micrometer-metrics on with
 * a Prometheus backend by default in the fat jar, and {@link dev.loopkit.metrics.Meters} gives
 * capabilities the registry to put their own meters in.
 */
package dev.loopkit.metrics;
