package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** Periodic and one-shot timers, {@code vertx.timer} futures and {@code runOnContext}. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class TimersCase {

  static class Ticker extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.setPeriodic(10, id -> {
        System.out.println("tick");
        vertx.eventBus().send("ticks", System.currentTimeMillis());
      });
      vertx.setTimer(50, id -> System.out.println("and now for something completely different"));
      return vertx.timer(20).onSuccess(v -> context.runOnContext(x -> System.out.println("started")));
    }
  }

  @Test
  void ticks(Vertx vertx, VertxTestContext tc) {
    Checkpoint ticks = tc.laxCheckpoint(30);
    vertx.eventBus().consumer("ticks", m -> ticks.flag());
    vertx.deployVerticle(new Ticker()).onComplete(tc.succeeding(id -> { }));
  }
}
