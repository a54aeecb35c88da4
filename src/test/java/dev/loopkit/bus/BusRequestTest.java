package dev.loopkit.bus;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Tasks;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("BusRequest: an event-bus request that a CancelScope can cancel")
class BusRequestTest {

  @Test
  @DisplayName("carries the remaining budget and a request id; the send timeout follows the deadline")
  void headers_and_send_timeout(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer("ok", msg -> msg.reply(new JsonObject()
      .put("budget", msg.headers().get(Headers.TIMEOUT_MS))
      .put("id", msg.headers().get(Headers.REQUEST_ID))));
    CancelScope scope = CancelScope.withTimeout(vertx, 5_000);
    BusRequest.<JsonObject>request(scope, "ok", new JsonObject()).onComplete(tc.succeeding(reply -> tc.verify(() -> {
      scope.close();
      long budget = Long.parseLong(reply.body().getString("budget"));
      assertThat(budget).isBetween(4_000L, 5_000L);
      assertThat(reply.body().getString("id")).isNotBlank();
      assertThat(LiveResources.of(vertx).get(LiveResources.BUS_REQUESTS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a scope without deadline sends no budget header and keeps a caller-chosen request id")
  void no_deadline_no_budget(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer("ok", msg -> msg.reply(new JsonObject()
      .put("has", msg.headers().contains(Headers.TIMEOUT_MS))
      .put("id", msg.headers().get(Headers.REQUEST_ID))));
    CancelScope scope = CancelScope.create(vertx);
    BusRequest.<JsonObject>request(scope, "ok", new JsonObject(), new DeliveryOptions().addHeader(Headers.REQUEST_ID, "r-1"))
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        scope.close();
        assertThat(reply.body().getBoolean("has")).isFalse();
        assertThat(reply.body().getString("id")).isEqualTo("r-1");
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("cancel: fails at once, releases the reply consumer, and the callee's scope is cancelled")
  void cancel_releases_the_reply_consumer_and_notifies_the_callee(Vertx vertx, VertxTestContext tc) {
    AtomicReference<Message<JsonObject>> pending = new AtomicReference<>();
    Promise<CancelledException> calleeCancelled = Promise.promise();
    Promise<Void> received = Promise.promise();
    var listening = CancelNotices.listen(vertx);
    vertx.eventBus().<JsonObject>consumer("slow", msg -> {
      CancelScope served = Budget.serve(vertx, msg, Long.MAX_VALUE);
      served.onCancel(e -> {
        served.close();
        calleeCancelled.tryComplete(e);
      });
      pending.set(msg);
      received.complete();
    });
    CancelScope scope = CancelScope.create(vertx);
    Future<Message<JsonObject>> request = BusRequest.request(scope, "slow", new JsonObject());
    received.future()
      .compose(v -> {
        scope.cancel("caller gave up");
        scope.close();
        return request.transform(ar -> {
          tc.verify(() -> {
            assertThat(ar.cause()).isInstanceOf(CancelledException.class).hasMessage("caller gave up");
            assertThat(LiveResources.of(vertx).get(LiveResources.BUS_REQUESTS)).as("released before the caller hears").isZero();
          });
          return calleeCancelled.future();
        });
      })
      .compose(e -> {
        tc.verify(() -> assertThat(e.getMessage()).contains("caller gave up"));
        // the reply consumer is gone: replying and expecting an answer now finds no handler
        return pending.get().replyAndRequest(new JsonObject().put("late", true), new DeliveryOptions().setSendTimeout(2_000));
      })
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) err).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
        assertThat(LiveResources.of(vertx).get(LiveResources.BUS_REQUESTS)).isZero();
        listening.remove();
        assertThat(CancelNotices.watching(vertx)).isZero();
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("a past deadline sends nothing and fails when the scope expires")
  void past_deadline_sends_nothing(Vertx vertx, VertxTestContext tc) {
    boolean[] called = {false};
    vertx.eventBus().consumer("never-called", msg -> called[0] = true);
    Tasks.waitFor(vertx, 0, scope -> BusRequest.request(scope, "never-called", "x"))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(dev.loopkit.async.DeadlineExceededException.class);
        assertThat(called[0]).isFalse();
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("no reply within the send timeout is loopkit's one timeout type, naming the address (504 on the bus)")
  void send_timeout_is_a_deadline_exceeded(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().consumer("never-answers", msg -> { });
    CancelScope scope = CancelScope.create(vertx);
    BusRequest.request(scope, "never-answers", "x", new io.vertx.core.eventbus.DeliveryOptions().setSendTimeout(100))
      .onComplete(ar -> scope.close())
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(dev.loopkit.async.DeadlineExceededException.class)
          .hasMessageContaining("never-answers").hasMessageContaining("100 ms");
        assertThat(FailureCode.of(err)).isEqualTo(FailureCode.TIMEOUT);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("a callee whose budget is spent is shed with 504 and never runs")
  void spent_budget_is_shed(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer("guarded", msg -> {
      CancelScope s = Budget.serve(vertx, msg, 1_000);
      if (s != null) {
        s.close();
        msg.reply("ran");
      }
    });
    vertx.eventBus().request("guarded", new JsonObject(), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "0"))
      .onComplete(ar -> tc.verify(() -> {
        dev.loopkit.testing.ReplyAssert.assertThat(ar).failedWith(FailureCode.TIMEOUT).messageContains("shed");
        vertx.eventBus().request("guarded", new JsonObject(), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "soon"))
          .onComplete(ar2 -> tc.verify(() -> {
            dev.loopkit.testing.ReplyAssert.assertThat(ar2).failedWith(FailureCode.BAD_REQUEST).messageContains(Headers.TIMEOUT_MS);
            tc.completeNow();
          }));
      }));
  }
}
