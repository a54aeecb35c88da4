package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.codec.BodyCodec;
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

/** The Web Client: JSON bodies both ways, a streamed request body, a response piped to a file. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class WebClientCase {

  static class Backend extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
        if (req.path().equals("/json")) {
          req.response().putHeader("content-type", "application/json")
            .end(body.toJsonObject().put("seen", true).toBuffer());
        } else {
          req.response().end("received " + body.length() + " bytes");
        }
      })).listen(0).onSuccess(s -> server = s);
    }
  }

  private final Backend backend = new Backend();
  private Path upload;
  private Path downloads;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) throws Exception {
    upload = Files.createTempFile("corpus-webclient", ".bin");
    Files.write(upload, new byte[256 * 1024]);
    downloads = Files.createTempDirectory("corpus-downloads");
    vertx.deployVerticle(backend).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void json_and_streams(Vertx vertx, VertxTestContext tc) {
    client = WebClient.create(vertx);
    int port = backend.server.actualPort();
    int n = 10;
    Checkpoint ok = tc.checkpoint(3 * n);
    for (int i = 0; i < n; i++) {
      int k = i;
      client.post(port, "localhost", "/json")
        .as(BodyCodec.jsonObject())
        .sendJsonObject(new JsonObject().put("n", k))
        .onComplete(tc.succeeding(r -> {
          tc.verify(() -> assertThat(r.body().getBoolean("seen")).isTrue());
          ok.flag();
        }));
      vertx.fileSystem().open(upload.toString(), new OpenOptions().setRead(true))
        .compose(file -> client.post(port, "localhost", "/upload").sendStream(file))
        .onComplete(tc.succeeding(r -> {
          tc.verify(() -> assertThat(r.bodyAsString()).isEqualTo("received " + 256 * 1024 + " bytes"));
          ok.flag();
        }));
      vertx.fileSystem().open(downloads.resolve("d" + k).toString(), new OpenOptions().setWrite(true).setCreate(true))
        .compose((AsyncFile file) -> client.post(port, "localhost", "/download").as(BodyCodec.pipe(file))
          .sendBuffer(Buffer.buffer("payload " + k)))
        .onComplete(tc.succeeding(r -> ok.flag()));
    }
  }
}
