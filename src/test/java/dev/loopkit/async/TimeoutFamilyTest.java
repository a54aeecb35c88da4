package dev.loopkit.async;

import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's "one timeout type" table, for the APIs of this package: type, old check, bus code. */
@ExtendWith(VertxExtension.class)
@DisplayName("One timeout type: DeadlineExceededException, 504 on the bus")
class TimeoutFamilyTest {

  @Test
  @DisplayName("waitFor, a scope's deadline, a bus request past it: DeadlineExceededException, deadline(), 504; a cancel: 499")
  void every_deadline_is_one_type(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().consumer("family.never", msg -> { });
    CancelScope expiring = CancelScope.withTimeout(vertx, 10);
    Future<Void> waitFor = Tasks.waitFor(vertx, 10, s -> Tasks.sleep(s, 60_000));
    Future<Void> underScope = Tasks.sleep(expiring, 60_000);
    Future<io.vertx.core.eventbus.Message<Object>> bus = Tasks.waitFor(vertx, 10, s -> BusRequest.request(s, "family.never", "x"));
    Future.join(waitFor, underScope, bus).onComplete(ar -> tc.verify(() -> {
      for (Future<?> f : List.of(waitFor, underScope, bus)) {
        Throwable err = f.cause();
        assertThat(err).isInstanceOf(DeadlineExceededException.class).isInstanceOf(CancelledException.class);
        assertThat(((CancelledException) err).deadline()).as("the older check still works").isTrue();
        assertThat(FailureCode.of(err)).isEqualTo(FailureCode.TIMEOUT);
        assertThat(FailureCode.TIMEOUT.code()).isEqualTo(504);
      }
      assertThat(underScope.cause()).isSameAs(expiring.reason());
      CancelledException cancelled = new CancelledException("stop");
      assertThat(cancelled.deadline()).isFalse();
      assertThat(FailureCode.of(cancelled)).isEqualTo(FailureCode.CANCELLED);
      expiring.close();
      tc.completeNow();
    }));
  }
}
