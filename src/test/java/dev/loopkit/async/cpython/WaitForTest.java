package dev.loopkit.async.cpython;

import io.vertx.core.AsyncResult;
import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.raise;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CPython's {@code Lib/test/test_asyncio/test_waitfor.py} (3.13), case by case, on loopkit's API:
 * {@code asyncio.wait_for(coro, t)} is {@code Tasks.waitFor(parent, t, (CancelScope scope) -> work)}. The work runs in
 * the wait's scope, so cancelling is releasing what it registered; a future started outside the scope is
 * not cancelled by it — loopkit's {@code asyncio.shield}. Cases marked DIFFERS assert loopkit's documented
 * behaviour (README, "asyncio differences"): chiefly, {@code waitFor} fails at the deadline, right after
 * the work's resources are released, instead of waiting for a task that ignores or delays its cancellation.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_waitfor.py")
class WaitForTest {

  /** asyncio's {@code SlowTask}: runs 200 ms whatever happens; a cancellation does not stop it. */
  static final class SlowTask {
    static final long TASK_TIMEOUT = 200;
    volatile boolean exited;

    Future<Void> run(Vertx vertx) {
      // ignores the scope: a timer nobody can cancel
      return Tasks.sleep(vertx, TASK_TIMEOUT).onComplete(ar -> exited = true);
    }
  }

  @Test
  @DisplayName("test_asyncio_wait_for_cancelled — DIFFERS: cancelling the wait does not wait for a task that ignores it")
  void test_asyncio_wait_for_cancelled(Vertx vertx, VertxTestContext tc) {
    SlowTask t = new SlowTask();
    run(vertx, tc, () -> {
      CancelScope waitForTask = CancelScope.create(vertx);
      Future<Void> f = Tasks.waitFor(waitForTask, SlowTask.TASK_TIMEOUT * 2, (CancelScope s) -> t.run(vertx));
      return Tasks.sleep(vertx, 0).compose((Void v) -> {
        waitForTask.cancel();
        return settle(f);
      }).compose((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        assertThat(t.exited).as("loopkit does not wait for it").isFalse();
        waitForTask.close();
        return Tasks.sleep(vertx, SlowTask.TASK_TIMEOUT * 2); // let it finish before the leak check
      });
    });
  }

