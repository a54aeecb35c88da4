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

  @Test
  @DisplayName("two children failing with the same exception object (both waiting on one failed future): join completes, the scope closes")
  void same_exception_from_two_children(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    io.vertx.core.Promise<String> shared = io.vertx.core.Promise.promise();
    group.spawn(s -> shared.future());
    group.spawn(s -> shared.future());
    IllegalStateException boom = new IllegalStateException("shared");
    group.join().onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isSameAs(boom);
      assertThat(err.getSuppressed()).as("the same object counts once").isEmpty();
      assertThat(group.scope().isClosed()).isTrue();
      root.close();
      assertThat(LiveResources.of(vertx).get(LiveResources.SCOPES)).isZero();
      tc.completeNow();
    })));
    shared.fail(boom);
  }

  @Test
  @DisplayName("a child cancelled through its own scope is not a failure: siblings keep running, join succeeds")
  void child_cancelled_on_its_own_is_not_a_failure(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    CancelScope[] own = new CancelScope[1];
    Future<Void> cancelled = group.spawn(s -> {
      own[0] = s.child();
      return Tasks.sleep(own[0], 60_000).onComplete(ar -> own[0].close());
    });
    Future<String> sibling = group.spawn(s -> Tasks.sleep(s, 30).map("sibling"));
    own[0].cancel("not needed any more");
    group.join().onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(cancelled.cause()).isInstanceOf(CancelledException.class);
      assertThat(sibling.result()).isEqualTo("sibling");
      root.close();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a timeout escaping a child (its own waitFor) is a failure, like asyncio's TimeoutError")
  void timeout_in_a_child_is_a_failure(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    Future<Void> sibling = group.spawn(s -> Tasks.sleep(s, 60_000));
    group.spawn(s -> Tasks.waitFor(s, 10, in -> Tasks.sleep(in, 60_000)));
    group.join().onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class);
      assertThat(sibling.cause()).isInstanceOf(CancelledException.class);
      root.close();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("the parent's deadline is the group's cancellation, not a failure: join fails with that DeadlineExceededException")
  void parent_deadline_is_a_cancellation(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.withTimeout(vertx, 20);
    TaskGroup group = TaskGroup.create(root);
    group.spawn(s -> Tasks.sleep(s, 60_000));
    group.spawn(s -> Tasks.waitFor(s, 60_000, in -> Tasks.sleep(in, 60_000)));
    group.join().onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class).isSameAs(root.reason());
      assertThat(err.getSuppressed()).isEmpty();
      root.close();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("the parent cancelled while the body sleeps on it: the body hears first and joins — join still fails with the cancellation")
  void parent_cancel_heard_by_the_body_first(Vertx vertx, VertxTestContext tc) {
    CancelScope root = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(root);
    Tasks.sleep(root, 60_000)
      .transform(ar -> group.join())
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(CancelledException.class).hasMessage("shutdown");
        assertThat(group.scope().isClosed()).isTrue();
        root.close();
        tc.completeNow();
      })));
    root.cancel("shutdown");
  }
}
