package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** The TCP echo server of the Vert.x examples ({@code socket.pipeTo(socket)}) and clients. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class TcpEchoCase {

  static class EchoServer extends VerticleBase {
    NetServer server;

    @Override
    public Future<?> start() {
      return vertx.createNetServer()
        .connectHandler(socket -> socket.pipeTo(socket))
        .listen(0)
        .onSuccess(s -> {
          server = s;
          System.out.println("Echo server is now listening");
        });
    }
  }

  private final EchoServer server = new EchoServer();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(server).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private NetClient client;

  @Test
  void echoes(Vertx vertx, VertxTestContext tc) {
    client = vertx.createNetClient();
    int clients = 10;
    int bytes = 8 * 1000;
    Checkpoint done = tc.checkpoint(clients);
    for (int c = 0; c < clients; c++) {
      client.connect(server.server.actualPort(), "localhost").onComplete(tc.succeeding(socket -> {
        Buffer received = Buffer.buffer();
        socket.handler(buf -> {
          received.appendBuffer(buf);
          if (received.length() == bytes) {
            socket.close();
            done.flag();
          }
        });
        for (int i = 0; i < 1000; i++) {
          socket.write("ping " + (i % 10) + "\n\n");
        }
      }));
    }
  }
}
