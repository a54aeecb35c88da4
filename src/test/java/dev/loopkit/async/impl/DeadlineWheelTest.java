package dev.loopkit.async.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.LiveResources;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("DeadlineWheel: one periodic timer per event-loop context for many deadlines")
class DeadlineWheelTest {

  /** Loose: the tick is 5 ms; a loaded, shared machine can delay the loop far more. Precision is benchmarked. */
  private static final long LOOSE_LATE_NANOS = 1_000_000_000L;

  @Test
  void many_deadlines_fire_once_never_early_then_the_timer_stops(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    int n = 3_000;
    long[] deadlines = new long[n];
    AtomicLongArray firedAt = new AtomicLongArray(n);
    AtomicInteger runs = new AtomicInteger();
    DeadlineWheel[] wheel = new DeadlineWheel[1];
    ctx.runOnContext(v -> {
      wheel[0] = DeadlineWheel.current(vertx);
      Random random = new Random(42);
      long now = System.nanoTime();
      for (int i = 0; i < n; i++) {
        // 0..300 ms, some already past, some sharing a slot
        deadlines[i] = now + (random.nextInt(320) - 20) * 1_000_000L + random.nextInt(1_000_000);
        int index = i;
        wheel[0].schedule(deadlines[i], () -> {
          firedAt.set(index, System.nanoTime());
          runs.incrementAndGet();
        });
      }
      assertThat(wheel[0].size()).isEqualTo(n);
      assertThat(wheel[0].ticking()).isTrue();
    });
    onLoop(vertx, ctx, 20_000, () -> runs.get() >= n && !wheel[0].ticking())
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat(runs).hasValue(n);
        for (int i = 0; i < n; i++) {
          assertThat(firedAt.get(i) - deadlines[i]).as("entry %d ran at/after its deadline", i).isGreaterThanOrEqualTo(0);
          assertThat(firedAt.get(i) - deadlines[i]).as("entry %d late by", i).isLessThan(LOOSE_LATE_NANOS);
        }
        assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
        tc.completeNow();
      })));
  }

  @Test
  void an_action_that_cancels_a_neighbour_does_not_hide_the_rest_of_its_slot(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    long[] deadline = new long[1];
    long[] lastFiredAt = new long[1];
    AtomicInteger victimRan = new AtomicInteger();
    ctx.runOnContext(v -> {
      DeadlineWheel w = DeadlineWheel.current(vertx);
      deadline[0] = System.nanoTime() + 20_000_000L;
      // one slot, walked newest first: killer, victim, last — the killer's action cancels the victim,
      // as a finished call closes the scopes of its neighbours
      w.schedule(deadline[0], () -> lastFiredAt[0] = System.nanoTime());
      DeadlineWheel.Entry victim = w.schedule(deadline[0], victimRan::incrementAndGet);
      w.schedule(deadline[0], victim::cancel);
    });
    onLoop(vertx, ctx, 20_000, () -> lastFiredAt[0] != 0).onComplete(tc.succeeding(v -> tc.verify(() -> {
      // a walk broken by the cancel would leave the last entry for the next turn of the wheel (2.56 s)
      assertThat(lastFiredAt[0] - deadline[0]).isBetween(0L, LOOSE_LATE_NANOS);
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  void an_action_runs_inline_on_the_context_that_scheduled_it(Vertx vertx, VertxTestContext tc) {
    // consumers run on duplicated contexts, and so does a periodic timer's handler: each a different one
    vertx.eventBus().consumer("wheel.test", m -> {
      Context mine = Vertx.currentContext();
      DeadlineWheel.current(vertx).schedule(System.nanoTime() + 10_000_000L, () -> tc.verify(() -> {
        assertThat(Vertx.currentContext()).isSameAs(mine);
        m.reply("fired");
      }));
    }).completion()
      .compose(v -> vertx.eventBus().request("wheel.test", "go"))
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(reply.body()).isEqualTo("fired");
        tc.completeNow();
      })));
  }

  @Test
  void a_deadline_more_than_one_turn_away_waits_for_its_turn(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    long turnNanos = DeadlineWheel.SLOTS * DeadlineWheel.TICK_NANOS;
    long[] deadline = new long[2];
    long[] firedAt = new long[2];
    ctx.runOnContext(v -> {
      DeadlineWheel w = DeadlineWheel.current(vertx);
      long now = System.nanoTime();
      // the same slot, one turn apart: the near one must not take the far one with it
      deadline[0] = now + 20_000_000L;
      deadline[1] = deadline[0] + turnNanos;
      w.schedule(deadline[1], () -> firedAt[1] = System.nanoTime());
      w.schedule(deadline[0], () -> firedAt[0] = System.nanoTime());
    });
    onLoop(vertx, ctx, 20_000, () -> firedAt[1] != 0).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(firedAt[0] - deadline[0]).isBetween(0L, LOOSE_LATE_NANOS);
      assertThat(firedAt[1] - deadline[1]).isBetween(0L, LOOSE_LATE_NANOS);
      tc.completeNow();
    })));
  }

  @Test
  void cancel_on_and_off_the_loop_releases_entries_and_the_timer(Vertx vertx, VertxTestContext tc) throws Exception {
    Context ctx = vertx.getOrCreateContext();
    int n = 2_000;
    List<DeadlineWheel.Entry> entries = new ArrayList<>();
    AtomicInteger ran = new AtomicInteger();
    DeadlineWheel[] wheel = new DeadlineWheel[1];
    Future<Integer> onLoop = call(ctx, () -> {
      wheel[0] = DeadlineWheel.current(vertx);
      long deadline = System.nanoTime() + 200_000_000L;
      for (int i = 0; i < n; i++) {
        entries.add(wheel[0].schedule(deadline, ran::incrementAndGet));
      }
      int cancelled = 0;
      for (int i = 0; i < n; i += 2) {
        cancelled += entries.get(i).cancel() ? 1 : 0;
      }
      assertThat(wheel[0].size()).as("cancelled on the loop: unlinked at once").isEqualTo(n / 2);
      return cancelled;
    });
    onLoop.compose(cancelled -> {
      // off the loop (this test thread or a worker): marked now, unlinked by the loop
      int offLoop = 0;
      for (int i = 1; i < n; i += 2) {
        offLoop += entries.get(i).cancel() ? 1 : 0;
      }
      assertThat(entries.get(1).cancel()).as("second cancel").isFalse();
      assertThat(cancelled + offLoop).isEqualTo(n);
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      return onLoop(vertx, ctx, 20_000, () -> wheel[0].size() == 0 && !wheel[0].ticking());
    }).compose(v -> {
      // past every deadline: nothing cancelled ever runs
      Promise<Void> later = Promise.promise();
      vertx.setTimer(300, t -> later.complete());
      return later.future();
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(ran).hasValue(0);
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  void an_entry_that_ran_cannot_be_cancelled(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    DeadlineWheel.Entry[] entry = new DeadlineWheel.Entry[1];
    AtomicInteger ran = new AtomicInteger();
    ctx.runOnContext(v -> entry[0] = DeadlineWheel.current(vertx).schedule(System.nanoTime(), ran::incrementAndGet));
    onLoop(vertx, ctx, 20_000, () -> ran.get() == 1).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(entry[0].cancel()).isFalse();
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  void one_wheel_per_event_loop_context_none_elsewhere(Vertx vertx, VertxTestContext tc) {
    assertThat(DeadlineWheel.current(vertx)).as("off Vert.x threads").isNull();
    Context a = vertx.getOrCreateContext();
    Context b = vertx.getOrCreateContext();
    Future<DeadlineWheel> wa = call(a, () -> DeadlineWheel.current(vertx));
    Future<DeadlineWheel> wa2 = call(a, () -> DeadlineWheel.current(vertx));
    Future<DeadlineWheel> wb = call(b, () -> DeadlineWheel.current(vertx));
    Future<DeadlineWheel> worker = vertx.executeBlocking(() -> DeadlineWheel.current(vertx));
    Future.all(wa, wa2, wb, worker).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(wa.result()).isNotNull().isSameAs(wa2.result()).isNotSameAs(wb.result());
      assertThat(worker.result()).isNull();
      tc.completeNow();
    })));
  }

  @Test
  void a_coarse_scope_expires_at_its_deadline_never_before(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    Future<CancelledException> reason = call(ctx, (Callable<Future<CancelledException>>) () -> {
      CancelScope scope = CancelScope.withCoarseDeadline(vertx, Deadline.in(30));
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isEqualTo(1);
      Promise<CancelledException> p = Promise.promise();
      scope.onCancel(e -> {
        tc.verify(() -> assertThat(scope.deadline().expired()).as("not early").isTrue());
        assertThat(scope.expired()).isTrue();
        scope.close();
        p.complete(e);
      });
      return p.future();
    }).compose(f -> f);
    reason.onComplete(tc.succeeding(e -> tc.verify(() -> {
      assertThat(e).isInstanceOf(DeadlineExceededException.class);
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      assertThat(LiveResources.of(vertx).get(LiveResources.SCOPES)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  void a_coarse_scope_closed_first_leaves_no_timer(Vertx vertx, VertxTestContext tc) {
    Context ctx = vertx.getOrCreateContext();
    AtomicInteger cancelled = new AtomicInteger();
    DeadlineWheel[] wheel = new DeadlineWheel[1];
    call(ctx, () -> {
      wheel[0] = DeadlineWheel.current(vertx);
      for (int i = 0; i < 100; i++) {
        CancelScope parent = CancelScope.create(vertx);
        CancelScope scope = parent.childWithCoarseTimeout(50);
        scope.onCancel(e -> cancelled.incrementAndGet());
        scope.close();
        parent.close();
      }
      assertThat(wheel[0].size()).isZero();
      return null;
    }).compose(v -> {
      assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
      return onLoop(vertx, ctx, 20_000, () -> !wheel[0].ticking());
    }).compose(v -> {
      Promise<Void> later = Promise.promise();
      vertx.setTimer(100, t -> later.complete());
      return later.future();
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(cancelled).hasValue(0);
      assertThat(LiveResources.of(vertx).get(LiveResources.SCOPES)).isZero();
      tc.completeNow();
    })));
  }

  private static <T> Future<T> call(Context ctx, Callable<T> body) {
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> {
      try {
        p.complete(body.call());
      } catch (Throwable t) {
        p.fail(t);
      }
    });
    return p.future();
  }

  /** Polls {@code condition} on {@code ctx} every few ms (the wheel is read on its own loop). */
  private static Future<Void> onLoop(Vertx vertx, Context ctx, long maxMs, java.util.function.BooleanSupplier condition) {
    Promise<Void> p = Promise.promise();
    long until = System.nanoTime() + maxMs * 1_000_000L;
    ctx.runOnContext(v -> poll(vertx, condition, until, p));
    return p.future();
  }

  private static void poll(Vertx vertx, java.util.function.BooleanSupplier condition, long until, Promise<Void> p) {
    if (condition.getAsBoolean()) {
      p.complete();
    } else if (System.nanoTime() - until > 0) {
      p.fail(new AssertionError("condition not met in time"));
    } else {
      vertx.setTimer(5, t -> poll(vertx, condition, until, p));
    }
  }
}
