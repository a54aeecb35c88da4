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
  void a_bug_a_caller_can_repeat_is_logged_once_a_minute(Vertx vertx, VertxTestContext tc) {
    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Replies.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
    seen.start();
    log.addAppender(seen);
    vertx.eventBus().consumer("throws.again", Replies.guarded("throws.again", msg -> {
      throw new IllegalStateException("bug " + msg.body());
    }));
    java.util.List<io.vertx.core.Future<Object>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 200; i++) {
      all.add(vertx.eventBus().request("throws.again", "x" + i).map(m -> (Object) m).otherwise(err -> err));
    }
    io.vertx.core.Future.all(all).onComplete(tc.succeeding(done -> tc.verify(() -> {
      log.detachAppender(seen);
      // every request answered 500, one line logged
      assertThat(done.list()).allSatisfy(r -> assertThat(FailureCode.of((Throwable) r)).isEqualTo(FailureCode.INTERNAL));
      assertThat(seen.list).hasSize(1);
      tc.completeNow();
    })));
  }

  @Test
  void the_log_limiter_counts_what_it_leaves_out() {
    LogLimiter limiter = new LogLimiter(60_000);
    assertThat(limiter.admit("a")).isZero();
    assertThat(limiter.admit("a")).isEqualTo(-1);
    assertThat(limiter.admit("a")).isEqualTo(-1);
    assertThat(limiter.admit("b")).isZero();
    LogLimiter quick = new LogLimiter(0);
    assertThat(quick.admit("a")).isZero();
    assertThat(quick.admit("a")).isZero();
    LogLimiter bounded = new LogLimiter(60_000);
    for (int i = 0; i < LogLimiter.MAX_KEYS + 500; i++) {
      bounded.admit("k" + i);
    }
    // keys past the bound share one window: at most one more line, however many keys a caller invents
    assertThat(java.util.stream.IntStream.range(0, 500).filter(i -> bounded.admit("new" + i) >= 0).count()).isZero();
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
