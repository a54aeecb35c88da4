package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** vertx-health-check: procedures answered over the event bus, served by a HealthCheckHandler. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class HealthCheckCase {

  static class Health extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      vertx.eventBus().consumer("db.ping", m -> vertx.setTimer(2, t -> m.reply("pong")));
      HealthCheckHandler health = HealthCheckHandler.create(vertx);
      health.register("database", 500, promise -> vertx.eventBus().request("db.ping", null)
        .onSuccess(r -> promise.complete(Status.OK()))
        .onFailure(promise::fail));
      health.register("disk", promise -> promise.complete(Status.OK()));
      Router router = Router.router(vertx);
      router.get("/health*").handler(health);
      return vertx.createHttpServer().requestHandler(router).listen(0).onSuccess(s -> server = s);
    }
  }

  private final Health health = new Health();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(health).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void reports_up(Vertx vertx, VertxTestContext tc) {
    client = WebClient.create(vertx);
    int n = 30;
    Checkpoint ok = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      client.get(health.server.actualPort(), "localhost", "/health").send().onComplete(tc.succeeding(r -> {
        tc.verify(() -> assertThat(r.bodyAsJsonObject().getString("outcome")).isEqualTo("UP"));
        ok.flag();
      }));
    }
  }
}
