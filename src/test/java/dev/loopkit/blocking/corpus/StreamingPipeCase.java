package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
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

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Streaming with {@code pipeTo}: the server echoes the request body back; the client uploads a file. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class StreamingPipeCase {

  static class EchoServer extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer()
        .requestHandler(req -> {
          req.response().setChunked(true);
          req.pipeTo(req.response());
        })
        .listen(0)
        .onSuccess(s -> server = s);
    }
  }

  private final EchoServer server = new EchoServer();
  private Path upload;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) throws Exception {
    upload = Files.createTempFile("corpus-upload", ".txt");
    Files.writeString(upload, "0123456789abcdef".repeat(64 * 1024));
    vertx.deployVerticle(server).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void echoes_a_streamed_upload(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient();
    int n = 10;
    Checkpoint echoed = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      vertx.fileSystem().open(upload.toString(), new OpenOptions().setRead(true))
        .compose(file -> client.request(HttpMethod.POST, server.server.actualPort(), "localhost", "/echo")
          .compose(req -> req.send(file))
          .compose(resp -> resp.body()))
        .onComplete(tc.succeeding(Buffer -> {
          tc.verify(() -> assertThat(Buffer.length()).isEqualTo(16 * 64 * 1024));
          echoed.flag();
        }));
    }
  }
}
