package dev.loopkit.async;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The edge cases of CPython's {@code test_timeouts.py}, for {@link Tasks#waitFor}: zero, negative,
 * disabled, nested, finishes before the deadline (timer cancelled), foreign failure passes through,
 * cause preserved.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("waitFor / timeout edge cases (after CPython test_timeouts.py)")
class TimeoutEdgeCasesTest {

  private Vertx vertx;

  @AfterEach
  void nothing_left_behind() {
    if (vertx != null) {
      LiveResources live = LiveResources.of(vertx);
      assertThat(live.get(LiveResources.TIMERS)).as("pending timers").isZero();
      assertThat(live.get(LiveResources.SCOPES)).as("open scopes").isZero();
    }
  }

  @Test
  @DisplayName("timeout 0: fires on the next loop turn, not synchronously, and cancels the sleep")
  void zero_timeout(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    vertx.runOnContext(v -> {
      AtomicReference<Future<Void>> inner = new AtomicReference<>();
      Future<Void> result = Tasks.waitFor(vertx, 0, (CancelScope scope) -> {
        inner.set(Tasks.sleep(scope, 10_000));
        return inner.get();
      });
      tc.verify(() -> assertThat(result.isComplete()).as("completed synchronously").isFalse());
      result.onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(DeadlineExceededException.class);
        assertThat(inner.get().failed()).isTrue();
        assertThat(inner.get().cause()).isInstanceOf(CancelledException.class);
        tc.completeNow();
      })));
    });
  }

  @Test
  @DisplayName("negative timeout behaves like zero")
  void negative_timeout(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    vertx.runOnContext(v -> {
      Future<Void> result = Tasks.waitFor(vertx, -1, (CancelScope scope) -> Tasks.sleep(scope, 10_000));
      tc.verify(() -> assertThat(result.isComplete()).isFalse());
      result.onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(DeadlineExceededException.class);
        tc.completeNow();
      })));
    });
  }

  @Test
  @DisplayName("Deadline.NONE disables the deadline")
  void disabled(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    Tasks.waitFor(vertx, Deadline.NONE, (CancelScope scope) -> {
      assertThat(scope.deadline().isNone()).isTrue();
      return Tasks.sleep(scope, 20).map("done");
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(v).isEqualTo("done");
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("finishes before the deadline: result passes, the deadline timer is cancelled at once")
  void completes_before_deadline(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    LiveResources live = LiveResources.of(vertx);
    Tasks.waitFor(vertx, 10_000, (CancelScope scope) -> Future.succeededFuture(42)).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(v).isEqualTo(42);
      assertThat(live.get(LiveResources.TIMERS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("nested: the outer deadline fires first; the inner sees the cancellation, not a timeout")
  void nested_outer_fires_first(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    AtomicReference<Future<Void>> inner = new AtomicReference<>();
    AtomicReference<CancelScope> innerScope = new AtomicReference<>();
    Tasks.waitFor(vertx, 30, (CancelScope outer) -> {
      inner.set(Tasks.waitFor(outer, 10_000, (CancelScope in) -> {
        innerScope.set(in);
        assertThat(in.deadline()).isEqualTo(outer.deadline());
        return Tasks.sleep(in, 10_000);
      }));
      return inner.get();
    }).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class);
      assertThat(inner.get().cause()).isInstanceOf(CancelledException.class);
      assertThat(innerScope.get().expired()).isFalse();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("nested: a shorter inner deadline fires alone; the outer sees a foreign failure")
  void nested_inner_shorter(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    AtomicReference<CancelScope> outerScope = new AtomicReference<>();
    Tasks.waitFor(vertx, 10_000, (CancelScope outer) -> {
      outerScope.set(outer);
      return Tasks.waitFor(outer, 20, (CancelScope in) -> Tasks.sleep(in, 10_000));
    }).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class);
      assertThat(outerScope.get().expired()).isFalse();
      assertThat(outerScope.get().isCancelled()).isFalse();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a nested deadline cannot extend the outer one")
  void nested_only_shortens(Vertx vertx) {
    this.vertx = vertx;
    try (CancelScope outer = CancelScope.withTimeout(vertx, 100); CancelScope inner = outer.childWithTimeout(60_000)) {
      assertThat(inner.deadline()).isEqualTo(outer.deadline());
      assertThat(inner.remainingMs()).isLessThanOrEqualTo(100);
      try (CancelScope shorter = outer.childWithTimeout(10)) {
        assertThat(shorter.deadline().compareTo(outer.deadline())).isNegative();
      }
    }
  }

  @Test
  @DisplayName("a foreign failure passes through unchanged")
  void foreign_failure_passes_through(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    IllegalStateException boom = new IllegalStateException("boom");
    Tasks.waitFor(vertx, 10_000, (CancelScope scope) -> Tasks.sleep(scope, 5).compose(v -> Future.failedFuture(boom)))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isSameAs(boom);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("a synchronous throw becomes the failure")
  void synchronous_throw(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    Tasks.<Void>waitFor(vertx, 10_000, scope -> {
      throw new IllegalArgumentException("bad arg");
    }).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(IllegalArgumentException.class).hasMessage("bad arg");
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("cause preserved: the timeout's cause is the cancellation the task received")
  void cause_preserved(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    AtomicReference<Future<Void>> inner = new AtomicReference<>();
    Tasks.waitFor(vertx, 10, (CancelScope scope) -> {
      inner.set(Tasks.sleep(scope, 10_000));
      return inner.get();
    }).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err.getCause()).isInstanceOf(CancelledException.class).isSameAs(inner.get().cause());
      assertThat(((CancelledException) err.getCause()).deadline()).isTrue();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a task that ignores cancellation still gets its timeout at the deadline")
  void uncooperative_task_still_times_out(Vertx vertx, VertxTestContext tc) {
    this.vertx = vertx;
    Promise<String> never = Promise.promise();
    long start = System.nanoTime();
    Tasks.waitFor(vertx, 50, (CancelScope scope) -> never.future()).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class);
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(40L, 2_000L);
      tc.completeNow();
    })));
  }
}
