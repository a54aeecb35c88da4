package dev.loopkit.bus;

import dev.loopkit.testing.ReplyAssert;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
@DisplayName("Replies and FailureCode: every request gets exactly one answer with a stable code")
class RepliesTest {

  @Test
  void a_throwing_consumer_answers_500_instead_of_a_timeout(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().consumer("throws", Replies.guarded("throws", msg -> {
      throw new IllegalStateException("bug in consumer");
    }));
    vertx.eventBus().request("throws", "x", new DeliveryOptions().setSendTimeout(5_000)).onComplete(ar -> tc.verify(() -> {
      ReplyAssert.assertThat(ar).failedWith(FailureCode.INTERNAL).messageContains("bug in consumer");
      tc.completeNow();
    }));
  }

  @Test
  void codes_round_trip_and_are_stable() {
    for (FailureCode c : FailureCode.values()) {
      assertThat(FailureCode.fromCode(c.code())).isSameAs(c);
      assertThat(c.exception("m").failureCode()).isEqualTo(c.code());
    }
    assertThat(FailureCode.TIMEOUT.code()).isEqualTo(504);
    assertThat(FailureCode.UNAVAILABLE.code()).isEqualTo(503);
    assertThat(FailureCode.BAD_REQUEST.code()).isEqualTo(400);
    assertThatThrownBy(() -> FailureCode.fromCode(-1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void classification_of_foreign_failures() {
    assertThat(FailureCode.of(new ReplyException(ReplyFailure.TIMEOUT, "t"))).isEqualTo(FailureCode.TIMEOUT);
    assertThat(FailureCode.of(new ReplyException(ReplyFailure.NO_HANDLERS, "n"))).isEqualTo(FailureCode.UNAVAILABLE);
    assertThat(FailureCode.of(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 418, "teapot"))).isEqualTo(FailureCode.INTERNAL);
    assertThat(FailureCode.of(new TimeoutException())).isEqualTo(FailureCode.TIMEOUT);
    assertThat(FailureCode.of(new CancellationException())).isEqualTo(FailureCode.CANCELLED);
    assertThat(FailureCode.of(new dev.loopkit.async.CancelledException("stop"))).isEqualTo(FailureCode.CANCELLED);
    assertThat(FailureCode.of(new dev.loopkit.async.CancelledException("deadline exceeded", true, null))).isEqualTo(FailureCode.TIMEOUT);
    assertThat(FailureCode.of(new RuntimeException())).isEqualTo(FailureCode.INTERNAL);
  }
}
