package dev.loopkit.async;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("CancelScope: the cancellation and deadline primitive")
class CancelScopeTest {

  @Test
  void cancel_runs_callbacks_once_with_the_reason(Vertx vertx) {
    CancelScope scope = CancelScope.create(vertx);
    List<String> seen = new ArrayList<>();
    scope.onCancel(e -> seen.add("a:" + e.getMessage()));
    scope.onCancel(e -> seen.add("b:" + e.getMessage()));
    assertThat(scope.cancel("stop")).isTrue();
    assertThat(scope.cancel("again")).isFalse();
    assertThat(seen).as("innermost (latest) first").containsExactly("b:stop", "a:stop");
    assertThat(scope.isCancelled()).isTrue();
    assertThat(scope.expired()).isFalse();
    scope.close();
    assertThat(LiveResources.of(vertx).get(LiveResources.SCOPES)).isZero();
  }

  @Test
  void level_triggered_on_cancel_after_cancel_runs_at_once(Vertx vertx) {
    try (CancelScope scope = CancelScope.create(vertx)) {
      scope.cancel();
      AtomicInteger ran = new AtomicInteger();
      assertThat(scope.onCancel(e -> ran.incrementAndGet())).isSameAs(Registration.NONE);
      assertThat(ran).hasValue(1);
    }
  }

  @Test
  void removed_callbacks_do_not_run(Vertx vertx) {
    try (CancelScope scope = CancelScope.create(vertx)) {
      AtomicInteger ran = new AtomicInteger();
      Registration r = scope.onCancel(e -> ran.incrementAndGet());
      r.remove();
      r.remove();
      scope.cancel();
      assertThat(ran).hasValue(0);
    }
  }

  @Test
  void a_throwing_callback_does_not_stop_the_others(Vertx vertx) {
    try (CancelScope scope = CancelScope.create(vertx)) {
      AtomicInteger ran = new AtomicInteger();
      scope.onCancel(e -> {
        throw new IllegalStateException("bad callback");
      });
      scope.onCancel(e -> ran.incrementAndGet());
      scope.cancel();
      assertThat(ran).hasValue(1);
    }
  }

  @Test
  void parent_cancels_children_not_the_other_way(Vertx vertx) {
    try (CancelScope parent = CancelScope.create(vertx); CancelScope a = parent.child(); CancelScope b = parent.child()) {
      a.cancel("only a");
      assertThat(parent.isCancelled()).isFalse();
      assertThat(b.isCancelled()).isFalse();
      parent.cancel("all");
      assertThat(b.isCancelled()).isTrue();
      assertThat(b.reason().getMessage()).isEqualTo("all");
      assertThat(a.reason().getMessage()).isEqualTo("only a");
    }
  }

  @Test
  void a_child_of_a_cancelled_parent_starts_cancelled(Vertx vertx) {
    try (CancelScope parent = CancelScope.create(vertx)) {
      parent.cancel("gone");
      try (CancelScope child = parent.childWithTimeout(1000)) {
        assertThat(child.isCancelled()).isTrue();
        assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      }
    }
  }

  @Test
  void deadline_expiry_cancels_and_marks_expired(Vertx vertx, VertxTestContext tc) {
    CancelScope scope = CancelScope.withTimeout(vertx, 20);
    assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isEqualTo(1);
    scope.onCancel(e -> tc.verify(() -> {
      assertThat(scope.expired()).isTrue();
      assertThat(e.deadline()).isTrue();
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      scope.close();
      tc.completeNow();
    }));
  }

  @Test
  void close_cancels_the_deadline_timer_and_prevents_cancellation(Vertx vertx) {
    CancelScope scope = CancelScope.withTimeout(vertx, 10_000);
    assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isEqualTo(1);
    scope.close();
    assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
    assertThat(scope.cancel()).isFalse();
    assertThat(scope.isClosed()).isTrue();
  }

  @Test
  void close_hooks_run_once(Vertx vertx) {
    CancelScope scope = CancelScope.create(vertx);
    AtomicInteger ran = new AtomicInteger();
    scope.onClose(ran::incrementAndGet);
    scope.close();
    scope.close();
    assertThat(ran).hasValue(1);
    scope.onClose(ran::incrementAndGet);
    assertThat(ran).hasValue(2);
  }

