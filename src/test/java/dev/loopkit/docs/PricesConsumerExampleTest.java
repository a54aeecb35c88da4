package dev.loopkit.docs;

import dev.loopkit.bus.Headers;
import dev.loopkit.hostile.Released;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's consumer example ({@link PricesConsumerVerticle}) does what the README says it does. */
@ExtendWith(VertxExtension.class)
@DisplayName("README example: the library in a consumer")
class PricesConsumerExampleTest {

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    // rates.get answers with the budget it was given; "hang" never answers
    vertx.eventBus().<JsonObject>consumer("rates.get", m -> {
      if (!m.body().getBoolean("hang", false)) {
        m.reply(new JsonObject().put("budget", m.headers().get(Headers.TIMEOUT_MS)));
      }
    });
    vertx.deployVerticle(new PricesConsumerVerticle()).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("passes on what is left of the caller's budget")
  void forwards_the_budget(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>request("prices.get", new JsonObject(), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "1000"))
      .onComplete(tc.succeeding(m -> tc.verify(() -> {
        assertThat(Long.parseLong(m.body().getString("budget"))).isBetween(1L, 1000L);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("a malformed budget is answered 400, naming the header")
  void refuses_a_bad_budget(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().request("prices.get", new JsonObject(), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "soon"))
      .onComplete(tc.failing(e -> tc.verify(() -> {
        assertThat(((ReplyException) e).failureCode()).isEqualTo(400);
        assertThat(e.getMessage()).contains(Headers.TIMEOUT_MS);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("a cancel notice for the request id stops the work and answers 499")
  void cancel_notice_stops_the_work(Vertx vertx, VertxTestContext tc) {
    String id = "example-" + System.nanoTime();
    vertx.eventBus().request("prices.get", new JsonObject().put("hang", true),
        new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "20000").addHeader(Headers.REQUEST_ID, id))
      .onComplete(tc.failing(e -> tc.verify(() -> {
        assertThat(((ReplyException) e).failureCode()).isEqualTo(499);
        tc.completeNow();
      })));
    Released.eventually(vertx, 5_000, () -> CancelNotices.watching(vertx) > 0, () -> "nothing watches " + id)
      .onComplete(tc.succeeding(v -> CancelNotices.publish(vertx, id, "the caller left")));
  }
}
