package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Micrometer + Prometheus, scraped while serving traffic. The test builds its own Vert.x (metrics are
 * chosen when Vert.x is built) and keeps it in a field: the extension watches it too.
 */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class PrometheusScrapeCase {

  static class Service extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.route("/metrics").handler(PrometheusScrapingHandler.create());
      router.get("/hello").handler(ctx -> ctx.end("hello"));
      return vertx.createHttpServer().requestHandler(router).listen(0).onSuccess(s -> server = s);
    }
  }

  private Vertx vertx;
  private final Service service = new Service();

  @BeforeEach
  void start(VertxTestContext tc) {
    vertx = Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
        .setJvmMetricsEnabled(true)
        .setEnabled(true)))
      .withMetrics(new MicrometerMetricsFactory())
      .build();
    vertx.deployVerticle(service).onComplete(tc.succeedingThenComplete());
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void scrapes_while_serving(VertxTestContext tc) {
    client = WebClient.create(vertx);
    int port = service.server.actualPort();
    int n = 20;
    Checkpoint ok = tc.checkpoint(2 * n);
    for (int i = 0; i < n; i++) {
      client.get(port, "localhost", "/hello").send().onComplete(tc.succeeding(r -> ok.flag()));
      client.get(port, "localhost", "/metrics").send().onComplete(tc.succeeding(r -> {
        tc.verify(() -> assertThat(r.bodyAsString()).contains("vertx_http_server"));
        ok.flag();
      }));
    }
  }
}
