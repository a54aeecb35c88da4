package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker verticle doing blocking work (a "JDBC call" simulated by a sleep) behind the event bus. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class WorkerVerticleCase {

  static class Repository extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<String>consumer("repository.find", msg -> {
        System.out.println("[Worker] Executing on " + Thread.currentThread().getName());
        try {
          Thread.sleep(15);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        msg.reply("row for " + msg.body());
      }).completion();
    }
  }

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(new Repository(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void worker_answers(Vertx vertx, VertxTestContext tc) {
    int n = 30;
    Checkpoint replies = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      vertx.eventBus().<String>request("repository.find", "id" + i).onComplete(tc.succeeding(reply -> {
        tc.verify(() -> assertThat(reply.body()).startsWith("row for id"));
        replies.flag();
      }));
    }
  }
}
