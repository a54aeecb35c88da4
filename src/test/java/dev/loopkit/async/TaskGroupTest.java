package dev.loopkit.async;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
@DisplayName("TaskGroup: first failure cancels the siblings; join waits for all")
class TaskGroupTest {

  @Test
  void all_succeed(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    Future<String> a = group.spawn(s -> Tasks.sleep(s, 20).map("a"));
    Future<String> b = group.spawn(s -> Tasks.sleep(s, 10).map("b"));
    group.join().onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(a.result()).isEqualTo("a");
      assertThat(b.result()).isEqualTo("b");
      root.close();
      assertThat(LiveResources.of(vertx).get(LiveResources.SCOPES)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  void first_failure_cancels_siblings_and_join_waits_for_them(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    Future<String> slow = group.spawn(s -> Tasks.sleep(s, 60_000).map("slow"));
    Future<String> failing = group.spawn(s -> Tasks.sleep(s, 10).compose(v -> Future.failedFuture(new IllegalStateException("first"))));
    Future<String> failingLater = group.spawn(s -> Tasks.sleep(s, 10_000).map("x"));
    group.join().onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).hasMessage("first").isSameAs(failing.cause());
      assertThat(slow.cause()).isInstanceOf(CancelledException.class);
      assertThat(failingLater.cause()).isInstanceOf(CancelledException.class);
      assertThat(root.isCancelled()).as("the parent is untouched").isFalse();
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      root.close();
      tc.completeNow();
    })));
  }

  @Test
  void spawning_into_a_cancelled_group_starts_nothing(Vertx vertx) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    group.cancel();
    boolean[] started = {false};
    Future<String> f = group.spawn(s -> {
      started[0] = true;
      return Future.succeededFuture("x");
    });
    assertThat(started[0]).isFalse();
    assertThat(f.cause()).isInstanceOf(CancelledException.class);
    root.close();
  }

  @Test
  void spawning_after_join_completed_is_an_error(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    group.join().onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThatThrownBy(() -> group.spawn(s -> Future.succeededFuture(1))).isInstanceOf(IllegalStateException.class);
      root.close();
      tc.completeNow();
    })));
  }

  @Test
  void cancelling_the_parent_cancels_the_group(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    Future<Void> sleeping = group.spawn(s -> Tasks.sleep(s, 60_000));
    group.join().onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(CancelledException.class).hasMessage("shutdown");
      assertThat(sleeping.cause()).isInstanceOf(CancelledException.class);
      root.close();
      tc.completeNow();
    })));
    root.cancel("shutdown");
  }
}
