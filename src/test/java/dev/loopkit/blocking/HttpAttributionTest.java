package dev.loopkit.blocking;

import dev.loopkit.blocking.child.AttributionProviderMain;
import dev.loopkit.blocking.child.ChildJvm;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 4: an HTTP request that blocks names its method and path — and with vertx-web the route
 * pattern — with no line in the handlers: through Vert.x's metrics SPI ({@link BlockingAttribution#metrics}),
 * composing with the application's own metrics, or with no code at all ({@link BlockingAttributionProvider}).
 */
@DisplayName("HTTP attribution through the metrics SPI")
class HttpAttributionTest {

  private Vertx vertx;
  private BlockingChecker checker;
  private final Recorded recorded = new Recorded();

  @AfterEach
  void close() throws Exception {
    if (checker != null) {
      get(checker.close());
    }
    if (vertx != null) {
      get(vertx.close());
    }
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static void nap(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int serve(Vertx vertx) throws Exception {
    checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100));
    checker.onIncident(recorded);
    get(checker.ready());
    Router router = Router.router(vertx);
    router.get("/items/:id").handler(rc -> {
      nap(250);
      rc.end("item");
    });
    router.route("/metrics").handler(PrometheusScrapingHandler.create());
    HttpServer plain = get(vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/later")) {
        // a continuation of the request: still attributed to it (it runs on the request's own context)
        vertx.timer(5).onSuccess(t -> {
          nap(250);
          req.response().end("later");
        });
      } else {
        nap(250);
        req.response().end("plain");
      }
    }).listen(0, "127.0.0.1"));
    HttpServer web = get(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    WebClient client = WebClient.create(vertx);
    assertThat(get(client.get(plain.actualPort(), "127.0.0.1", "/plain?x=1").send()).bodyAsString()).isEqualTo("plain");
    assertThat(get(client.get(plain.actualPort(), "127.0.0.1", "/later").send()).bodyAsString()).isEqualTo("later");
    assertThat(get(client.get(web.actualPort(), "127.0.0.1", "/items/7").send()).bodyAsString()).isEqualTo("item");
    return web.actualPort();
  }

  private void assertRoutes() throws Exception {
    for (String route : List.of("GET /plain", "GET /later", "GET /items/:id")) {
      BlockingIncident i = Recorded.await(recorded.first(r -> !r.ongoing() && route.equals(r.route())), 10_000, route);
      assertThat(i.source()).isEqualTo("http");
      assertThat(i.culprit().method()).isEqualTo("nap");
      assertThat(i.summary()).contains("while serving " + route);
    }
  }

  @Test
  @DisplayName("plain request handlers, their continuations and vertx-web routes are named, with no line in the handlers")
  void names_requests_and_routes() throws Exception {
    vertx = Vertx.builder().withMetrics(BlockingAttribution.metrics()).build();
    serve(vertx);
    assertRoutes();
  }

  @Test
  @DisplayName("composes with the application's own Micrometer metrics: every call still reaches them, routes included")
  void composes_with_micrometer() throws Exception {
    vertx = Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .addLabels(Label.HTTP_ROUTE, Label.HTTP_PATH)
        .setEnabled(true)))
      .withMetrics(BlockingAttribution.metrics(new MicrometerMetricsFactory()))
      .build();
    int web = serve(vertx);
    assertRoutes();
    String scrape = get(WebClient.create(vertx).get(web, "127.0.0.1", "/metrics").send()).bodyAsString();
    assertThat(scrape)
      .contains("vertx_http_server_requests_total")
      .contains("route=\"/items/:id\"")
      .contains("path=\"/plain\"");
  }

  @Test
  @DisplayName("with BlockingAttributionProvider registered as a service, a plain Vertx.vertx() names requests with no code at all")
  void provider_needs_no_code(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve("io.vertx.core.spi.VertxServiceProvider"), BlockingAttributionProvider.class.getName() + "\n");
    try (ChildJvm child = ChildJvm.start(List.of("-Xmx256m"), List.of(dir.toString()), AttributionProviderMain.class)) {
      String plain = child.await(l -> l.startsWith("RECORD ") && l.contains("\"ongoing\":false") && l.contains("GET /plain"), 60_000, "a record for GET /plain");
      String item = child.await(l -> l.startsWith("RECORD ") && l.contains("\"ongoing\":false") && l.contains("GET /items/:id"), 60_000, "a record for GET /items/:id");
      assertThat(new JsonObject(plain.substring(7)).getString("route")).isEqualTo("GET /plain");
      assertThat(new JsonObject(item.substring(7)).getString("route")).isEqualTo("GET /items/:id");
      assertThat(child.exitCode(30_000)).isZero();
    }
  }
}
