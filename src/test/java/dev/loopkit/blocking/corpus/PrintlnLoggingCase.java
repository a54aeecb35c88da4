package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** The way the Vert.x examples log: {@code System.out.println} in every handler, on the event loop. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class PrintlnLoggingCase {

  static class Chatty extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      vertx.eventBus().consumer("audit", m -> System.out.println("[audit] " + m.body()));
      return vertx.createHttpServer().requestHandler(req -> {
        System.out.println("Request: " + req.method() + " " + req.uri());
        req.headers().forEach((k, v) -> System.out.println("  header " + k + ": " + v));
        vertx.eventBus().send("audit", req.uri());
        req.response().end("logged");
        System.err.println("responded to " + req.uri());
      }).listen(0).onSuccess(s -> server = s);
    }
  }

  private final Chatty chatty = new Chatty();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(chatty).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void logs_a_lot(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient();
    int n = 200;
    Checkpoint ok = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      client.request(HttpMethod.GET, chatty.server.actualPort(), "localhost", "/log/" + i)
        .compose(req -> req.send().compose(resp -> resp.body()))
        .onComplete(tc.succeeding(b -> ok.flag()));
    }
  }
}
