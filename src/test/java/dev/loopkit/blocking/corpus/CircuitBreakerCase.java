package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** vertx-circuit-breaker around Web Client calls to a flaky backend, with a fallback. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class CircuitBreakerCase {

  static class FlakyBackend extends VerticleBase {
    HttpServer server;
    int calls;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer().requestHandler(req -> {
        if (++calls % 3 == 0) {
          req.response().setStatusCode(500).end("oops");
        } else {
          vertx.setTimer(3, t -> req.response().end("ok"));
        }
      }).listen(0).onSuccess(s -> server = s);
    }
  }

  private final FlakyBackend backend = new FlakyBackend();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(backend).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void calls_through_the_breaker(Vertx vertx, VertxTestContext tc) {
    client = WebClient.create(vertx);
    CircuitBreaker breaker = CircuitBreaker.create("backend", vertx, new CircuitBreakerOptions()
      .setMaxFailures(50).setTimeout(2_000).setResetTimeout(1_000).setFallbackOnFailure(true));
    int n = 40;
    Checkpoint done = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      breaker.<String>executeWithFallback(() -> client.get(backend.server.actualPort(), "localhost", "/").send()
          .compose(r -> r.statusCode() == 200 ? Future.succeededFuture(r.bodyAsString()) : Future.failedFuture("status " + r.statusCode())),
        err -> "fallback")
        .onComplete(tc.succeeding(s -> done.flag()));
    }
  }
}