  @Test
  void child_closing_detaches_from_parent(Vertx vertx) {
    try (CancelScope parent = CancelScope.create(vertx)) {
      CancelScope child = parent.child();
      child.close();
      parent.cancel();
      assertThat(child.isCancelled()).isFalse();
    }
  }

  @Test
  void throw_if_cancelled(Vertx vertx) {
    try (CancelScope scope = CancelScope.create(vertx)) {
      scope.throwIfCancelled();
      scope.cancel(new IllegalStateException("upstream died"));
      try {
        scope.throwIfCancelled();
      } catch (CancelledException e) {
        assertThat(e.getCause()).hasMessage("upstream died");
        return;
      }
      throw new AssertionError("expected CancelledException");
    }
  }

  @Test
  void deadline_arithmetic() {
    Deadline none = Deadline.NONE;
    Deadline soon = Deadline.in(100);
    Deadline later = Deadline.in(10_000);
    assertThat(none.min(soon)).isSameAs(soon);
    assertThat(later.min(soon)).isSameAs(soon);
    assertThat(soon.min(none)).isSameAs(soon);
    assertThat(none.remainingMs()).isEqualTo(Long.MAX_VALUE);
    assertThat(soon.remainingMs()).isBetween(0L, 100L);
    assertThat(Deadline.in(-5).expired()).isTrue();
    assertThat(Deadline.in(-5).remainingMs()).isZero();
    assertThat(none.expired()).isFalse();
    assertThat(soon.compareTo(later)).isNegative();
    assertThat(none.compareTo(later)).isPositive();
    assertThat(Deadline.in(Long.MAX_VALUE).expired()).as("huge durations are clamped, not overflowed").isFalse();
    assertThat(Deadline.in(Long.MIN_VALUE).expired()).isTrue();
  }

  @Test
  @DisplayName("nested scopes with the same deadline: both expired (a tie is the scope's own expiry)")
  void tied_deadlines_both_expire(Vertx vertx, VertxTestContext tc) {
    Deadline d = Deadline.in(20);
    CancelScope outer = CancelScope.withDeadline(vertx, d);
    CancelScope inner = outer.child(d);
    CancelScope later = outer.childWithTimeout(60_000);
    inner.onCancel(e -> tc.verify(() -> {
      assertThat(e).isInstanceOf(DeadlineExceededException.class);
      assertThat(outer.expired()).isTrue();
      assertThat(inner.expired()).isTrue();
      assertThat(later.expired()).as("a later deadline of its own did not pass").isFalse();
      assertThat(later.isCancelled()).isTrue();
      later.close();
      inner.close();
      outer.close();
      tc.completeNow();
    }));
  }

  @Test
  @DisplayName("a scope counts as cancelled as soon as an ancestor is, even before the cancellation reaches it")
  void cancelled_ancestor_seen_before_delivery(Vertx vertx) {
    try (CancelScope parent = CancelScope.create(vertx)) {
      boolean[] seen = new boolean[2];
      parent.onCancel(e -> { }); // registered first, so runs last
      CancelScope earlyChild = parent.child();
      parent.onCancel(e -> { // registered after the child: heard before the child is told
        seen[0] = earlyChild.isCancelled();
        int[] ran = {0};
        earlyChild.onCancel(x -> ran[0]++);
        seen[1] = ran[0] == 1;
      });
      parent.cancel("stop");
      assertThat(seen[0]).isTrue();
      assertThat(seen[1]).as("level-triggered: onCancel runs at once").isTrue();
      assertThat(earlyChild.reason()).hasMessage("stop");
      earlyChild.close();
    }
  }

  @Test
  @DisplayName("a deadline's reason is a DeadlineExceededException, which is a CancelledException with deadline()")
  void deadline_reason_is_both(Vertx vertx, VertxTestContext tc) {
    CancelScope scope = CancelScope.withTimeout(vertx, 1);
    scope.onCancel(e -> tc.verify(() -> {
      assertThat(e).isInstanceOf(DeadlineExceededException.class).isInstanceOf(CancelledException.class);
      assertThat(e.deadline()).isTrue();
      scope.close();
      tc.completeNow();
    }));
  }
}
