package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** A virtual-thread verticle using {@code Future.await} (Vert.x 5's own style); JDK 21+. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class VirtualThreadCase {

  static class Gateway extends VerticleBase {
    final int backendPort;
    HttpServer server;

    Gateway(int backendPort) {
      this.backendPort = backendPort;
    }

    @Override
    public Future<?> start() {
      HttpClient client = vertx.createHttpClient();
      server = vertx.createHttpServer().requestHandler(req -> {
        // on a virtual thread: await suspends it, the event loop is never blocked
        String body = client.request(HttpMethod.GET, backendPort, "localhost", "/")
          .compose(r -> r.send().compose(resp -> resp.body()))
          .await()
          .toString();
        req.response().end("gateway: " + body);
      }).listen(0).await();
      return Future.succeededFuture();
    }
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void awaits_on_virtual_threads(Vertx vertx, VertxTestContext tc) {
    assumeTrue(Runtime.version().feature() >= 21, "virtual-thread verticles need JDK 21+ (running on "
      + Runtime.version().feature() + "): skipped");
    int n = 30;
    Checkpoint responses = tc.checkpoint(n);
    vertx.createHttpServer().requestHandler(req -> req.response().end("backend")).listen(0)
      .compose(backend -> {
        Gateway gateway = new Gateway(backend.actualPort());
        return vertx.deployVerticle(gateway, new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD))
          .map(id -> gateway.server.actualPort());
      })
      .onComplete(tc.succeeding(port -> {
        client = vertx.createHttpClient();
        for (int i = 0; i < n; i++) {
          client.request(HttpMethod.GET, port, "localhost", "/")
            .compose(r -> r.send().compose(resp -> resp.body()))
            .onComplete(tc.succeeding(body -> {
              tc.verify(() -> assertThat(body.toString()).isEqualTo("gateway: backend"));
              responses.flag();
            }));
        }
      }));
  }
}
