package dev.loopkit.async.cpython;

import io.vertx.core.AsyncResult;
import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.TaskGroup;
import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.atomic.AtomicReference;

import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.raise;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static dev.loopkit.async.cpython.Asyncio.zeroDivision;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CPython's {@code Lib/test/test_asyncio/test_timeouts.py} (3.13), case by case, on loopkit's API:
 * {@code async with asyncio.timeout(d) as cm: body} is {@code Tasks.timeout(parent, d, (CancelScope cm) -> body)} (the
 * task's scope is {@code cm}); {@code timeout_at(when)} is {@code Tasks.waitFor(parent, Deadline, task)};
 * {@code cm.expired()} / {@code cm.when()} are {@code expired()} / {@code deadline()};
 * {@code TimeoutError} is {@link DeadlineExceededException}; the current task is a root scope.
 * Cases marked DIFFERS assert loopkit's documented behaviour (README, "asyncio differences").
 * Not ported (no loopkit counterpart): {@code test_timeout_already_entered}, {@code _double_enter},
 * {@code _not_entered} (a scope is entered when it is created), {@code test_timeout_finished},
 * {@code _expired} (they test {@code reschedule}, which loopkit does not have).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_timeouts.py")
class TimeoutsTest {

  @Test
  @DisplayName("test_timeout_basic")
  void test_timeout_basic(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      return settle(Tasks.timeout(task, 10, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 10_000);
      })).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(cm.get().expired()).isTrue();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_timeout_at_basic")
  void test_timeout_at_basic(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      Deadline deadline = Deadline.in(10);
      return settle(Tasks.waitFor(vertx, deadline, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 10_000);
      })).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(cm.get().expired()).isTrue();
        assertThat(cm.get().deadline()).isEqualTo(deadline);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_nested_timeouts: same deadline — only the outer one raises the timeout, both are expired")
  void test_nested_timeouts(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm1 = new AtomicReference<>();
    AtomicReference<CancelScope> cm2 = new AtomicReference<>();
    AtomicReference<Throwable> inner = new AtomicReference<>();
    run(vertx, tc, () -> {
      Deadline deadline = Deadline.in(10);
      return settle(Tasks.waitFor(vertx, deadline, (CancelScope s1) -> {
        cm1.set(s1);
        return Tasks.waitFor(s1, deadline, (CancelScope s2) -> {
          cm2.set(s2);
          return Tasks.sleep(s2, 10_000);
        }).onFailure(inner::set);
      })).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(inner.get()).as("the inner block re-raises the cancellation").isSameAs(cm1.get().reason());
        assertThat(cm1.get().expired()).isTrue();
        assertThat(cm2.get().expired()).isTrue();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_waiter_cancelled")
  void test_waiter_cancelled(Vertx vertx, VertxTestContext tc) {
    AtomicReference<Throwable> sleep = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> Tasks.sleep(s, 10_000).onFailure(sleep::set)))
      .map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(sleep.get()).isInstanceOf(CancelledException.class);
        return null;
      }));
  }

  @Test
  @DisplayName("test_timeout_not_called")
  void test_timeout_not_called(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> Tasks.waitFor(vertx, 10_000, (CancelScope s) -> {
      cm.set(s);
      return Tasks.sleep(s, 10);
    }).map((Void v) -> {
      assertThat(cm.get().expired()).isFalse();
      assertThat(cm.get().deadline().remainingMs()).isPositive();
      return null;
    }));
  }

  @Test
  @DisplayName("test_timeout_disabled")
  void test_timeout_disabled(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> Tasks.waitFor(vertx, Deadline.NONE, (CancelScope s) -> {
      cm.set(s);
      return Tasks.sleep(s, 10);
    }).map((Void v) -> {
      assertThat(cm.get().expired()).isFalse();
      assertThat(cm.get().deadline().isNone()).isTrue();
      return null;
    }));
  }

  @Test
  @DisplayName("test_timeout_at_disabled (the scope API: child(Deadline.NONE))")
  void test_timeout_at_disabled(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      CancelScope cm = task.child(Deadline.NONE);
      return Tasks.sleep(cm, 10).map((Void v) -> {
        assertThat(cm.expired()).isFalse();
        assertThat(cm.deadline().isNone()).isTrue();
        cm.close();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_timeout_zero")
  void test_timeout_zero(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      long t0 = System.nanoTime();
      return settle(Tasks.waitFor(vertx, 0, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 10_000);
      })).map((AsyncResult<?> ar) -> {
        long t1 = System.nanoTime();
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(cm.get().expired()).isTrue();
        assertThat(cm.get().deadline().nanoTime()).isBetween(t0, t1);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_timeout_zero_sleep_zero")
  void test_timeout_zero_sleep_zero(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      long t0 = System.nanoTime();
      return settle(Tasks.waitFor(vertx, 0, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 0);
      })).map((AsyncResult<?> ar) -> {
        long t1 = System.nanoTime();
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(cm.get().expired()).isTrue();
        assertThat(cm.get().deadline().nanoTime()).isBetween(t0, t1);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_timeout_in_the_past_sleep_zero")
  void test_timeout_in_the_past_sleep_zero(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      long t0 = System.nanoTime();
      return settle(Tasks.waitFor(vertx, -11_000, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 0);
      })).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(cm.get().expired()).isTrue();
        assertThat(cm.get().deadline().nanoTime()).isLessThan(t0);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_foreign_exception_passed")
  void test_foreign_exception_passed(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    IllegalArgumentException keyError = new IllegalArgumentException("KeyError");
    run(vertx, tc, () -> settle(Tasks.<Void>waitFor(vertx, 10, (CancelScope s) -> {
      cm.set(s);
      throw keyError;
    })).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isSameAs(keyError);
      assertThat(cm.get().expired()).isFalse();
      return null;
    }));
  }

  @Test
  @DisplayName("test_timeout_exception_context: the timeout's cause is the cancellation, which has no cause")
  void test_timeout_exception_context(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, s ->
      // try: 1/0 finally: await asyncio.sleep(1)
      Asyncio.<Void>raise(zeroDivision()).transform(ar -> Tasks.sleep(s, 1_000).compose(v -> Future.<Void>failedFuture(ar.cause())))
    )).map((AsyncResult<?> ar) -> {
      Throwable e = failure(ar);
      assertThat(e).isInstanceOf(DeadlineExceededException.class);
      assertThat(e.getCause()).isInstanceOf(CancelledException.class);
      assertThat(e.getCause().getCause()).isNull();
      return null;
    }));
  }

  @Test
  @DisplayName("test_foreign_exception_on_timeout — DIFFERS: a crash while cancelling is attached to the timeout, which wins")
  void test_foreign_exception_on_timeout(Vertx vertx, VertxTestContext tc) {
    // async def crash(): try: await asyncio.sleep(1) finally: 1/0
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> Tasks.sleep(s, 1_000).transform(ar -> raise(zeroDivision()))))
      .map((AsyncResult<?> ar) -> {
        Throwable e = failure(ar);
        assertThat(e).isInstanceOf(DeadlineExceededException.class);
        assertThat(e.getCause()).isInstanceOf(CancelledException.class);
        assertThat(e.getSuppressed()).singleElement().isInstanceOf(ArithmeticException.class);
        return null;
      }));
  }

  @Test
  @DisplayName("test_foreign_exception_on_timeout_2 — DIFFERS: the last crash while cancelling is attached to the timeout")
  void test_foreign_exception_on_timeout_2(Vertx vertx, VertxTestContext tc) {
    // try: try: raise ValueError finally: await sleep(1) finally: try: raise KeyError finally: 1/0
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> Asyncio.<Void>raise(new IllegalStateException("ValueError"))
      .transform(ar -> Tasks.sleep(s, 1_000))
      .transform(ar -> Asyncio.<Void>raise(new IllegalArgumentException("KeyError")))
      .transform(ar -> Asyncio.<Void>raise(zeroDivision())))).map((AsyncResult<?> ar) -> {
        Throwable e = failure(ar);
        assertThat(e).isInstanceOf(DeadlineExceededException.class);
        assertThat(e.getCause()).isInstanceOf(CancelledException.class);
        assertThat(e.getSuppressed()).singleElement().isInstanceOf(ArithmeticException.class);
        return null;
      }));
  }

  @Test
  @DisplayName("test_foreign_cancel_doesnt_timeout_if_not_expired")
  void test_foreign_cancel_doesnt_timeout_if_not_expired(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      return settle(Tasks.timeout(task, 10_000, (CancelScope s) -> {
        cm.set(s);
        task.cancel(); // asyncio.current_task().cancel()
        return Tasks.sleep(s, 10_000);
      })).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        assertThat(cm.get().expired()).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_outer_task_is_not_cancelled")
  void test_outer_task_is_not_cancelled(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      return settle(Tasks.timeout(task, 1, (CancelScope s) -> Tasks.sleep(s, 10_000))).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        assertThat(task.isCancelled()).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_nested_timeouts_concurrent: the outer fires first; the inner passes its cancellation on")
  void test_nested_timeouts_concurrent(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> outer = new AtomicReference<>();
    AtomicReference<Throwable> inner = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 20, (CancelScope s1) -> {
      outer.set(s1);
      return Tasks.waitFor(s1, 1_000, (CancelScope s2) -> Tasks.sleep(s2, 10_000)).onFailure(inner::set);
    })).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
      assertThat(inner.get()).isSameAs(outer.get().reason());
      return null;
    }));
  }

  @Test
  @DisplayName("test_nested_timeouts_loop_busy: the inner timeout is caught, the outer one still interrupts what follows (without blocking the loop)")
  void test_nested_timeouts_loop_busy(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      long t0 = System.nanoTime();
      return settle(Tasks.waitFor(vertx, 200, (CancelScope s1) -> Tasks.waitFor(s1, 20, (CancelScope s2) -> Tasks.sleep(s2, 1_000))
        .recover(err -> {
          assertThat(err).isInstanceOf(DeadlineExceededException.class); // caught by (2)
          return Future.succeededFuture();
        })
        .compose(v -> Tasks.sleep(s1, 10_000)))).map((AsyncResult<?> ar) -> {
          assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
          assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(1_000 + 2_000);
          return null;
        });
    });
  }

  @Test
  @DisplayName("test_reschedule — DIFFERS: deadlines cannot be moved (no reschedule); a cancel of the task is not an expiry")
  void test_reschedule(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      Deadline deadline1 = Deadline.in(10_000);
      Future<Void> f = Tasks.waitFor(task, deadline1, (CancelScope s) -> {
        cm.set(s);
        return Tasks.sleep(s, 50_000);
      });
      assertThat(cm.get().deadline()).isEqualTo(deadline1);
      task.cancel();
      return settle(f).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        assertThat(cm.get().expired()).isFalse();
        task.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_repr_active")
  void test_repr_active(Vertx vertx) {
    try (CancelScope cm = CancelScope.withTimeout(vertx, 10_000)) {
      assertThat(cm.toString()).matches("CancelScope\\[active, Deadline\\[in \\d+ ms]]");
    }
  }

  @Test
  @DisplayName("test_repr_expired")
  void test_repr_expired(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> {
      cm.set(s);
      return Tasks.sleep(s, 10_000);
    })).map((AsyncResult<?> ar) -> {
      failure(ar);
      assertThat(cm.get()).hasToString("CancelScope[expired]");
      return null;
    }));
  }

  @Test
  @DisplayName("test_repr_finished")
  void test_repr_finished(Vertx vertx, VertxTestContext tc) {
    AtomicReference<CancelScope> cm = new AtomicReference<>();
    run(vertx, tc, () -> Tasks.waitFor(vertx, 10_000, (CancelScope s) -> {
      cm.set(s);
      return Tasks.sleep(s, 0);
    }).map((Void v) -> {
      assertThat(cm.get()).hasToString("CancelScope[closed]");
      return null;
    }));
  }

  @Test
  @DisplayName("test_repr_disabled")
  void test_repr_disabled(Vertx vertx) {
    try (CancelScope cm = CancelScope.withDeadline(vertx, Deadline.NONE)) {
      assertThat(cm).hasToString("CancelScope[active, Deadline[none]]");
    }
  }

  @Test
  @DisplayName("test_nested_timeout_in_finally: cleanup after a timeout gets a timeout of its own (in a fresh scope)")
  void test_nested_timeout_in_finally(Vertx vertx, VertxTestContext tc) {
    AtomicReference<Future<Void>> cleanup = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> Tasks.sleep(s, 1_000).onFailure(err ->
      // finally: async with asyncio.timeout(0.01): await asyncio.sleep(10) — the cancelled scope would
      // cancel it at once (level-triggered), so cleanup runs in a scope of its own
      cleanup.set(Tasks.waitFor(vertx, 10, (CancelScope c) -> Tasks.sleep(c, 10_000))))))
      .compose(ar -> {
        Throwable e1 = failure(ar);
        assertThat(e1).isInstanceOf(DeadlineExceededException.class);
        assertThat(e1.getCause()).isInstanceOf(CancelledException.class);
        assertThat(e1.getCause().getCause()).isNull();
        return settle(cleanup.get());
      }).map((AsyncResult<?> ar) -> {
        Throwable e2 = failure(ar);
        assertThat(e2).isInstanceOf(DeadlineExceededException.class);
        assertThat(e2.getCause()).isInstanceOf(CancelledException.class);
        return null;
      }));
  }

  @Test
  @DisplayName("test_timeout_after_cancellation: a timeout in cleanup after a cancel (fresh scope; in the cancelled one it fails at once)")
  void test_timeout_after_cancellation(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      task.cancel();
      return settle(Tasks.sleep(task, 1_000)).compose(work -> {
        assertThat(failure(work)).isInstanceOf(CancelledException.class);
        Future<Void> inCancelled = Tasks.timeout(task, 0, (CancelScope s) -> Tasks.sleep(s, 1_000));
        assertThat(inCancelled.cause()).as("level-triggered").isSameAs(task.reason());
        task.close();
        return settle(Tasks.waitFor(vertx, 0, (CancelScope s) -> Tasks.sleep(s, 1_000)));
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancel_in_timeout_after_cancellation")
  void test_cancel_in_timeout_after_cancellation(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope task = CancelScope.create(vertx);
      task.cancel();
      return settle(Tasks.sleep(task, 1_000)).compose(work -> {
        task.close();
        CancelScope cleanupTask = CancelScope.create(vertx);
        return settle(Tasks.timeout(cleanupTask, 1_000, (CancelScope s) -> {
          cleanupTask.cancel();
          return Tasks.sleep(s, 2_000);
        })).onComplete(x -> cleanupTask.close());
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isExactlyInstanceOf(CancelledException.class);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_timeout_expiring: a body that swallows the cancellation ends normally (reschedule not ported)")
  void test_timeout_expiring(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Tasks.waitFor(vertx, 10, (CancelScope s) -> settle(Tasks.sleep(s, 1_000)).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(CancelledException.class);
      return "swallowed";
    })).map((String v) -> {
      assertThat(v).isEqualTo("swallowed");
      return null;
    }));
  }

  @Test
  @DisplayName("test_timeout_without_task — DIFFERS: no task or event loop needed; it works from any thread")
  void test_timeout_without_task(Vertx vertx, VertxTestContext tc) {
    // called on the JUnit thread, not a Vert.x thread
    Tasks.waitFor(vertx, 10, (CancelScope s) -> Tasks.sleep(s, 1_000)).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(DeadlineExceededException.class);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("test_timeout_taskgroup — DIFFERS: the timeout is reported at the deadline; the group's own failure comes from join()")
  void test_timeout_taskgroup(Vertx vertx, VertxTestContext tc) {
    AtomicReference<Future<Void>> join = new AtomicReference<>();
    run(vertx, tc, () -> settle(Tasks.waitFor(vertx, 10, (CancelScope s) -> {
      TaskGroup tg = TaskGroup.create(s);
      // async def task(): try: await sleep(2) finally: 1/0
      tg.spawn(c -> Tasks.sleep(c, 2_000).transform(ar -> Asyncio.<Void>raise(zeroDivision())));
      join.set(tg.join());
      // body: try: raise ValueError finally: await asyncio.sleep(1)
      return Asyncio.<Void>raise(new IllegalStateException("ValueError")).transform(ar -> Tasks.sleep(s, 1_000));
    })).compose(ar -> {
      assertThat(failure(ar)).isInstanceOf(DeadlineExceededException.class);
      return settle(join.get());
    }).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(ArithmeticException.class);
      return null;
    }));
  }
}