  @Test
  @DisplayName("test_asyncio_wait_for_timeout — DIFFERS: the timeout is reported at the deadline, not when the task gives in")
  void test_asyncio_wait_for_timeout(Vertx vertx, VertxTestContext tc) {
    SlowTask t = new SlowTask();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, SlowTask.TASK_TIMEOUT / 2, (CancelScope s) -> t.run(vertx))).compose((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
      assertThat(t.exited).isFalse();
      return Tasks.sleep(vertx, SlowTask.TASK_TIMEOUT * 2);
    }));
  }

  @Test
  @DisplayName("test_wait_for_timeout_less_then_0_or_0_future_done")
  void test_wait_for_timeout_less_then_0_or_0_future_done(Vertx vertx, VertxTestContext tc) {
    Future<String> fut = Future.succeededFuture("done");
    run(vertx, tc, () -> Tasks.waitFor(vertx, 0, (CancelScope s) -> fut).map(ret -> {
      assertThat(ret).isEqualTo("done");
      assertThat(fut.isComplete()).isTrue();
      return null;
    }));
  }

  @Test
  @DisplayName("test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started — DIFFERS: the work starts; a past deadline fires on the next loop turn")
  void test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean fooStarted = new AtomicBoolean();
    run(vertx, tc, () -> {
      Future<Void> f = Tasks.waitFor(vertx, 0, (CancelScope s) -> {
        fooStarted.set(true);
        return Tasks.sleep(s, 1_000);
      });
      assertThat(fooStarted).as("started, so it could register its resources").isTrue();
      return settle(f).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_wait_for_timeout_less_then_0_or_0 (0 and -1)")
  void test_wait_for_timeout_less_then_0_or_0(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Future.join(zeroOrLess(vertx, 0), zeroOrLess(vertx, -1)));
  }

  private Future<Void> zeroOrLess(Vertx vertx, long timeout) {
    AtomicBoolean fooRunning = new AtomicBoolean();
    AtomicReference<Future<String>> fut = new AtomicReference<>();
    return settle(Tasks.waitFor(vertx, timeout, (CancelScope s) -> {
      fooRunning.set(true);
      fut.set(Tasks.sleep(s, 10_000).onComplete(ar -> fooRunning.set(false)).map("done"));
      return fut.get();
    })).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
      assertThat(fut.get().isComplete()).isTrue();
      assertThat(fut.get().cause()).as("cancelled by the timeout").isInstanceOf(CancelledException.class);
      assertThat(fooRunning).isFalse();
      return null;
    });
  }

  @Test
  @DisplayName("test_wait_for")
  void test_wait_for(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean fooRunning = new AtomicBoolean();
    AtomicReference<Future<String>> fut = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 100, (CancelScope s) -> {
      fooRunning.set(true);
      fut.set(Tasks.sleep(s, 60_000).onComplete(ar -> fooRunning.set(false)).map("done"));
      return fut.get();
    })).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
      assertThat(fut.get().cause()).isInstanceOf(CancelledException.class);
      assertThat(fooRunning).isFalse();
      return null;
    }));
  }

  @Test
  @DisplayName("test_wait_for_blocking (timeout=None)")
  void test_wait_for_blocking(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Tasks.waitFor(vertx, Deadline.NONE, (CancelScope s) -> Future.succeededFuture("done")).map(res -> {
      assertThat(res).isEqualTo("done");
      return null;
    }));
  }

  @Test
  @DisplayName("test_wait_for_race_condition")
  void test_wait_for_race_condition(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Promise<String> fut = Promise.promise();
      Future<String> task = Tasks.waitFor(vertx, 200, (CancelScope s) -> fut.future());
      vertx.runOnContext(v -> fut.complete("ok")); // loop.call_soon(fut.set_result, "ok")
      return task.map((String res) -> {
        assertThat(res).isEqualTo("ok");
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_wait_for_cancellation_race_condition: a value produced on cancellation wins")
  void test_wait_for_cancellation_race_condition(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Tasks.waitFor(vertx, 10, (CancelScope s) -> settle(Tasks.sleep(s, 1_000)).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(CancelledException.class);
      return 1;
    })).map((Integer result) -> {
      assertThat(result).isEqualTo(1);
      return null;
    }));
  }

  @Test
  @DisplayName("test_wait_for_waits_for_task_cancellation — DIFFERS: the timeout does not wait for the task's own cleanup")
  void test_wait_for_waits_for_task_cancellation(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean taskDone = new AtomicBoolean();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 1, (CancelScope s) -> Tasks.sleep(s, 10_000)
      // except CancelledError: await asyncio.sleep(EPSILON); raise / finally: task_done = True
      .transform((AsyncResult<Void> ar) -> Tasks.sleep(vertx, 1).compose(v -> Future.<Void>failedFuture(ar.cause())))
      .onComplete(ar -> taskDone.set(true)))).compose((AsyncResult<?> ar) -> {
        Throwable e = failure(ar);
        assertThat(e).isInstanceOf(DeadlineExceededException.class);
        assertThat(e.getCause()).isInstanceOf(CancelledException.class);
        assertThat(taskDone).as("not waited for").isFalse();
        return Tasks.sleep(vertx, 20);
      }).map((Void v) -> {
        assertThat(taskDone).isTrue();
        return null;
      }));
  }

  @Test
  @DisplayName("test_wait_for_waits_for_task_cancellation_w_timeout_0 — DIFFERS: the same with a zero timeout")
  void test_wait_for_waits_for_task_cancellation_w_timeout_0(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean taskDone = new AtomicBoolean();
    run(vertx, tc, () -> Tasks.sleep(vertx, 1).compose(x -> settle(Tasks.waitFor(vertx, 0, (CancelScope s) -> Tasks.sleep(s, 10_000)
      .transform((AsyncResult<Void> ar) -> Tasks.sleep(vertx, 1).compose(v -> Future.<Void>failedFuture(ar.cause())))
      .onComplete(ar -> taskDone.set(true))))).compose((AsyncResult<?> ar) -> {
        Throwable e = failure(ar);
        assertThat(e).isInstanceOf(DeadlineExceededException.class);
        assertThat(e.getCause()).isInstanceOf(CancelledException.class);
        return Tasks.sleep(vertx, 20);
      }).map((Void v) -> {
        assertThat(taskDone).isTrue();
        return null;
      }));
  }

  @Test
  @DisplayName("test_wait_for_reraises_exception_during_cancellation — DIFFERS: the timeout wins, the exception is attached to it")
  void test_wait_for_reraises_exception_during_cancellation(Vertx vertx, VertxTestContext tc) {
    class FooException extends RuntimeException {
      private static final long serialVersionUID = 1L;
    }
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 1, (CancelScope s) -> Tasks.sleep(s, 200).transform(ar -> raise(new FooException()))))
      .map((AsyncResult<?> ar) -> {
        Throwable e = failure(ar);
        assertThat(e).isInstanceOf(DeadlineExceededException.class);
        assertThat(e.getSuppressed()).singleElement().isInstanceOf(FooException.class);
        return null;
      }));
  }

  @Test
  @DisplayName("test_cancel_blocking_wait_for (timeout=None): cancelling the wait cancels the task")
  void test_cancel_blocking_wait_for(Vertx vertx, VertxTestContext tc) {
    cancelWaitFor(vertx, tc, Deadline.NONE);
  }

  @Test
  @DisplayName("test_cancel_wait_for (timeout=60): cancelling the wait cancels the task")
  void test_cancel_wait_for(Vertx vertx, VertxTestContext tc) {
    cancelWaitFor(vertx, tc, Deadline.in(60_000));
  }

  private void cancelWaitFor(Vertx vertx, VertxTestContext tc, Deadline timeout) {
    AtomicReference<Future<Void>> task = new AtomicReference<>();
    run(vertx, tc, () -> {
      CancelScope waiting = CancelScope.create(vertx);
      Future<Void> wait = Tasks.waitFor(waiting, timeout, (CancelScope s) -> {
        // blocking_coroutine: awaits a future that never completes — registered with the scope
        Promise<Void> fut = Promise.promise();
        s.onCancel(fut::tryFail);
        task.set(fut.future());
        return fut.future();
      });
      vertx.runOnContext(v -> waiting.cancel()); // loop.call_soon(wait.cancel)
      return settle(wait).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        assertThat(task.get().cause()).as("Python issue #23219").isInstanceOf(CancelledException.class);
        waiting.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_wait_for_cancel_suppressed (GH-86296): a task that returns a value on cancellation gives that value")
  void test_wait_for_cancel_suppressed(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Tasks.waitFor(vertx, 100, (CancelScope s) -> Tasks.sleep(s, 10_000).map(0).recover(err -> Future.succeededFuture(42)))
      .map((Integer res) -> {
        assertThat(res).isEqualTo(42);
        return null;
      }));
  }

  @Test
  @DisplayName("test_wait_for_issue86296: the caller cancelled right after wait_for returned is cancelled, the inner task done")
  void test_wait_for_issue86296(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean reachedEnd = new AtomicBoolean();
    run(vertx, tc, () -> {
      Future<String> innerTask = Future.succeededFuture("done");
      CancelScope task = CancelScope.create(vertx);
      Future<Void> waiting = Tasks.waitFor(task, 100_000, (CancelScope s) -> innerTask)
        .compose(v -> Tasks.sleep(task, 1_000))
        .onSuccess(v -> reachedEnd.set(true));
      return Tasks.sleep(vertx, 0).compose((Void v) -> {
        task.cancel();
        return settle(waiting);
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        assertThat(innerTask.result()).isEqualTo("done");
        assertThat(reachedEnd).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("WaitForShieldTests.test_zero_timeout: work started outside the scope (shielded) keeps running")
  void test_zero_timeout(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> task = Tasks.sleep(vertx, 10).map("done");
      return settle(Tasks.waitFor(vertx, 0, (CancelScope s) -> task)).compose((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(task.isComplete()).isFalse();
        return task;
      }).map((String done) -> {
        assertThat(done).isEqualTo("done");
        return null;
      });
    });
  }

  @Test
  @DisplayName("WaitForShieldTests.test_none_timeout")
  void test_none_timeout(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> task = Tasks.sleep(vertx, 100).map("done");
      return Tasks.waitFor(vertx, Deadline.NONE, (CancelScope s) -> task).map((String res) -> {
        assertThat(task.isComplete()).isTrue();
        assertThat(res).isEqualTo("done");
        return null;
      });
    });
  }

  @Test
  @DisplayName("WaitForShieldTests.test_shielded_timeout")
  void test_shielded_timeout(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> task = Tasks.sleep(vertx, 100).map("done");
      return settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> task)).compose((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(task.isComplete()).isFalse();
        return task;
      }).map((String done) -> {
        assertThat(done).isEqualTo("done");
        return null;
      });
    });
  }
}
