package dev.loopkit.console;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import dev.loopkit.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the console's flame graph is built from: a final {@code loopkit.blocking} record of a stall with
 * several phases carries each phase's own sampled stack ({@code phases[i].stack}), so that each part of the
 * stall is drawn under the frames that spent it.
 */
@DisplayName("loopkit.blocking: each phase of a final record carries its stack")
class PhaseStacksTest {

  /** Sleeps, then spins, on its event loop, on purpose. */
  public static final class TwoPhases extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer("console.two.phases", m -> {
        napping(250);
        spinning(250);
        m.reply("done");
      }).completion();
    }

    static void napping(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static void spinning(long ms) {
      long end = System.nanoTime() + ms * 1_000_000;
      long x = 0;
      while (System.nanoTime() < end) {
        x += System.nanoTime() % 7;
      }
      if (x == 42) {
        System.out.print("");
      }
    }
  }

  @Test
  void phases_carry_their_stacks() throws Exception {
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(50));
    try {
      get(checker.ready());
      Promise<JsonObject> finalRecord = Promise.promise();
      get(vertx.eventBus().<JsonObject>consumer(Addresses.BLOCKING, m -> {
        JsonObject r = m.body();
        if (!r.getBoolean("ongoing", true) && r.encode().contains("napping")) {
          finalRecord.tryComplete(r);
        }
      }).completion());
      get(vertx.deployVerticle(new TwoPhases()));
      get(vertx.eventBus().request("console.two.phases", "", new DeliveryOptions().setSendTimeout(10_000)));
      JsonObject r = get(finalRecord.future());
      JsonArray phases = r.getJsonArray("phases");
      assertThat(phases.size()).as("phases of %s", phases).isGreaterThanOrEqualTo(2);
      for (int i = 0; i < phases.size(); i++) {
        assertThat(phases.getJsonObject(i).getJsonArray("stack")).as("phase %d's stack", i).isNotEmpty();
      }
      assertThat(phases.getJsonObject(0).getJsonArray("stack").encode()).contains("napping");
      assertThat(phases.getJsonObject(phases.size() - 1).getJsonArray("stack").encode()).contains("spinning");
    } finally {
      get(checker.close());
      get(vertx.close());
    }
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
