package dev.loopkit.async;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("Tasks: sleep, gather, gatherSettled, asCompleted")
class TasksTest {

  @Nested
  @DisplayName("sleep")
  class Sleep {
    @Test
    void sleeps_on_a_timer(Vertx vertx, VertxTestContext tc) {
      long start = System.nanoTime();
      Tasks.sleep(vertx, 50).onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(45);
        assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
        tc.completeNow();
      })));
    }

    @Test
    void cancel_releases_the_timer(Vertx vertx, VertxTestContext tc) {
      CancelScope scope = CancelScope.create(vertx);
      Future<Void> sleep = Tasks.sleep(scope, 60_000);
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isEqualTo(1);
      scope.cancel("enough");
      scope.close();
      sleep.onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(CancelledException.class).hasMessage("enough");
        assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
        tc.completeNow();
      })));
    }

    @Test
    void zero_yields_one_loop_turn(Vertx vertx, VertxTestContext tc) {
      vertx.runOnContext(v -> {
        Future<Void> f = Tasks.sleep(vertx, 0);
        tc.verify(() -> assertThat(f.isComplete()).isFalse());
        f.onComplete(tc.succeedingThenComplete());
      });
    }

    @Test
    void sleeping_in_a_cancelled_scope_fails_at_once(Vertx vertx) {
      try (CancelScope scope = CancelScope.create(vertx)) {
        scope.cancel();
        assertThat(Tasks.sleep(scope, 1000).failed()).isTrue();
        assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      }
    }
  }

  @Nested
  @DisplayName("gather")
  class Gather {
    @Test
    void results_in_input_order_not_completion_order(Vertx vertx, VertxTestContext tc) {
      Tasks.gather(List.of(
        Tasks.sleep(vertx, 40).map("slow"),
        Tasks.sleep(vertx, 1).map("fast"),
        Future.succeededFuture("now")
      )).onComplete(tc.succeeding(list -> tc.verify(() -> {
        assertThat(list).containsExactly("slow", "fast", "now");
        tc.completeNow();
      })));
    }

    @Test
    void empty_completes_at_once() {
      assertThat(Tasks.gather(List.<Future<String>>of()).result()).isEmpty();
      assertThat(Tasks.gatherSettled(List.<Future<String>>of()).result()).isEmpty();
    }

    @Test
    void fails_fast_with_the_first_failure(Vertx vertx, VertxTestContext tc) {
      Promise<String> never = Promise.promise();
      Tasks.gather(List.of(never.future(), Future.<String>failedFuture("boom")))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).hasMessage("boom");
          tc.completeNow();
        })));
    }

    @Test
    void gather_of_tasks_cancels_the_siblings_of_a_failure(Vertx vertx, VertxTestContext tc) {
      AtomicReference<Future<String>> sibling = new AtomicReference<>();
      try (CancelScope root = CancelScope.create(vertx)) {
        List<Task<String>> tasks = new ArrayList<>();
        tasks.add(scope -> {
          sibling.set(Tasks.sleep(scope, 60_000).map("never"));
          return sibling.get();
        });
        tasks.add(scope -> Tasks.sleep(scope, 10).compose(v -> Future.failedFuture(new IllegalStateException("upstream 500"))));
        Tasks.gather(root, tasks).onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).hasMessage("upstream 500");
          assertThat(sibling.get().cause()).isInstanceOf(CancelledException.class);
          assertThat(sibling.get().cause().getCause()).isSameAs(err);
          assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
          tc.completeNow();
        })));
      }
    }

    @Test
    void settled_keeps_every_outcome(Vertx vertx, VertxTestContext tc) {
      Tasks.gatherSettled(List.of(
        Tasks.sleep(vertx, 5).map("ok"),
        Future.<String>failedFuture(new IllegalStateException("bad"))
      )).onComplete(tc.succeeding(list -> tc.verify(() -> {
        AsyncResult<String> first = list.get(0);
        AsyncResult<String> second = list.get(1);
        assertThat(first.result()).isEqualTo("ok");
        assertThat(second.cause()).hasMessage("bad");
        tc.completeNow();
      })));
    }
  }

  @Test
  @DisplayName("asCompleted yields in completion order")
  void as_completed(Vertx vertx, VertxTestContext tc) {
    List<Future<String>> ordered = Tasks.asCompleted(List.of(
      Tasks.sleep(vertx, 60).map("c"),
      Tasks.sleep(vertx, 1).map("a"),
      Tasks.sleep(vertx, 30).map("b")));
    Tasks.gather(ordered).onComplete(tc.succeeding(list -> tc.verify(() -> {
      assertThat(list).containsExactly("a", "b", "c");
      tc.completeNow();
    })));
  }
}
