package dev.loopkit.metrics;

import dev.loopkit.hostile.Gauges;
import dev.loopkit.hostile.RawClient;
import dev.loopkit.hostile.Released;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.micrometer.backends.BackendRegistries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * vertx_http_server_active_requests on a plain Vert.x HTTP server (not the front: the leak is Vert.x's)
 * with loopkit's metrics factory: back to where it was after each malformed or early-answered request.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("HTTP server metrics: no request stays active, no meter per invented method")
class HttpServerMetricsGuardTest {

  private static final String REGISTRY = "guard-test";
  private static Vertx vertx;
  private static HttpServer server;
  private static MeterRegistry registry;

  @BeforeAll
  static void start() {
    vertx = Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(LoopkitMetricsFactory.defaults().setJvmMetricsEnabled(false).setRegistryName(REGISTRY)))
      .withMetrics(new LoopkitMetricsFactory())
      .build();
    server = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false)).requestHandler(req -> {
      if (req.getHeader("expect") != null) {
        // answered before the body is read (as a 413 to a too-large upload is), then closed
        req.response().setStatusCode(413).end().onComplete(v -> req.connection().close());
        return;
      }
      req.body().onComplete(b -> req.response().end("ok"));
    }).listen(0, "127.0.0.1").await();
    registry = BackendRegistries.getNow(REGISTRY);
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
    431 header too large          | GET / HTTP/1.1\\r\\nHost: a\\r\\nX: {big}\\r\\n\\r\\n
    414 request line too long     | GET /{big} HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n
    bad header name               | GET / HTTP/1.1\\r\\nHost: a\\r\\nBad Header: x\\r\\n\\r\\n
    two Content-Lengths           | POST / HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 3\\r\\nContent-Length: 4\\r\\n\\r\\nabc
    HTTP/0.9                      | GET /\\r\\n
    garbage                       | \\u0001\\u0002 garbage\\r\\n\\r\\n
    head abandoned halfway        | GET / HTTP/1.1\\r\\nHost: a\\r\\nX-Half
    Expect 100-continue then 413  | POST / HTTP/1.1\\r\\nHost: a\\r\\nExpect: 100-continue\\r\\nContent-Length: 99999999\\r\\n\\r\\n
    chunk size not hex            | POST / HTTP/1.1\\r\\nHost: a\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\nzz\\r\\n{}\\r\\n0\\r\\n\\r\\n
    """)
  void active_requests_return_to_their_value(String name, String raw, VertxTestContext tc) {
    String request = raw.replace("{big}", "x".repeat(10_000)).replace("\\r\\n", "\r\n")
      .replace("\\u0001", "\u0001").replace("\\u0002", "\u0002");
    double before = Gauges.activeRequests(registry);
    RawClient.exchange(vertx, server.actualPort(), request, 300)
      .compose(x -> Released.eventually(vertx, 2_000, () -> Gauges.activeRequests(registry) == before,
        () -> "active requests " + Gauges.activeRequests(registry) + ", was " + before + " before " + name))
      // and it stays there (a late second count-down would take it below)
      .compose(v -> vertx.timer(300))
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat(Gauges.activeRequests(registry)).as("active requests after " + name).isEqualTo(before);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("invented methods are counted as OTHER, not one meter each")
  void invented_methods_share_one_label(VertxTestContext tc) {
    io.vertx.core.Future<?> all = io.vertx.core.Future.succeededFuture();
    for (int i = 0; i < 20; i++) {
      String method = "INVENTED" + i;
      all = all.compose(x -> RawClient.exchange(vertx, server.actualPort(), method + " / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 2_000));
    }
    all.onComplete(tc.succeeding(x -> tc.verify(() -> {
      Set<String> methods = registry.getMeters().stream()
        .filter(m -> m.getId().getName().startsWith("vertx.http.server"))
        .map(m -> m.getId().getTag("method")).filter(java.util.Objects::nonNull).collect(Collectors.toSet());
      assertThat(methods).contains("OTHER").noneMatch(m -> m.startsWith("INVENTED"));
      tc.completeNow();
    })));
  }
}
