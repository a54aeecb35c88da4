package dev.loopkit;

import dev.loopkit.cluster.ClusterOptions;
import dev.loopkit.cluster.ClusteredVertx;
import dev.loopkit.metrics.LoopkitMetricsFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.launcher.application.ExitCodes;
import io.vertx.launcher.application.HookContext;
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
 *   {@code -options} wins, and so does {@code -Dvertx.metrics.options.enabled=false}. Enabled metrics are
 *   built by {@link LoopkitMetricsFactory} (the stock Micrometer metrics with HTTP servers' gauges guarded
 *   against a client's malformed requests), supplied through {@link #createVertxBuilder(VertxOptions)}.</li>
 *   <li><b>Clustered from the config</b>: before anything starts, the {@code cluster} section of the config
 *   {@link MainVerticle} will read is validated (a problem is one ERROR line naming the file and the JSON
 *   path, exit code 11); when it is enabled, {@code -cluster} is added and
 *   {@link #createVertxBuilder(VertxOptions)} supplies a Hazelcast cluster manager configured by it
 *   ({@link ClusteredVertx}), so Vert.x is clustered before any verticle deploys. Once the cluster has
 *   formed, one line names the cluster, this node and the members seen. Without the section, the
 *   launcher's own {@code -cluster} works as in Vert.x (its cluster manager from the class path,
 *   {@code -Dvertx.hazelcast.config} honoured), and so does {@code -cluster-host}/{@code -cluster-port},
 *   which win over the section's event-bus host and port.</li>
 * </ul>
 *
 * These are application choices, so they live here and not in the library jar: depending on loopkit
 * changes nothing in a user's own Vert.x (no service registration, no logging configuration).
 */
public class Launcher extends VertxApplication implements VertxApplicationHooks {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Launcher.class);

  private final ClusterLaunch cluster;
  private long clusterStarted;

  public Launcher(String[] args) {
    this(ClusterLaunch.prepare(args));
  }

  private Launcher(ClusterLaunch cluster) {
    super(cluster.arguments());
    this.cluster = cluster;
  }

  public static void main(String[] args) {
    new Launcher(args).launch();
  }

  @Override
  public int launch() {
    if (cluster.error() != null) {
      LOG.error("loopkit did not start: {}", cluster.error().getMessage());
      System.exit(ExitCodes.VERTX_INITIALIZATION);
      return ExitCodes.VERTX_INITIALIZATION;
    }
    if (cluster.enabledCluster() != null && System.getProperty("hazelcast.logging.type") == null) {
      // Hazelcast's first lines (before it reads its config) go through SLF4J too, not java.util.logging
      System.setProperty("hazelcast.logging.type", "slf4j");
    }
    return super.launch();
  }

  @Override
  public JsonObject afterVertxOptionsParsed(JsonObject vertxOptions) {
    JsonObject options = vertxOptions == null ? new JsonObject() : vertxOptions;
    if (!options.containsKey("metricsOptions")) {
      options.put("metricsOptions", LoopkitMetricsFactory.defaults().toJson());
    }
    return options;
  }

  @Override
  public VertxBuilder createVertxBuilder(VertxOptions options) {
    ClusterOptions enabled = cluster.enabledCluster();
    clusterStarted = System.nanoTime();
    VertxBuilder builder = enabled == null ? VertxApplicationHooks.super.createVertxBuilder(options)
      : ClusteredVertx.builder(options, enabled);
    if (options.getMetricsOptions() != null && options.getMetricsOptions().isEnabled()) {
      // the stock Micrometer metrics, with HTTP servers' gauges guarded (LoopkitMetricsFactory)
      builder = builder.withMetrics(new LoopkitMetricsFactory());
    }
    return builder;
  }

  @Override
  public void afterVertxStarted(HookContext context) {
    Vertx vertx = context.vertx();
    if (!vertx.isClustered()) {
      return;
    }
    ClusterOptions enabled = cluster.enabledCluster();
    if (enabled != null) {
      ClusteredVertx.reportJoin(vertx, enabled);
    }
    ClusteredVertx.logMembership(vertx);
    System.out.println("loopkit joined in " + (System.nanoTime() - clusterStarted) / 1_000_000 + " ms: "
      + ClusteredVertx.describe(vertx));
  }

  @Override
  public void afterFailureToStartVertx(HookContext context, Throwable t) {
    if (cluster.enabledCluster() != null) {
      LOG.error("loopkit did not start: {}: cluster: the cluster could not be formed: {} — check cluster.host, "
        + "cluster.port and cluster.members", cluster.source(), dev.loopkit.bus.LogValues.safe(String.valueOf(t), 300));
    }
  }
}
