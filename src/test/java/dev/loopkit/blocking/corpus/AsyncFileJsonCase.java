package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.parsetools.JsonParser;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The asynchronous file system: write a file, then stream-parse it as JSON with {@code JsonParser}. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class AsyncFileJsonCase {

  static class Importer extends VerticleBase {
    final String file;
    int imported;

    Importer(String file) {
      this.file = file;
    }

    @Override
    public Future<?> start() {
      Buffer content = Buffer.buffer();
      for (int i = 0; i < 2000; i++) {
        content.appendString(new JsonObject().put("id", i).put("name", "item " + i).encode()).appendString("\n");
      }
      return vertx.fileSystem().writeFile(file, content)
        .compose(v -> vertx.fileSystem().props(file))
        .compose(props -> {
          System.out.println("wrote " + props.size() + " bytes");
          return vertx.fileSystem().open(file, new OpenOptions().setRead(true));
        })
        .compose(asyncFile -> {
          io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
          JsonParser parser = JsonParser.newParser(asyncFile).objectValueMode();
          parser.handler(event -> imported++);
          parser.exceptionHandler(done::tryFail);
          parser.endHandler(v -> done.tryComplete());
          return done.future();
        })
        .compose(v -> vertx.fileSystem().copy(file, file + ".bak"))
        .compose(v -> vertx.fileSystem().readDir(Path.of(file).getParent().toString()))
        .compose(list -> vertx.fileSystem().delete(file + ".bak"));
    }
  }

  @Test
  void imports_a_file(Vertx vertx, VertxTestContext tc) throws Exception {
    Path dir = Files.createTempDirectory("corpus-files");
    Importer importer = new Importer(dir.resolve("items.json").toString());
    vertx.deployVerticle(importer).onComplete(tc.succeeding(id -> tc.verify(() -> {
      assertThat(importer.imported).isEqualTo(2000);
      tc.completeNow();
    })));
  }
}
