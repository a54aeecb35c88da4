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

import static org.assertj.core.api.Assertions.assertThat;

/** The docs' first HTTP server, and an HTTP client calling it. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class HttpHelloCase {

  static class Server extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer()
        .requestHandler(req -> {
          System.out.println("Got request " + req.method() + " " + req.uri());
          req.response()
            .putHeader("content-type", "text/html")
            .end("<html><body><h1>Hello from vert.x!</h1></body></html>");
        })
        .listen(0)
        .onSuccess(s -> {
          server = s;
          System.out.println("Server listening on port " + s.actualPort());
        });
    }
  }

  private final Server server = new Server();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(server).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void serves_requests(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient();
    int n = 100;
    Checkpoint responses = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      client.request(HttpMethod.GET, server.server.actualPort(), "localhost", "/hello?i=" + i)
        .compose(req -> req.send().compose(resp -> {
          System.out.println("Got response " + resp.statusCode());
          return resp.body();
        }))
        .onComplete(tc.succeeding(body -> {
          tc.verify(() -> assertThat(body.toString()).contains("Hello from vert.x!"));
          responses.flag();
        }));
    }
  }
}
