package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.loopkit.timeout.FailureAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
@DisplayName("RouteGuard: one guarded route as a Java API")
class RouteGuardTest {

  private final List<RouteGuard> guards = new ArrayList<>();
  private final List<CancelScope> callers = new CopyOnWriteArrayList<>();
  private Registration listener = Registration.NONE;

  @BeforeEach
  void listen(Vertx vertx, VertxTestContext tc) {
    listener = CancelNotices.listen(vertx);
    CancelNotices.ready(vertx).onComplete(tc.succeedingThenComplete());
  }

  @AfterEach
  void nothing_left_behind(Vertx vertx, VertxTestContext tc) {
    List<Future<Void>> closed = new ArrayList<>();
    guards.forEach(g -> closed.add(g.close()));
    callers.forEach(CancelScope::close);
    Future.join(closed).onComplete(ar -> {
      listener.remove();
      Leaks.awaitNone(vertx).onComplete(tc.succeedingThenComplete());
    });
  }

  private RouteGuard guard(Vertx vertx, RouteOptions options) {
    RouteGuard g = RouteGuard.create(vertx, options);
    guards.add(g);
    return g;
  }

  /** A caller's scope without a deadline, closed after the test. */
  private CancelScope caller(Vertx vertx) {
    CancelScope s = CancelScope.create(vertx);
    callers.add(s);
    return s;
  }

  private static RouteOptions route(String target, long timeoutMs) {
    return new RouteOptions().setAddress(target + ".guarded").setTarget(target).setTimeoutMs(timeoutMs)
      .setLateReplyWindowMs(0);
  }

  /** Runs {@code body} on an event-loop context, as a verticle would. */
  private static void onLoop(Vertx vertx, Runnable body) {
    vertx.getOrCreateContext().runOnContext(v -> body.run());
  }

  @Nested
  @DisplayName("deadline edge cases (CPython test_timeouts.py)")
  class Deadlines {

