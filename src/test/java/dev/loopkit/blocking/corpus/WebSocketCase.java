package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.WebSocketClient;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** A WebSocket echo server and clients exchanging text messages. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class WebSocketCase {

  static class Server extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer()
        .webSocketHandler(ws -> {
          System.out.println("WebSocket connected: " + ws.path());
          ws.textMessageHandler(msg -> ws.writeTextMessage("echo: " + msg));
        })
        .listen(0)
        .onSuccess(s -> server = s);
    }
  }

  private final Server server = new Server();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(server).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebSocketClient client;

  @Test
  void echoes_messages(Vertx vertx, VertxTestContext tc) {
    client = vertx.createWebSocketClient();
    int clients = 5;
    int messages = 20;
    Checkpoint echoed = tc.checkpoint(clients * messages);
    for (int c = 0; c < clients; c++) {
      client.connect(server.server.actualPort(), "localhost", "/chat").onComplete(tc.succeeding(ws -> {
        ws.textMessageHandler(msg -> {
          System.out.println("Received: " + msg);
          echoed.flag();
        });
        for (int m = 0; m < messages; m++) {
          ws.writeTextMessage("hello " + m);
        }
      }));
    }
  }
}
