package dev.loopkit;

import dev.loopkit.metrics.LoopkitMetricsFactory;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;

/**
 * The application's entry point (the fat jar's {@code Main-Class}): Vert.x's own launcher,
 * {@link VertxApplication}, with its usual options ({@code -conf}, {@code -options}, {@code -cluster}, …),
 * plus loopkit's application defaults applied through the launcher's hooks:
 *
 * <ul>
 *   <li><b>Metrics on</b>: when {@code -options} says nothing about {@code metricsOptions}, the Vert.x
 *   options get {@link LoopkitMetricsFactory#defaults()} (vertx-micrometer-metrics, Prometheus, JVM
 *   metrics), so {@code GET /metrics} works out of the box. An explicit {@code metricsOptions} in
 *   {@code -options} wins, and so does {@code -Dvertx.metrics.options.enabled=false}.</li>
 * </ul>
 *
 * These are application choices, so they live here and not in the library jar: depending on loopkit
 * changes nothing in a user's own Vert.x (no service registration, no logging configuration).
 */
public class Launcher extends VertxApplication implements VertxApplicationHooks {

  public Launcher(String[] args) {
    super(args);
  }

  public static void main(String[] args) {
    new Launcher(args).launch();
  }

  @Override
  public JsonObject afterVertxOptionsParsed(JsonObject vertxOptions) {
    JsonObject options = vertxOptions == null ? new JsonObject() : vertxOptions;
    if (!options.containsKey("metricsOptions")) {
      options.put("metricsOptions", LoopkitMetricsFactory.defaults().toJson());
    }
    return options;
  }
}