    @Test
    void many_calls_share_the_loops_deadline_wheel_and_each_answers_once(Vertx vertx, VertxTestContext tc) {
      // issue 12: per-call deadlines on the event loop's DeadlineWheel, not one Vert.x timer each
      Probe never = Probe.never(vertx, "t.never");
      Probe ok = Probe.ok(vertx, "t.ok");
      RouteGuard slow = guard(vertx, route("t.never", 200));
      RouteGuard fast = guard(vertx, route("t.ok", 5_000));
      int n = 200;
      java.util.concurrent.atomic.AtomicInteger timedOut = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger replied = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger other = new java.util.concurrent.atomic.AtomicInteger();
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        List<Future<Message<Object>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          Future<Message<Object>> a = slow.call(caller, i);
          Future<Message<Object>> b = fast.call(caller, i);
          a.onComplete(ar -> (ar.failed() && ar.cause() instanceof DeadlineExceededException ? timedOut : other).incrementAndGet());
          b.onComplete(ar -> (ar.succeeded() ? replied : other).incrementAndGet());
          calls.add(a);
          calls.add(b);
        }
        tc.verify(() -> assertThat(dev.loopkit.async.impl.DeadlineWheel.current(vertx).size())
          .as("one wheel entry per call in flight").isEqualTo(2 * n));
        Future.join(calls).onComplete(ar -> vertx.setTimer(50, t -> tc.verify(() -> {
          caller.close();
          // exactly one answer each (a second completion would throw in the promise, counted nowhere)
          assertThat(timedOut).hasValue(n);
          assertThat(replied).hasValue(n);
          assertThat(other).hasValue(0);
          assertThat(never.count()).isEqualTo(n);
          assertThat(slow.stats().getLong("deadlineExceeded")).isEqualTo(n);
          assertThat(fast.stats().getLong("ok")).isEqualTo(n);
          assertThat(slow.stats().getLong("inFlight")).isZero();
          // the cancel-notice listener is the test's own (removed after each test): the rest is back to zero
          Leaks.awaitZero(vertx, LiveResources.TIMERS, 3_000)
            .compose(v -> Leaks.awaitZero(vertx, LiveResources.SCOPES, 3_000))
            .compose(v -> Leaks.awaitZero(vertx, LiveResources.BUS_REQUESTS, 3_000))
            .onComplete(tc.succeedingThenComplete());
        })));
      });
    }

    @Test
    void completes_before_the_deadline_and_the_timer_is_cancelled(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "t.ok");
      RouteGuard g = guard(vertx, route("t.ok", 5_000));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        g.<JsonObject>call(caller, new JsonObject().put("q", 1)).onComplete(tc.succeeding(reply -> tc.verify(() -> {
          caller.close();
          assertThat(reply.body().getBoolean("ok")).isTrue();
          assertThat(target.count()).isEqualTo(1);
          // the budget went with the request, and it was at most the route's
          assertThat(target.calls.get(0).budgetMs()).isBetween(1L, 5_000L);
          // a fresh, unguessable id of its own (22 url-safe base64 characters)
          assertThat(target.calls.get(0).requestId).matches("[A-Za-z0-9_-]{22}");
          // nothing armed for the deadline is left once the reply is in
          assertThat(LiveResources.of(vertx).get(LiveResources.TIMERS)).isZero();
          assertThat(g.stats().getLong("ok")).isEqualTo(1);
          tc.completeNow();
        })));
      });
    }

    @Test
    void fails_at_the_deadline_with_the_cancellation_as_cause(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.never(vertx, "t.never");
      List<JsonObject> notices = new CopyOnWriteArrayList<>();
      vertx.eventBus().<JsonObject>consumer(Addresses.CANCEL, m -> notices.add(m.body()));
      RouteGuard g = guard(vertx, route("t.never", 150));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        CancelScope caller = CancelScope.create(vertx);
        g.call(caller, "hi").onComplete(tc.failing(err -> tc.verify(() -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          caller.close();
          assertThat(err).isInstanceOf(DeadlineExceededException.class)
            .hasMessageContaining("t.never").hasMessageContaining("150 ms");
          // cause preserved: the cancellation delivered to the call
          assertThat(err.getCause()).isInstanceOf(CancelledException.class);
          assertThat(((CancelledException) err.getCause()).deadline()).isTrue();
          assertThat(ms).isBetween(140L, 1_000L);
          assertThat(target.count()).isEqualTo(1);
          assertThat(g.stats().getLong("deadlineExceeded")).isEqualTo(1);
          // the call's duration is in the route's latency: one call, answered at its 150 ms deadline
          JsonObject latency = g.stats().getJsonObject("latencyMs");
          assertThat(latency.getLong("count")).isEqualTo(1);
          assertThat(latency.getDouble("p99")).isBetween(140.0, 1_000.0);
          assertThat(latency.getDouble("max")).isGreaterThanOrEqualTo(latency.getDouble("p50"));
          vertx.setTimer(50, t -> tc.verify(() -> {
            // the target was told to stop: a cancel notice carrying the attempt's request id
            assertThat(notices).extracting(n -> n.getString("requestId")).contains(target.calls.get(0).requestId);
            tc.completeNow();
          }));
        })));
      });
    }

    @Test
    void zero_budget_is_shed_without_calling_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "t.zero");
      RouteGuard g = guard(vertx, route("t.zero", 1_000));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.withTimeout(vertx, 0);
        g.call(caller, "x").onComplete(tc.failing(err -> tc.verify(() -> {
          caller.close();
          assertThatFailure(err).failedWith(FailureCode.TIMEOUT).hasMessageContaining("shed");
          assertThat(target.count()).isZero();
          assertThat(g.stats().getLong("shed")).isEqualTo(1);
          tc.completeNow();
        })));
      });
    }

    @Test
    void negative_budget_is_shed_without_calling_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "t.neg");
      RouteGuard g = guard(vertx, route("t.neg", 1_000));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.withTimeout(vertx, -50);
        g.call(caller, "x").onComplete(tc.failing(err -> tc.verify(() -> {
          caller.close();
          assertThatFailure(err).failedWith(FailureCode.TIMEOUT);
          assertThat(target.count()).isZero();
          tc.completeNow();
        })));
      });
    }

    @Test
    void caller_without_a_deadline_gets_the_route_timeout(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.slow(vertx, "t.disabled", 60);
      RouteGuard g = guard(vertx, route("t.disabled", 2_000));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        assertThat(caller.deadline().isNone()).isTrue();
        g.<JsonObject>call(caller, "x").onComplete(tc.succeeding(reply -> tc.verify(() -> {
          caller.close();
          assertThat(target.calls.get(0).budgetMs()).isBetween(1_500L, 2_000L);
          tc.completeNow();
        })));
      });
    }

    @Test
    void nested_deadline_only_shortens(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.cancellable(vertx, "t.nested");
      RouteGuard g = guard(vertx, route("t.nested", 5_000));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        CancelScope caller = CancelScope.withTimeout(vertx, 120);
        g.call(caller, "x").onComplete(tc.failing(err -> tc.verify(() -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          caller.close();
          // the caller's 120 ms won over the route's 5 s, and the target was given at most that
          assertThat(target.calls.get(0).budgetMs()).isBetween(1L, 120L);
          // our deadline, or the target's own 504 at the same (propagated) deadline, arriving just before ours
          assertThat(FailureCode.of(err)).isEqualTo(FailureCode.TIMEOUT);
          assertThat(ms).isBetween(110L, 1_000L);
          tc.completeNow();
        })));
      });
    }

    @Test
    void foreign_failure_passes_through_unchanged(Vertx vertx, VertxTestContext tc) {
      Probe.fail(vertx, "t.teapot", 418, "I'm a teapot");
      RouteGuard g = guard(vertx, route("t.teapot", 1_000)
        .setRetry(new RetryOptions()));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        g.call(caller, "x").onComplete(tc.failing(err -> tc.verify(() -> {
          caller.close();
          assertThatFailure(err).failedWith(418).hasMessage("I'm a teapot");
          assertThat(g.stats().getLong("attempts")).isEqualTo(1);
          tc.completeNow();
        })));
      });
    }

    @Test
    void caller_gone_passes_its_cancellation_through_and_stops_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.cancellable(vertx, "t.gone");
      RouteGuard g = guard(vertx, route("t.gone", 5_000));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        Future<Message<Object>> call = g.call(caller, "x");
        target.arrived(0).onSuccess(c -> caller.cancel("user pressed stop"));
        call.onComplete(tc.failing(err -> tc.verify(() -> {
          assertThat(err).isInstanceOf(CancelledException.class).hasMessage("user pressed stop");
          assertThat(((CancelledException) err).deadline()).isFalse();
          caller.close();
        })));
        target.cancelled(0).onComplete(tc.succeeding(c -> tc.verify(() -> {
          assertThat(c.cancelReason).startsWith("cancel notice").contains("caller gave up");
          tc.completeNow();
        })));
      });
    }

    @Test
    void called_off_the_event_loop_still_works(Vertx vertx, VertxTestContext tc) {
      Probe.ok(vertx, "t.offloop");
      RouteGuard g = guard(vertx, route("t.offloop", 1_000));
      CancelScope caller = CancelScope.create(vertx);
      g.call(caller, "x").onComplete(tc.succeeding(reply -> {
        caller.close();
        tc.completeNow();
      }));
    }
  }

  @Nested
  @DisplayName("retries inside the budget")
  class Retries {

    @Test
    void retries_a_503_then_succeeds(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.script(vertx, "r.flaky", Probe.fails(503, "busy"), Probe.fails(503, "busy"), Probe.OK);
      RouteGuard g = guard(vertx, route("r.flaky", 2_000)
        .setRetry(new RetryOptions().setMaxAttempts(3).setBackoffMs(5).setMaxBackoffMs(20)));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        g.<JsonObject>call(caller, "x").onComplete(tc.succeeding(reply -> tc.verify(() -> {
          caller.close();
          assertThat(reply.body().getInteger("call")).isEqualTo(2);
          // every attempt has its own request id
          assertThat(target.calls).extracting(c -> c.requestId).doesNotHaveDuplicates().hasSize(3);
          // each retry carries what is left of the same budget
          assertThat(target.calls.get(2).budgetMs()).isLessThanOrEqualTo(target.calls.get(0).budgetMs());
          JsonObject s = g.stats();
          assertThat(s.getLong("attempts")).isEqualTo(3);
          assertThat(s.getLong("retries")).isEqualTo(2);
          tc.completeNow();
        })));
      });
    }

    @Test
    void does_not_retry_what_is_not_in_retryOn(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.fail(vertx, "r.bad", 400, "field x: bad");
      RouteGuard g = guard(vertx, route("r.bad", 2_000).setRetry(new RetryOptions().setMaxAttempts(5)));
      onLoop(vertx, () -> g.call(caller(vertx), "x").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(400);
        assertThat(target.count()).isEqualTo(1);
        tc.completeNow();
      }))));
    }

    @Test
    void retries_stop_at_the_deadline(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.fail(vertx, "r.down", 503, "down");
      RouteGuard g = guard(vertx, route("r.down", 300).setMinAttemptMs(20)
        .setRetryBudget(new RetryBudgetOptions().setMaxTokens(1_000))
        .setRetry(new RetryOptions().setMaxAttempts(100).setBackoffMs(10).setMaxBackoffMs(40)));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        g.call(caller(vertx), "x").onComplete(tc.failing(err -> tc.verify(() -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertThatFailure(err).failedWith(503).hasMessage("down");
          // several attempts, all started with at least minAttemptMs of the 300 ms left
          assertThat(target.count()).isBetween(3, 99);
          for (Probe.Call c : target.calls) {
            assertThat((c.arrivedNanos - start) / 1_000_000).isLessThan(300L - 20 + 50);
            assertThat(c.budgetMs()).isGreaterThanOrEqualTo(19L);
          }
          // answered at once when no further attempt fits: never after the deadline (loose bound)
          assertThat(ms).isLessThan(300L + 200);
          assertThat(g.stats().getLong("noBudgetForAttempt")).isEqualTo(1);
          tc.completeNow();
        })));
      });
    }

    @Test
    void attempt_timeouts_abandon_the_attempt_and_retry_until_the_deadline(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.cancellable(vertx, "r.stuck");
      RouteGuard g = guard(vertx, route("r.stuck", 260).setMinAttemptMs(10)
        .setRetry(new RetryOptions().setMaxAttempts(10).setBackoffMs(0).setMaxBackoffMs(0).setAttemptTimeoutMs(60)));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        g.call(caller(vertx), "x").onComplete(tc.failing(err -> tc.verify(() -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          // the deadline, or the last attempt's own time-out when no further attempt fits
          assertThat(FailureCode.of(err)).isEqualTo(FailureCode.TIMEOUT);
          assertThat(ms).isBetween(170L, 1_000L);
          assertThat(target.count()).isBetween(2, 5);
          // each attempt was given at most its own 60 ms
          target.calls.forEach(c -> assertThat(c.budgetMs()).isLessThanOrEqualTo(60L));
          tc.completeNow();
        })));
      });
    }

    @Test
    void the_retry_budget_caps_extra_load(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.fail(vertx, "r.storm", 503, "down");
      RouteGuard g = guard(vertx, route("r.storm", 2_000)
        .setRetryBudget(new RetryBudgetOptions().setRatio(0).setMaxTokens(2))
        .setRetry(new RetryOptions().setMaxAttempts(3).setBackoffMs(0).setMaxBackoffMs(0)));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        Future<Void> chain = Future.succeededFuture();
        for (int i = 0; i < 5; i++) {
          chain = chain.compose(v -> g.call(caller, "x").otherwiseEmpty().mapEmpty());
        }
        chain.onComplete(tc.succeeding(v -> tc.verify(() -> {
          caller.close();
          // 5 calls, 2 tokens: 2 retries in all instead of 10
          assertThat(target.count()).isEqualTo(7);
          JsonObject s = g.stats();
          assertThat(s.getLong("retries")).isEqualTo(2);
          assertThat(s.getLong("retryBudgetDenied")).isEqualTo(4);
          assertThat(s.getDouble("extraLoad")).isEqualTo(0.4);
          tc.completeNow();
        })));
      });
    }
  }

  @Nested
  @DisplayName("hedging")
  class Hedging {

    @Test
    void hedge_wins_and_the_loser_is_cancelled(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.script(vertx, "h.svc", Probe.CANCELLABLE, Probe.OK);
      RouteGuard g = guard(vertx, route("h.svc", 3_000).setIdempotent(true)
        .setHedge(new HedgeOptions().setDelayMs(40)));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        g.<JsonObject>call(caller(vertx), "x").onComplete(tc.succeeding(reply -> tc.verify(() -> {
          long ms = (System.nanoTime() - start) / 1_000_000;
          assertThat(reply.body().getInteger("call")).isEqualTo(1);
          assertThat(ms).isBetween(35L, 1_500L);
          JsonObject s = g.stats();
          assertThat(s.getLong("hedges")).isEqualTo(1);
          assertThat(s.getLong("hedgeWins")).isEqualTo(1);
          assertThat(s.getDouble("extraLoad")).isEqualTo(1.0);
        })));
        target.cancelled(0).onComplete(tc.succeeding(loser -> tc.verify(() -> {
          assertThat(loser.cancelReason).startsWith("cancel notice").contains("another attempt won");
          // stopped long before the 3 s deadline
          assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(1_500L);
          tc.completeNow();
        })));
      });
    }

    @Test
    void a_non_fatal_failure_sends_the_next_copy_at_once(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.script(vertx, "h.flaky", Probe.fails(503, "busy"), Probe.OK);
      RouteGuard g = guard(vertx, route("h.flaky", 3_000).setIdempotent(true)
        .setHedge(new HedgeOptions().setDelayMs(1_000)));
      onLoop(vertx, () -> {
        long start = System.nanoTime();
        g.<JsonObject>call(caller(vertx), "x").onComplete(tc.succeeding(reply -> tc.verify(() -> {
          assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(900L);
          assertThat(reply.body().getInteger("call")).isEqualTo(1);
          assertThat(target.count()).isEqualTo(2);
          tc.completeNow();
        })));
      });
    }

    @Test
    void hedges_are_capped_by_the_retry_budget(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.slow(vertx, "h.slow", 80);
      RouteGuard g = guard(vertx, route("h.slow", 3_000).setIdempotent(true)
        .setRetryBudget(new RetryBudgetOptions().setRatio(0).setMaxTokens(1))
        .setHedge(new HedgeOptions().setDelayMs(10).setMaxExtra(3)));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        g.call(caller, "a").compose(r -> g.call(caller, "b")).onComplete(tc.succeeding(r -> tc.verify(() -> {
          caller.close();
          // one token: one extra copy in all, though 3 per call were allowed
          assertThat(g.stats().getLong("hedges")).isEqualTo(1);
          assertThat(target.count()).isEqualTo(3);
          tc.completeNow();
        })));
      });
    }
  }

  @Nested
  @DisplayName("circuit breaker")
  class Breaker {

    @Test
    void opens_after_failures_then_half_opens_and_closes(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.script(vertx, "b.svc", Probe.fails(500, "boom"), Probe.fails(500, "boom"),
        Probe.fails(500, "boom"), Probe.OK);
      String notifications = "b.svc.breaker";
      List<String> states = new CopyOnWriteArrayList<>();
      vertx.eventBus().<JsonObject>consumer(notifications, m -> states.add(m.body().getString("state")));
      RouteGuard g = guard(vertx, route("b.svc", 1_000).setCircuitBreaker(new BreakerOptions()
        .setMaxFailures(3).setResetTimeoutMs(300).setNotificationAddress(notifications)));
      onLoop(vertx, () -> {
        CancelScope caller = CancelScope.create(vertx);
        Future<Void> three = Future.succeededFuture();
        for (int i = 0; i < 3; i++) {
          three = three.compose(v -> g.call(caller, "x").otherwiseEmpty().mapEmpty());
        }
        three
          // the breaker counts on the next loop turn
          .compose(v -> vertx.timer(20))
          .compose(v -> {
            tc.verify(() -> {
              assertThat(g.breakerState()).isEqualTo(CircuitBreakerState.OPEN);
              assertThat(states).containsExactly("OPEN");
            });
            return g.call(caller, "x").transform(ar -> Future.succeededFuture(ar.cause()));
          })
          .compose(err -> {
            tc.verify(() -> {
              // open: 503 at once, nothing sent
              assertThat(err).isInstanceOf(CircuitOpenException.class);
              assertThatFailure(err).failedWith(FailureCode.UNAVAILABLE).hasMessageContaining("circuit open");
              assertThat(target.count()).isEqualTo(3);
            });
            return vertx.timer(450);
          })
          .compose(v -> {
            tc.verify(() -> {
              assertThat(g.breakerState()).isEqualTo(CircuitBreakerState.HALF_OPEN);
              assertThat(states).containsExactly("OPEN", "HALF_OPEN");
            });
            return g.<JsonObject>call(caller, "x");
          })
          .compose(reply -> vertx.timer(20).map(reply))
          .onComplete(tc.succeeding(reply -> tc.verify(() -> {
            caller.close();
            assertThat(reply.body().getBoolean("ok")).isTrue();
            assertThat(g.breakerState()).isEqualTo(CircuitBreakerState.CLOSED);
            assertThat(states).containsExactly("OPEN", "HALF_OPEN", "CLOSED");
            assertThat(g.stats().getLong("circuitOpen")).isEqualTo(1);
            tc.completeNow();
          })));
      });
    }
  }

  @Nested
  @DisplayName("late replies")
  class Late {

    @Test
    void late_replies_are_dropped_and_counted(Vertx vertx, VertxTestContext tc) {
      Probe.slow(vertx, "l.slow", 120);
      RouteGuard g = guard(vertx, route("l.slow", 50).setLateReplyWindowMs(500));
      onLoop(vertx, () -> g.call(caller(vertx), "x").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).isInstanceOf(DeadlineExceededException.class);
        assertThat(g.stats().getLong("lingering")).isEqualTo(1);
        vertx.setTimer(200, t -> tc.verify(() -> {
          JsonObject s = g.stats();
          assertThat(s.getLong("lateReplies")).isEqualTo(1);
          assertThat(s.getLong("lingering")).isZero();
          tc.completeNow();
        }));
      }))));
    }

    @Test
    void without_a_window_the_reply_consumer_is_released_at_the_deadline(Vertx vertx, VertxTestContext tc) {
      Probe.never(vertx, "l.never");
      RouteGuard g = guard(vertx, route("l.never", 50));
      onLoop(vertx, () -> g.call(caller(vertx), "x").onComplete(tc.failing(err ->
        // released within a loop turn or two, not at the 30 s send timeout
        Leaks.awaitZero(vertx, LiveResources.BUS_REQUESTS, 200).onComplete(tc.succeedingThenComplete()))));
    }
  }

  @Test
  void close_answers_calls_in_flight(Vertx vertx, VertxTestContext tc) {
    Probe target = Probe.never(vertx, "c.never");
    RouteGuard g = guard(vertx, route("c.never", 5_000));
    onLoop(vertx, () -> {
      Future<Message<Object>> call = g.call(caller(vertx), "x");
      target.arrived(0).onSuccess(c -> g.close());
      call.onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.UNAVAILABLE).hasMessageContaining("closed");
        g.call(caller(vertx), "y").onComplete(tc.failing(again -> tc.verify(() -> {
          assertThatFailure(again).failedWith(FailureCode.UNAVAILABLE);
          tc.completeNow();
        })));
      })));
    });
  }

  @Test
  void a_body_the_bus_cannot_carry_fails_the_call_and_leaks_nothing(Vertx vertx, VertxTestContext tc) {
    Probe target = Probe.ok(vertx, "x.codec");
    RouteGuard g = guard(vertx, route("x.codec", 1_000));
    onLoop(vertx, () -> g.call(caller(vertx), new Object()).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("codec");
      assertThat(target.count()).isZero();
      assertThat(g.stats().getLong("inFlight")).isZero();
      tc.completeNow();
    }))));
  }

  @Test
  void a_bus_timeout_or_no_handlers_is_classified(Vertx vertx, VertxTestContext tc) {
    tc.verify(() -> {
      assertThat(FailureSet.kindOf(new ReplyException(ReplyFailure.NO_HANDLERS, "x"))).isEqualTo(FailureSet.Kind.NO_HANDLERS);
      assertThat(FailureSet.kindOf(new ReplyException(ReplyFailure.TIMEOUT, "x"))).isEqualTo(FailureSet.Kind.TIMEOUT);
      assertThat(FailureSet.kindOf(new DeadlineExceededException("x", null))).isEqualTo(FailureSet.Kind.TIMEOUT);
      assertThat(FailureSet.kindOf(new CircuitOpenException("x"))).isEqualTo(FailureSet.Kind.CIRCUIT_OPEN);
      assertThat(FailureSet.kindOf(new CancelledException("gone"))).isNull();
      FailureSet set = FailureSet.of("TIMEOUT", 503);
      assertThat(set.matches(FailureCode.UNAVAILABLE.exception("x"))).isTrue();
      assertThat(set.matches(new CircuitOpenException("x"))).isFalse();
      assertThat(set.matches(new ReplyException(ReplyFailure.NO_HANDLERS, "x"))).isFalse();
      assertThat(set.matches(new RuntimeException("bug"))).isFalse();
      // a target's own 504 is a timeout: it ran out of the budget it was given
      assertThat(FailureSet.of("TIMEOUT").matches(FailureCode.TIMEOUT.exception("x"))).isTrue();
      assertThat(FailureSet.of(503).matches(FailureCode.TIMEOUT.exception("x"))).isFalse();
    });
    tc.completeNow();
  }

  @SuppressWarnings("unused")
  private static DeliveryOptions headers(String k, String v) {
    return new DeliveryOptions().addHeader(k, v);
  }
}
