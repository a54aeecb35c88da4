package dev.loopkit.async.cpython;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Task;
import dev.loopkit.async.TaskGroup;
import dev.loopkit.async.Tasks;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.loopkit.async.cpython.Asyncio.MyBaseExc;
import static dev.loopkit.async.cpython.Asyncio.MyExc;
import static dev.loopkit.async.cpython.Asyncio.after;
import static dev.loopkit.async.cpython.Asyncio.crashAfter;
import static dev.loopkit.async.cpython.Asyncio.errorTypes;
import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.raise;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static dev.loopkit.async.cpython.Asyncio.zeroDivision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CPython's {@code test_taskgroups.py} (3.13), second half: from {@code test_taskgroup_15} on — bodies that
 * clean up or fail while cancelled, errors that are not exceptions, groups growing while they run,
 * spawning after failure or after the end, nested groups both failing. Same mapping as
 * {@link TaskGroupsTest}.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_taskgroups.py (2/2)")
class TaskGroups2Test {

  @Test
  @DisplayName("test_taskgroup_15: the body, cancelled, cleans up (in a fresh scope) before re-raising")
  void test_taskgroup_15(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      return cancelledBodyCleansUp(vertx, r, r);
    });
  }

  @Test
  @DisplayName("test_taskgroup_16: the same, the group in a task of the runner")
  void test_taskgroup_16(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      CancelScope t = r.child(); // t = asyncio.create_task(nested_runner()); await t
      return cancelledBodyCleansUp(vertx, r, t).onComplete(ar -> t.close());
    });
  }

  private Future<Void> cancelledBodyCleansUp(Vertx vertx, CancelScope r, CancelScope task) {
    TaskGroup g1 = TaskGroup.create(task);
    g1.spawn(crashAfter(300, zeroDivision()));
    Future<Void> runner = Tasks.sleep(task, 10_000)
      .transform(ar -> Tasks.sleep(vertx, 100).compose(v -> Future.<Void>failedFuture(ar.cause()))) // except: sleep(0.5); raise
      .transform(ar -> g1.join());
    return Tasks.sleep(vertx, 20).compose(v -> {
      assertThat(runner.isComplete()).isFalse();
      r.cancel();
      return settle(runner);
    }).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(CancelledException.class);
      r.close();
      return null;
    });
  }

  @Test
  @DisplayName("test_taskgroup_17: the parent cancelled while the body sleeps on it — the body hears first, join() still fails with the cancellation")
  void test_taskgroup_17(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Void> runner = Tasks.sleep(r, 10_000)
        .onFailure(e -> num.addAndGet(10))
        .transform(ar -> g.join());
      return Tasks.sleep(vertx, 20).compose(v -> {
        assertThat(runner.isComplete()).isFalse();
        r.cancel();
        return settle(runner);
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class);
        assertThat(num).hasValue(10);
        assertThat(g.scope().isClosed()).isTrue();
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_18: the body turns its cancellation into MyExc")
  void test_taskgroup_18(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(s -> Tasks.sleep(s, 10_000).recover(e -> {
        num.addAndGet(10);
        return raise(new MyExc("from the cancellation"));
      }));
      Future<Void> runner = g.join();
      return Tasks.sleep(vertx, 20).compose(v -> {
        assertThat(runner.isComplete()).isFalse();
        r.cancel();
        return settle(runner);
      }).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsOnly(MyExc.class);
        assertThat(num).hasValue(10);
        r.close();
        return null;
      });
    });
  }

  /** crash_soon (1/0 after 20 ms) and a body whose cleanup raises {@code inCleanup}. */
  private Future<AsyncResult<Void>> crashSoonAndNested(Vertx vertx, CancelScope r, RuntimeException soon, Throwable inCleanup) {
    TaskGroup g = TaskGroup.create(r);
    g.spawn(crashAfter(20, soon));
    g.spawn(s -> Tasks.sleep(s, 10_000).transform(ar -> Future.<Void>failedFuture(inCleanup))); // try: sleep finally: raise
    return settle(g.join());
  }

  @Test
  @DisplayName("test_taskgroup_19")
  void test_taskgroup_19(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyExc("in finally")).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsExactly(ArithmeticException.class, MyExc.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_20 — DIFFERS: an Error (KeyboardInterrupt) is a failure like any other, it is not raised on its own")
  void test_taskgroup_20(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyBaseExc("KeyboardInterrupt")).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsExactly(ArithmeticException.class, MyBaseExc.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_20a")
  void test_taskgroup_20a(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyBaseExc("MyBaseExc")).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsExactlyInAnyOrder(MyBaseExc.class, ArithmeticException.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_21a")
  void test_taskgroup_21a(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(s -> Tasks.sleep(s, 20).compose(v -> Future.failedFuture(new MyBaseExc("crash_soon"))));
      g.spawn(s -> Tasks.sleep(s, 10_000).transform(ar -> raise(new IllegalArgumentException("TypeError"))));
      return settle(g.join()).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsExactlyInAnyOrder(MyBaseExc.class, IllegalArgumentException.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_22")
  void test_taskgroup_22(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(after(1_000, 42));
      g.spawn(after(2_000, 11));
      Future<Void> runner = g.join();
      return Tasks.sleep(vertx, 10).compose(v -> {
        r.cancel();
        return settle(runner);
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_23: finished tasks leave the group")
  void test_taskgroup_23(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Void> loop = Future.succeededFuture();
      for (int i = 0; i < 10; i++) {
        int count = i;
        loop = loop.compose(v -> Tasks.sleep(g.scope(), 20)).map(v -> {
          g.spawn(s -> Tasks.sleep(s, 40));
          if (count == 5) {
            assertThat(g.running()).isLessThan(5);
          }
          return null;
        });
      }
      return loop.compose(v -> Tasks.sleep(g.scope(), 270)).compose(v -> {
        assertThat(g.running()).isZero();
        return g.join();
      }).onComplete(ar -> r.close());
    });
  }

  @Test
  @DisplayName("test_taskgroup_24: a task spawns into its own group")
  void test_taskgroup_24(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(s -> Tasks.sleep(s, 20).map(v -> {
        g.spawn(s2 -> Tasks.sleep(s2, 20));
        g.spawn(s2 -> Tasks.sleep(s2, 40));
        return null;
      }));
      return g.join().onComplete(ar -> r.close());
    });
  }

  @Test
  @DisplayName("test_taskgroup_25: hydras keep spawning until hercules fails the group")
  void test_taskgroup_25(Vertx vertx, VertxTestContext tc) {
    AtomicInteger nhydras = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(hydra(g, nhydras));
      g.spawn(s -> hercules(s, nhydras));
      return settle(g.join()).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class);
        assertThat(nhydras.get()).isGreaterThanOrEqualTo(10);
        r.close();
        return null;
      });
    });
  }

  private static Task<Void> hydra(TaskGroup g, AtomicInteger nhydras) {
    return s -> {
      nhydras.incrementAndGet();
      return Tasks.sleep(s, 10).map(v -> {
        g.spawn(hydra(g, nhydras));
        g.spawn(hydra(g, nhydras));
        return null;
      });
    };
  }

  private static Future<Void> hercules(CancelScope s, AtomicInteger nhydras) {
    if (nhydras.get() >= 10) {
      return raise(zeroDivision());
    }
    return Tasks.sleep(s, 15).compose(v -> hercules(s, nhydras));
  }

  @Test
  @DisplayName("test_taskgroup_no_create_task_after_failure — DIFFERS: spawn after a failure starts nothing and returns the cancellation instead of raising")
  void test_taskgroup_no_create_task_after_failure(Vertx vertx, VertxTestContext tc) {
    AtomicReference<Future<Void>> late = new AtomicReference<>();
    AtomicBoolean lateStarted = new AtomicBoolean();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(crashAfter(1, zeroDivision()));
      g.spawn(s -> Tasks.sleep(s, 1_000).onFailure(e -> late.set(g.spawn(s2 -> {
        lateStarted.set(true);
        return Future.succeededFuture();
      }))));
      return settle(g.join()).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class);
        assertThat(late.get().cause()).isInstanceOf(CancelledException.class);
        assertThat(lateStarted).isFalse();
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_context_manager_exit_raises: a failing cleanup in the body is a second failure; the task is not cancelled")
  void test_taskgroup_context_manager_exit_raises(Vertx vertx, VertxTestContext tc) {
    class CustomException extends RuntimeException {
      private static final long serialVersionUID = 1L;
    }
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      TaskGroup tg = TaskGroup.create(task);
      // async with database(): tg.create_task(raise_exc()); await asyncio.sleep(1) — database's finally raises
      tg.spawn(s -> Tasks.sleep(s, 1_000).transform(ar -> raise(new CustomException())));
      tg.spawn(s -> Tasks.sleep(s, 0).compose(v -> raise(new CustomException())));
      return settle(tg.join()).map((AsyncResult<?> ar) -> {
        assertThat(errorTypes(failure(ar))).containsExactly(CustomException.class, CustomException.class);
        assertThat(task.isCancelled()).isFalse(); // task.cancelling() == 0
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_finished: spawn after join() completed raises, and does not start the task")
  void test_taskgroup_finished(Vertx vertx, VertxTestContext tc) {
    AtomicBoolean started = new AtomicBoolean();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup tg = TaskGroup.create(r);
      return tg.join().map(v -> {
        assertThatThrownBy(() -> tg.spawn(s -> {
          started.set(true);
          return Tasks.sleep(s, 0);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("is finished");
        assertThat(started).isFalse();
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_coro_closed_when_tg_closed: a task refused by a finished group is never run")
  void test_coro_closed_when_tg_closed(Vertx vertx, VertxTestContext tc) {
    AtomicInteger calls = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup tg = TaskGroup.create(r);
      return tg.join().map(v -> {
        Task<Void> coro = s -> {
          calls.incrementAndGet();
          return Future.succeededFuture();
        };
        assertThatThrownBy(() -> tg.spawn(coro)).hasMessageContaining("is finished");
        assertThat(calls).hasValue(0);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancelling_level_preserved: a failed group leaves its parent uncancelled")
  void test_cancelling_level_preserved(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      TaskGroup tg = TaskGroup.create(task);
      tg.spawn(crashAfter(0, new IllegalStateException("RuntimeError")));
      return settle(tg.join()).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).hasMessage("RuntimeError");
        assertThat(task.isCancelled()).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_nested_groups_both_cancelled")
  void test_nested_groups_both_cancelled(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      TaskGroup outer = TaskGroup.create(task);
      TaskGroup inner = TaskGroup.create(outer.scope());
      inner.spawn(crashAfter(0, new IllegalStateException("RuntimeError")));
      outer.spawn(crashAfter(0, new IllegalArgumentException("ValueError")));
      return settle(inner.join()).compose(ar -> {
        assertThat(failure(ar)).hasMessage("RuntimeError"); // except* RuntimeError: pass
        return settle(outer.join());
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).hasMessage("ValueError");
        assertThat(task.isCancelled()).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_error_and_cancel: the group's error is handled, then the cancelled task's next await is cancelled")
  void test_error_and_cancel(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Promise<Void> event = Promise.promise();
      CancelScope t = CancelScope.create(vertx);
      TaskGroup tg = TaskGroup.create(t);
      tg.spawn(s -> {
        event.tryComplete();
        return Tasks.sleep(s, 0).compose(v -> raise(new IllegalStateException("RuntimeError")));
      });
      Future<Void> inner = Tasks.sleep(tg.scope(), 1_000)
        .transform(ar -> tg.join())
        .recover(err -> {
          assertThat(err).hasMessage("RuntimeError"); // except* RuntimeError
          return Future.succeededFuture();
        })
        .compose(v -> Tasks.sleep(t, 1_000)); // "Sleep after group should have been cancelled"
      return event.future().compose(v -> Tasks.sleep(vertx, 0)).compose(v -> {
        assertThat(t.isCancelled()).isFalse();
        t.cancel();
        return settle(inner);
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        t.close();
        return null;
      });
    });
  }
}
