package dev.loopkit.blocking;

import dev.loopkit.blocking.impl.VertxInternals;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;

/**
 * HTTP attribution for every Vert.x instance built in the JVM, with no line of code: register this class as a
 * Vert.x service provider — a file {@code META-INF/services/io.vertx.core.spi.VertxServiceProvider} containing
 * {@code dev.loopkit.blocking.BlockingAttributionProvider}, typically in {@code src/test/resources} so that the
 * {@code Vertx} instances {@code VertxExtension} builds are covered. Each Vert.x instance then gets
 * {@link BlockingAttribution#metrics(io.vertx.core.spi.VertxMetricsFactory)} around the metrics it would
 * have had anyway (built here from the metrics provider on the class path when metrics are enabled, so the
 * order providers are loaded in does not matter). loopkit never registers it itself.
 */
public final class BlockingAttributionProvider implements VertxServiceProvider {

  @Override
  public void init(VertxBootstrap bootstrap) {
    VertxInternals.addAttributionMetrics(bootstrap, this);
  }
}
