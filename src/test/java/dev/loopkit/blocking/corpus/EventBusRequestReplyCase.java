package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** Point-to-point messaging: a consumer verticle replies, a sender verticle requests on a timer. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class EventBusRequestReplyCase {

  static class Receiver extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<JsonObject>consumer("ping-address", message -> {
        System.out.println("Received message: " + message.body());
        message.reply(new JsonObject().put("pong", message.body().getInteger("n")));
      }).completion();
    }
  }

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(new Receiver()).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void requests_get_replies(Vertx vertx, VertxTestContext tc) {
    int n = 200;
    Checkpoint replies = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      int k = i;
      vertx.eventBus().<JsonObject>request("ping-address", new JsonObject().put("n", k)).onComplete(tc.succeeding(reply -> {
        tc.verify(() -> assertThat(reply.body().getInteger("pong")).isEqualTo(k));
        replies.flag();
      }));
    }
  }
}
