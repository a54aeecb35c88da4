package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.StackFrame;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Who is blamed: the platform (the JDK, Netty, Vert.x's real packages, the libraries loopkit ships) never; application code always. */
@DisplayName("StackAnalyzer: what is framework, what is application code")
class StackAnalyzerTest {

  private final StackAnalyzer analyzer = new StackAnalyzer(List.of());

  static List<StackFrame> stack(String... frames) {
    List<StackFrame> out = new ArrayList<>();
    for (String f : frames) {
      int dot = f.lastIndexOf('.');
      out.add(new StackFrame(f.substring(0, dot), f.substring(dot + 1), "X.java", 1));
    }
    return out;
  }

  @Test
  @DisplayName("a user's own package under io.vertx. (the Vert.x examples' io.vertx.example) is application code")
  void user_packages_under_io_vertx_are_blamed() {
    assertThat(analyzer.isFramework("io.vertx.example.app.MainVerticle")).isFalse();
    assertThat(analyzer.isFramework("io.vertx.howtos.web.App")).isFalse();
    List<StackFrame> s = stack("java.lang.Thread.sleep", "io.vertx.example.app.SlowHandler.handle",
      "io.vertx.core.impl.ContextImpl.emit", "io.netty.channel.nio.NioEventLoop.run");
    assertThat(analyzer.culpritIndex(s)).isEqualTo(1);
  }

  @Test
  @DisplayName("Vert.x's real packages, Netty and the libraries loopkit ships with are framework")
  void platform_packages() {
    for (String c : List.of("io.vertx.core.http.impl.Http1xServerConnection", "io.vertx.ext.web.impl.RouterImpl",
      "io.vertx.ext.web.client.impl.WebClientBase", "io.vertx.ext.healthchecks.impl.HealthChecksImpl",
      "io.vertx.circuitbreaker.impl.CircuitBreakerImpl", "io.vertx.config.impl.ConfigRetrieverImpl",
      "io.vertx.micrometer.backends.PrometheusBackendRegistry", "io.vertx.ext.auth.impl.UserImpl",
      "io.vertx.launcher.application.VertxApplication", "io.vertx.spi.cluster.hazelcast.HazelcastClusterManager",
      "io.netty.channel.nio.NioEventLoop", "io.prometheus.metrics.model.registry.PrometheusRegistry",
      "io.micrometer.prometheusmetrics.PrometheusMeterRegistry", "com.fasterxml.jackson.core.JsonFactory",
      "org.HdrHistogram.Histogram", "org.LatencyUtils.LatencyStats", "ch.qos.logback.classic.Logger",
      "org.slf4j.LoggerFactory", "picocli.CommandLine", "org.assertj.core.internal.Objects", "org.junit.jupiter.api.Assertions",
      "org.opentest4j.AssertionFailedError")) {
      assertThat(analyzer.isFramework(c)).as(c).isTrue();
    }
  }

  @Test
  @DisplayName("start-up frames of the Prometheus client, Micrometer and vertx-micrometer are never blamed")
  void prometheus_start_up_is_never_blamed() {
    List<StackFrame> s = stack("java.util.zip.Inflater.inflateBytesBytes", "io.prometheus.metrics.model.snapshots.Labels.<clinit>",
      "io.prometheus.metrics.core.metrics.Counter.<init>", "io.micrometer.prometheusmetrics.PrometheusMeterRegistry.<init>",
      "io.vertx.micrometer.backends.PrometheusBackendRegistry.<init>", "io.vertx.micrometer.impl.VertxMetricsImpl.<init>",
      "io.vertx.core.impl.VertxBootstrapImpl.init", "io.vertx.core.Vertx.vertx");
    assertThat(analyzer.culpritIndex(s)).isEqualTo(-1);
  }

  @Test
  @DisplayName("println into a replaced System.out (an application's capturing stream) is console output, a socket write is not")
  void println_into_a_replaced_stream_is_console_output() {
    List<StackFrame> captured = stack("com.acme.logging.CapturingStream.writeImpl",
      "com.acme.logging.CapturingStream.write", "java.io.PrintStream.write",
      "java.io.PrintStream.println", "com.acme.PricesVerticle.lambda$start$0", "io.vertx.core.impl.ContextImpl.emit");
    int culprit = analyzer.culpritIndex(captured);
    assertThat(culprit).isZero();
    assertThat(StackAnalyzer.console(captured, culprit)).isTrue();
    List<StackFrame> socket = stack("java.net.SocketOutputStream.socketWrite0", "java.net.SocketOutputStream.write",
      "com.acme.LegacyClient.send", "com.acme.PricesVerticle.lambda$start$0", "io.vertx.core.impl.ContextImpl.emit");
    assertThat(StackAnalyzer.console(socket, analyzer.culpritIndex(socket))).isFalse();
  }

  @Test
  @DisplayName("println on a PrintStream subclass that System.out was replaced with is console output")
  void println_on_a_print_stream_subclass_is_console_output() {
    java.io.PrintStream original = System.out;
    class Capture extends java.io.PrintStream {
      Capture() {
        super(original);
      }

      @Override
      public void println(String x) {
        super.println(x);
      }
    }
    System.setOut(new Capture());
    try {
      List<StackFrame> captured = stack("org.apache.maven.surefire.api.util.internal.Channels$4.writeImpl",
        Capture.class.getName() + ".println", "com.acme.PricesVerticle.lambda$start$0", "io.vertx.core.impl.ContextImpl.emit");
      assertThat(StackAnalyzer.console(captured, analyzer.culpritIndex(captured))).isTrue();
    } finally {
      System.setOut(original);
    }
  }
}
