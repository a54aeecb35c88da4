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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.loopkit.async.cpython.Asyncio.MyExc;
import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.raise;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static dev.loopkit.async.cpython.Asyncio.zeroDivision;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * CPython's {@code Lib/test/test_asyncio/test_taskgroups.py} (3.13), case by case, on loopkit's API:
 * {@code async with TaskGroup() as g} in a task {@code r} is {@code TaskGroup.create(r)} under a root scope
 * {@code r} ({@code r.cancel()} is asyncio's {@code r.cancel()}); {@code g.create_task(coro)} is
 * {@code g.spawn(task)}; the end of the {@code async with} block is {@code g.join()}. The block's own
 * awaits sleep on the group's scope (asyncio cancels the body with the children) or on {@code r}; work of
 * the body that can fail the group, and a nested group, run as a task of the group. loopkit has no
 * exception groups: {@code join()} fails with the first failure, the others suppressed; so
 * {@code get_error_types(eg)} becomes "the first failure and its suppressed ones". Durations are those
 * of CPython divided by five where they only order events. Cases marked DIFFERS assert loopkit's
 * documented behaviour (README, "asyncio differences").
 * Not ported (no loopkit counterpart): {@code test_taskgroup_task_name} (futures have no names),
 * {@code test_taskgroup_task_context} (contextvars), {@code test_taskgroup_already_entered},
 * {@code _double_enter}, {@code _not_entered}, {@code _without_parent_task} (a group is entered when it
 * is created and needs no task).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_taskgroups.py")
class TaskGroupsTest {

  /** {@code asyncio.sleep(ms); return value}. */
  private static <T> Task<T> after(long ms, T value) {
    return s -> Tasks.sleep(s, ms).map(value);
  }

  /** {@code asyncio.sleep(ms); raise error}. */
  private static <T> Task<T> crashAfter(long ms, RuntimeException error) {
    return s -> Tasks.sleep(s, ms).compose(v -> raise(error));
  }

  /** The first failure and the suppressed ones, by type: asyncio's {@code get_error_types(eg)}. */
  private static List<Class<?>> errorTypes(Throwable first) {
    List<Class<?>> out = new ArrayList<>();
    out.add(first.getClass());
    Arrays.stream(first.getSuppressed()).forEach(t -> out.add(t.getClass()));
    return out;
  }

  @Test
  @DisplayName("test_taskgroup_01")
  void test_taskgroup_01(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Integer> t1 = g.spawn(after(20, 42));
      Future<Integer> t2 = g.spawn(after(40, 11));
      return g.join().map(v -> {
        assertThat(t1.result()).isEqualTo(42);
        assertThat(t2.result()).isEqualTo(11);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_02")
  void test_taskgroup_02(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Integer> t1 = g.spawn(after(20, 42));
      AtomicReference<Future<Integer>> t2 = new AtomicReference<>();
      return Tasks.sleep(g.scope(), 30).compose(v -> {
        t2.set(g.spawn(after(40, 11)));
        return g.join();
      }).map(v -> {
        assertThat(t1.result()).isEqualTo(42);
        assertThat(t2.get().result()).isEqualTo(11);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_03: a child cancelled on its own (its own scope) is not a failure; the group finishes normally")
  void test_taskgroup_03(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      AtomicReference<CancelScope> t1Scope = new AtomicReference<>();
      Future<Integer> t1 = g.spawn(s -> {
        CancelScope own = s.child();
        t1Scope.set(own);
        return Tasks.sleep(own, 1_000).map(42).onComplete(ar -> own.close());
      });
      AtomicReference<Future<Integer>> t2 = new AtomicReference<>();
      return Tasks.sleep(g.scope(), 30).compose(v -> {
        t1Scope.get().cancel(); // t1.cancel()
        t2.set(g.spawn(after(40, 11)));
        return g.join();
      }).map(v -> {
        assertThat(t1.cause()).isInstanceOf(CancelledException.class);
        assertThat(t2.get().result()).isEqualTo(11);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_04")
  void test_taskgroup_04(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    AtomicBoolean t2Cancel = new AtomicBoolean();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      g.spawn(crashAfter(20, zeroDivision()));
      Future<Void> t2 = g.spawn(s -> Tasks.sleep(s, 1_000)
        .onFailure(e -> t2Cancel.set(e instanceof CancelledException))
        .onSuccess(v -> num.addAndGet(1)));
      return settle(g.join().onSuccess(v -> num.addAndGet(10))).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class);
        assertThat(num).hasValue(0);
        assertThat(t2Cancel).isTrue();
        assertThat(t2.cause()).isInstanceOf(CancelledException.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancel_children_on_child_error")
  void test_cancel_children_on_child_error(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    AtomicBoolean t2Cancel = new AtomicBoolean();
    AtomicBoolean runnerCancel = new AtomicBoolean();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      for (int i = 0; i < 3; i++) {
        g.spawn(crashAfter(20, zeroDivision()));
      }
      g.spawn(s -> Tasks.sleep(s, 5_000)
        .onFailure(e -> t2Cancel.set(e instanceof CancelledException))
        .onSuccess(v -> num.addAndGet(1)));
      Future<Void> runner = Tasks.sleep(g.scope(), 10_000)
        .onFailure(e -> runnerCancel.set(e instanceof CancelledException))
        .transform(ar -> g.join())
        .onSuccess(v -> num.addAndGet(10));
      return settle(runner).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class);
        assertThat(num).hasValue(0);
        assertThat(t2Cancel).isTrue();
        assertThat(runnerCancel).isTrue();
        r.close();
        return null;
      });
    });
  }

  /** Five children counting their cancellations; {@code r} is cancelled with "test" after 20 ms. */
  private Future<AsyncResult<Void>> cancelAfterFive(Vertx vertx, CancelScope r, TaskGroup g, AtomicInteger num, Future<Void> body) {
    for (int i = 0; i < 5; i++) {
      g.spawn(s -> Tasks.sleep(s, 5_000).onFailure(e -> {
        if (e instanceof CancelledException) {
          num.incrementAndGet();
        }
      }));
    }
    Future<Void> runner = body.transform(ar -> g.join());
    return Tasks.sleep(vertx, 20).compose(v -> {
      assertThat(runner.isComplete()).isFalse();
      r.cancel("test");
      return settle(runner);
    });
  }

  @Test
  @DisplayName("test_cancellation")
  void test_cancellation(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      return cancelAfterFive(vertx, r, g, num, Future.succeededFuture()).map(ar -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class).hasMessage("test");
        assertThat(num).hasValue(5);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_07")
  void test_taskgroup_07(Vertx vertx, VertxTestContext tc) {
    AtomicInteger num = new AtomicInteger();
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Void> body = Tasks.sleep(g.scope(), 10_000).onFailure(e -> num.addAndGet(10));
      return cancelAfterFive(vertx, r, g, num, body).map(ar -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class);
        assertThat(num).hasValue(15);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_08: children crashing while cancelled — their errors take precedence over the cancellation")
  void test_taskgroup_08(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      for (int i = 0; i < 5; i++) {
        g.spawn(s -> Tasks.sleep(s, 10_000).transform(ar -> raise(zeroDivision()))); // try: sleep finally: 1/0
      }
      Future<Void> runner = Tasks.sleep(g.scope(), 10_000).transform(ar -> g.join());
      return Tasks.sleep(vertx, 20).compose(v -> {
        assertThat(runner.isComplete()).isFalse();
        r.cancel();
        return settle(runner);
      }).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class).hasSize(5);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancellation_in_body")
  void test_cancellation_in_body(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      for (int i = 0; i < 5; i++) {
        g.spawn(crashAfter(300, zeroDivision()));
      }
      Future<Void> runner = Tasks.sleep(g.scope(), 10_000).transform(ar -> g.join());
      return Tasks.sleep(vertx, 20).compose(v -> {
        assertThat(runner.isComplete()).isFalse();
        r.cancel("test");
        return settle(runner);
      }).map(ar -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class).hasMessage("test");
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_09: the body fails (run as a task of the group) after a sleep")
  void test_taskgroup_09(Vertx vertx, VertxTestContext tc) {
    bodyFails(vertx, tc, 20);
  }

  @Test
  @DisplayName("test_taskgroup_10: the body fails at once")
  void test_taskgroup_10(Vertx vertx, VertxTestContext tc) {
    bodyFails(vertx, tc, -1);
  }

  private void bodyFails(Vertx vertx, VertxTestContext tc, long sleepFirst) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g = TaskGroup.create(r);
      Future<Integer> t1 = g.spawn(after(1_000, 42));
      Future<Integer> t2 = g.spawn(after(2_000, 11));
      g.spawn(s -> {
        if (sleepFirst < 0) {
          throw zeroDivision();
        }
        return Tasks.sleep(s, sleepFirst).compose(v -> raise(zeroDivision()));
      });
      return settle(g.join()).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(ArithmeticException.class);
        assertThat(t1.cause()).isInstanceOf(CancelledException.class);
        assertThat(t2.cause()).isInstanceOf(CancelledException.class);
        r.close();
        return null;
      });
    });
  }

  /** A group nested in {@code outer}'s body: a task of {@code outer} that creates, fills and joins it. */
  private static Task<Void> nested(java.util.function.Consumer<TaskGroup> fill, java.util.function.Function<TaskGroup, Future<Void>> body) {
    return s -> {
      TaskGroup g2 = TaskGroup.create(s);
      fill.accept(g2);
      return body.apply(g2).transform(ar -> g2.join());
    };
  }

  @Test
  @DisplayName("test_taskgroup_11: nested groups, the runner cancelled")
  void test_taskgroup_11(Vertx vertx, VertxTestContext tc) {
    nestedCancelled(vertx, tc, false);
  }

  @Test
  @DisplayName("test_taskgroup_12: nested groups with a sleeping sibling, the runner cancelled")
  void test_taskgroup_12(Vertx vertx, VertxTestContext tc) {
    nestedCancelled(vertx, tc, true);
  }

  private void nestedCancelled(Vertx vertx, VertxTestContext tc, boolean sibling) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g1 = TaskGroup.create(r);
      if (sibling) {
        g1.spawn(s -> Tasks.sleep(s, 10_000));
      }
      g1.spawn(nested(g2 -> {
        for (int i = 0; i < 5; i++) {
          g2.spawn(crashAfter(300, zeroDivision()));
        }
      }, g2 -> Tasks.sleep(g2.scope(), 10_000)));
      Future<Void> runner = g1.join();
      return Tasks.sleep(vertx, 20).compose(v -> {
        assertThat(runner.isComplete()).isFalse();
        r.cancel();
        return settle(runner);
      }).map(ar -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class);
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_13: the outer group's child crashes first")
  void test_taskgroup_13(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g1 = TaskGroup.create(r);
      g1.spawn(crashAfter(20, new IllegalStateException("ValueError 0.1")));
      g1.spawn(nested(g2 -> g2.spawn(crashAfter(10_000, new IllegalStateException("ValueError 10"))), g2 -> Future.succeededFuture()));
      return settle(g1.join()).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(IllegalStateException.class);
        assertThat(failure(ar)).hasMessage("ValueError 0.1");
        r.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_taskgroup_14: the inner group's child crashes first (no nested exception group: the failure itself)")
  void test_taskgroup_14(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      TaskGroup g1 = TaskGroup.create(r);
      g1.spawn(crashAfter(10_000, new IllegalStateException("ValueError 10")));
      g1.spawn(nested(g2 -> g2.spawn(crashAfter(20, new IllegalStateException("ValueError 0.1"))), g2 -> Future.succeededFuture()));
      return settle(g1.join()).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsOnly(IllegalStateException.class);
        assertThat(failure(ar)).hasMessage("ValueError 0.1");
        r.close();
        return null;
      });
    });
  }

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
    }).map(ar -> {
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
      }).map(ar -> {
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
      }).map(ar -> {
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
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyExc("in finally")).map(ar -> {
        assertThat(errorTypes(failure(ar))).containsExactly(ArithmeticException.class, MyExc.class);
        r.close();
        return null;
      });
    });
  }

  /** asyncio's {@code KeyboardInterrupt} / {@code MyBaseExc}: a {@link Throwable} outside {@link Exception}. */
  static final class MyBaseExc extends Error {
    private static final long serialVersionUID = 1L;

    MyBaseExc(String message) {
      super(message);
    }
  }

  @Test
  @DisplayName("test_taskgroup_20 — DIFFERS: an Error (KeyboardInterrupt) is a failure like any other, it is not raised on its own")
  void test_taskgroup_20(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope r = CancelScope.create(vertx);
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyBaseExc("KeyboardInterrupt")).map(ar -> {
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
      return crashSoonAndNested(vertx, r, zeroDivision(), new MyBaseExc("MyBaseExc")).map(ar -> {
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
      return settle(g.join()).map(ar -> {
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
      }).map(ar -> {
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
      return settle(g.join()).map(ar -> {
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
      return settle(g.join()).map(ar -> {
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
      return settle(tg.join()).map(ar -> {
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
      return settle(tg.join()).map(ar -> {
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
      }).map(ar -> {
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
      }).map(ar -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        t.close();
        return null;
      });
    });
  }
}
