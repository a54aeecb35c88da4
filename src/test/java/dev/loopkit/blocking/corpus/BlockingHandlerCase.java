package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** vertx-web's {@code blockingHandler}: a route whose handler blocks runs on a worker. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class BlockingHandlerCase {

  static class Reports extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.get("/report").blockingHandler(ctx -> {
        // a slow synchronous report generator: runs on a worker thread
        try {
          Thread.sleep(25);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        ctx.response().end("report ready");
      });
      router.get("/fast").handler(ctx -> ctx.response().end("fast"));
      return vertx.createHttpServer().requestHandler(router).listen(0).onSuccess(s -> server = s);
    }
  }

  private final Reports reports = new Reports();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(reports).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void serves_blocking_routes_off_the_loop(Vertx vertx, VertxTestContext tc) {
    client = WebClient.create(vertx);
    int n = 20;
    Checkpoint ok = tc.checkpoint(2 * n);
    for (int i = 0; i < n; i++) {
      client.get(reports.server.actualPort(), "localhost", "/report").send().onComplete(tc.succeeding(r -> {
        tc.verify(() -> assertThat(r.bodyAsString()).isEqualTo("report ready"));
        ok.flag();
      }));
      client.get(reports.server.actualPort(), "localhost", "/fast").send().onComplete(tc.succeeding(r -> ok.flag()));
    }
  }
}
