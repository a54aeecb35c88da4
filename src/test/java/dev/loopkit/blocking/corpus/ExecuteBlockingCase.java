package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
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

/** Blocking work moved off the loop with a multi-line {@code executeBlocking} lambda (sleep, file read). */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class ExecuteBlockingCase {

  static class Legacy extends VerticleBase {
    final Path data;

    Legacy(Path data) {
      this.data = data;
    }

    @Override
    public Future<?> start() {
      return vertx.eventBus().<String>consumer("legacy.lookup", msg -> {
        vertx.executeBlocking(() -> {
          // a slow legacy API: fine on a worker thread
          Thread.sleep(20);
          String text = Files.readString(data);
          return text.length() + ":" + msg.body();
        }).onComplete(ar -> {
          if (ar.succeeded()) {
            msg.reply(ar.result());
          } else {
            msg.fail(500, ar.cause().getMessage());
          }
        });
      }).completion();
    }
  }

  private Path data;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) throws Exception {
    data = Files.createTempFile("corpus-legacy", ".txt");
    Files.writeString(data, "some data");
    vertx.deployVerticle(new Legacy(data)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void looks_up_on_a_worker(Vertx vertx, VertxTestContext tc) {
    int n = 40;
    Checkpoint replies = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      vertx.eventBus().<String>request("legacy.lookup", "k" + i).onComplete(tc.succeeding(reply -> {
        tc.verify(() -> assertThat(reply.body()).startsWith("9:k"));
        replies.flag();
      }));
    }
  }
}
