package dev.loopkit.timeout.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.Registration;
import dev.loopkit.async.Tasks;
import dev.loopkit.async.impl.DeadlineWheel;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.bus.RequestIds;
import dev.loopkit.timeout.CancelNotices;
import dev.loopkit.timeout.CircuitOpenException;
import dev.loopkit.timeout.FailureSet;
import dev.loopkit.timeout.HedgeOptions;
import dev.loopkit.timeout.RetryOptions;
import dev.loopkit.timeout.RouteOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

import java.util.ArrayList;
import java.util.List;

/**
 * One call through a route: the state machine of its attempts (first, retries or hedge copies), its
 * deadline, and what it abandons. Confined to one context: every callback hops onto {@link #ctx} before
 * touching the state.
 *
 * <p>Scopes: {@link #scope} is the call's (a child of the caller's, deadline = min(caller's, timeoutMs));
 * its cancellation is the deadline or the caller going away. Backoff and hedge timers are
 * {@link Tasks#sleep sleeps} under it, so ending the call (which cancels it) cancels them. Each attempt
 * is a {@link BusRequest#start scope-less request} of its own ({@link Attempt#pending}), so that abandoning an
 * attempt can either release its reply consumer at once ({@code lateReplyWindowMs = 0}) or keep it for the
 * window only to count a late reply; and, with {@code retry.attemptTimeoutMs}, under a child of the call
 * scope that times the attempt out ({@link Attempt#limit}).
 *
 * <p>Every attempt gets a fresh {@link RequestIds#next() request id} of its own, never one derived from the
 * caller's id: a caller that chose (or shares) an id cannot name, and so cannot cancel, another caller's
 * attempts.
 *
 * <p>The circuit breaker hears about an attempt only when its outcome says something about the target
 * ({@link #report}): a reply, or a failure of the target. An attempt abandoned because the <em>caller's</em>
 * budget (shorter than the route's {@code timeoutMs}) ran out, because the caller went away, because another
 * copy won, or because the route closed is <em>neutral</em>: not counted at all (a success would reset the
 * failure count, a failure would let one caller open the circuit for everyone). A timeout-kind failure of an
 * attempt whose budget was the caller's, arriving in the last tenth of that budget (at least
 * {@value #NEAR_DEADLINE_MS} ms), is neutral too: the target ran out of the caller's time, not its own. The
 * one exception is the half-open probe, which the breaker admitted and must be told about: a neutral probe
 * is reported as a success (the circuit closes; a target that still fails reopens it after
 * {@code maxFailures} failures), never as a failure (which would let a caller keep it open).
 */
final class GuardedCall<T> {

  private final RouteGuardImpl guard;
  private final RouteOptions o;
  private final Context ctx;
  private final CancelScope scope;
  private final Object body;
  private final DeliveryOptions base;
  private final Promise<Message<T>> result = Promise.promise();
  private final List<Attempt> inFlight = new ArrayList<>(2);
  private final RetryOptions retry;
  private final HedgeOptions hedge;
  private Registration scopeRegistration = Registration.NONE;
  private long budgetMs;
  /** The caller's budget in ms when it is shorter than the route's timeoutMs, else -1 (for the 504's message). */
  private final long callerBudgetMs;
  private int sent;
  private int extraCopies;
  private int hedgeGeneration;
  private boolean done;
  private boolean sleeping;
  private boolean shed;
  private Throwable lastFailure;

  /**
   * Slack of the bus send timeout over the attempt's budget, so that the call's own deadline fires first:
   * that deadline is on the loop's deadline wheel, up to a tick late, so a few ticks of slack.
   */
  private static final long BACKSTOP_MS = 3 * DeadlineWheel.TICK_MS + 5;

  /** A timeout-kind failure this close to a caller-imposed deadline is the caller's, not the target's. */
  static final long NEAR_DEADLINE_MS = 10;

  /** How an attempt abandoned at the route's own deadline counts for the circuit breaker. */
  private static final ReplyException DEADLINE_VERDICT =
    new ReplyException(ReplyFailure.TIMEOUT, -1, "deadline exceeded", false);

  GuardedCall(RouteGuardImpl guard, Context ctx, CancelScope caller, Object body, DeliveryOptions base) {
    this.guard = guard;
    this.o = guard.options;
    this.ctx = ctx;
    // rounded up, and 1 ms of slack: a caller scope opened just before with the route's own timeout
    // (TimeoutVerticle's Budget.serve) still reads as the route's deadline
    long callerNanos = caller.deadline().remainingNanos();
    long callerMs = callerNanos == Long.MAX_VALUE ? Long.MAX_VALUE : (callerNanos + 999_999) / 1_000_000;
    this.callerBudgetMs = callerMs < o.getTimeoutMs() - 1 ? callerMs : -1;
    // per-request deadline, nearly always beaten: on the loop's deadline wheel, not a Vert.x timer of its own
    this.scope = caller.childWithCoarseTimeout(o.getTimeoutMs());
    this.body = body;
    this.base = base;
    this.retry = o.getRetry();
    this.hedge = o.getHedge();
  }

  /** System.nanoTime() when the call started (its latency, any outcome, goes to the route's stats). */
  private long startedNanos;

  Future<Message<T>> future() {
    return result.future();
  }

  void start() {
    startedNanos = System.nanoTime();
    guard.stats.calls.increment();
    guard.started(this);
    budgetMs = scope.remainingMs();
    scopeRegistration = scope.onCancel(reason -> onCtx(() -> onScopeCancelled(reason)));
    if (done) {
      return;
    }
    if (scope.deadline().expired() || budgetMs < o.getMinAttemptMs()) {
      shed = true;
      finish(null, FailureCode.TIMEOUT.exception("'" + guard.address + "' → '" + guard.target + "': "
        + (scope.deadline().expired() ? "the caller's budget is already spent"
        : "budget of " + budgetMs + " ms is below the route's minAttemptMs " + o.getMinAttemptMs() + " ms")
        + ": shed without calling the target"));
      return;
    }
    if (!send(false)) {
      finish(null, new CircuitOpenException("'" + guard.address + "' → '" + guard.target
        + "': circuit open, nothing sent; retry after the breaker's resetTimeoutMs"));
      return;
    }
    // only a call that reaches the target pays into the retry budget: shed and refused calls (which a caller
    // can make in bulk, cheaply) must not refill it and so raise the extra load on a failing target
    guard.retryBudget.deposit();
    if (hedge != null) {
      scheduleHedge();
    }
  }

  /** Sends one attempt. @return false when the circuit breaker refused it (nothing sent) */
  private boolean send(boolean isHedge) {
    Attempt a = new Attempt(sent + 1, isHedge);
    if (guard.breaker != null) {
      CircuitBreakerState state = guard.breaker.state();
      if (state == CircuitBreakerState.OPEN) {
        return false;
      }
      if (state == CircuitBreakerState.HALF_OPEN) {
        // only one probe passes; the breaker is told its outcome through the verdict promise
        boolean[] admitted = {false};
        Promise<Void> verdict = Promise.promise();
        guard.breaker.execute(() -> {
          admitted[0] = true;
          return verdict.future();
        });
        if (!admitted[0]) {
          return false;
        }
        a.verdict = verdict;
      }
      // closed: nothing to claim; the outcome is reported when it is known (and only if it is not neutral)
    }
    sent++;
    guard.stats.attempts.increment();
    long remaining = scope.remainingMs();
    long attemptTimeout = retry == null ? 0 : retry.getAttemptTimeoutMs();
    long attemptBudget = attemptTimeout > 0 ? Math.min(remaining, attemptTimeout) : remaining;
    DeliveryOptions delivery = (base == null ? new DeliveryOptions() : new DeliveryOptions(base))
      // the bus's own reply timer is only a backstop: our deadline (or attempt limit) abandons the attempt first
      .setSendTimeout(Math.max(1, attemptBudget + Math.max(BACKSTOP_MS, o.getLateReplyWindowMs())))
      .addHeader(Headers.TIMEOUT_MS, Long.toString(attemptBudget))
      .addHeader(Headers.REQUEST_ID, a.id);
    a.budgetMs = attemptBudget;
    if (attemptTimeout > 0 && attemptTimeout < remaining) {
      a.limit = scope.childWithTimeout(attemptTimeout);
      CancelScope limit = a.limit;
      limit.onCancel(reason -> onCtx(() -> onAttemptLimit(a, limit)));
    }
    inFlight.add(a);
    Future<Message<T>> reply;
    try {
      a.pending = BusRequest.start(guard.vertx, guard.target, body, delivery);
      reply = a.pending.reply();
    } catch (RuntimeException e) {
      // e.g. no codec for the body's type: the attempt fails at once, like any other failure
      reply = Future.failedFuture(e);
    }
    reply.onComplete(ar -> {
      if (Vertx.currentContext() == ctx) {
        onAttemptResult(a, ar);
      } else {
        ctx.runOnContext(v -> onAttemptResult(a, ar));
      }
    });
    return true;
  }

  private void onAttemptLimit(Attempt a, CancelScope limit) {
    if (done || a.abandoned || a.finished || !limit.expired()) {
      return;
    }
    ReplyException timeout = new ReplyException(ReplyFailure.TIMEOUT, -1, "no reply from '" + guard.target
      + "' within retry.attemptTimeoutMs " + retry.getAttemptTimeoutMs() + " ms (attempt " + a.number + ")", false);
    abandon(a, "attempt timed out after " + retry.getAttemptTimeoutMs() + " ms", timeout, false);
    onFailure(timeout);
  }

  private void onAttemptResult(Attempt a, AsyncResult<Message<T>> ar) {
    if (a.limit != null) {
      a.limit.close();
    }
    if (a.abandoned) {
      guard.unlinger(a);
      if (ar.succeeded()) {
        guard.stats.lateReplies.increment();
        guard.lateMeter.increment();
      } else if (ar.cause() instanceof ReplyException
        && ((ReplyException) ar.cause()).failureType() == ReplyFailure.RECIPIENT_FAILURE
        && ((ReplyException) ar.cause()).failureCode() != FailureCode.CANCELLED.code()) {
        guard.stats.lateFailures.increment();
      }
      return;
    }
    a.finished = true;
    inFlight.remove(a);
    Throwable failure = ar.failed() ? ar.cause() : null;
    report(a, failure, failure != null && ranOutOfCallersTime(a, failure));
    if (done) {
      return;
    }
    if (failure == null) {
      if (a.hedge) {
        guard.stats.hedgeWins.increment();
      }
      finish(ar.result(), null);
      return;
    }
    onFailure(failure);
  }

  /** An attempt failed (or timed out): retry, hedge on, or answer. */
  private void onFailure(Throwable failure) {
    lastFailure = failure;
    if (hedge != null) {
      if (hedge.getNonFatal().matches(failure)) {
        if (!inFlight.isEmpty() || hedgeNow()) {
          return;
        }
      }
      finish(null, failure);
      return;
    }
    if (retry != null && sent < retry.getMaxAttempts() && retry.getRetryOn().matches(failure)) {
      long delay = Backoff.delayMs(retry, sent);
      if (scope.remainingMs() - delay < Math.max(1, o.getMinAttemptMs())) {
        guard.stats.noBudgetForAttempt.increment();
        finish(null, failure);
        return;
      }
      if (!guard.retryBudget.tryWithdraw()) {
        guard.stats.retryBudgetDenied.increment();
        finish(null, failure);
        return;
      }
      guard.stats.retries.increment();
      guard.retryMeter.increment();
      sleeping = true;
      Tasks.sleep(scope, delay).onComplete(ar -> onCtx(() -> {
        if (done || ar.failed()) {
          return;
        }
        if (scope.remainingMs() < Math.max(1, o.getMinAttemptMs())) {
          guard.stats.noBudgetForAttempt.increment();
          guard.retryBudget.refund();
          finish(null, failure);
        } else if (!send(false)) {
          guard.retryBudget.refund();
          finish(null, new CircuitOpenException("'" + guard.address + "' → '" + guard.target
            + "': circuit opened after " + sent + " attempt(s), last failure: " + LogValues.safe(String.valueOf(failure.getMessage()), 300)));
        }
      }));
      return;
    }
    finish(null, failure);
  }

  private void scheduleHedge() {
    if (extraCopies >= hedge.getMaxExtra()) {
      return;
    }
    int generation = ++hedgeGeneration;
    sleeping = true;
    Tasks.sleep(scope, hedge.getDelayMs()).onComplete(ar -> onCtx(() -> {
      if (ar.succeeded() && !done && generation == hedgeGeneration) {
        hedgeNow();
      }
    }));
  }

  /** Sends a hedge copy now if allowed. @return whether one was sent */
  private boolean hedgeNow() {
    if (done || extraCopies >= hedge.getMaxExtra()) {
      return false;
    }
    if (scope.remainingMs() < Math.max(1, o.getMinAttemptMs())) {
      guard.stats.noBudgetForAttempt.increment();
      return false;
    }
    if (!guard.retryBudget.tryWithdraw()) {
      guard.stats.retryBudgetDenied.increment();
      return false;
    }
    if (!send(true)) {
      guard.retryBudget.refund();
      return false;
    }
    extraCopies++;
    guard.stats.hedges.increment();
    guard.hedgeMeter.increment();
    scheduleHedge();
    return true;
  }

  private void onScopeCancelled(CancelledException reason) {
    if (done) {
      return;
    }
    if (reason.deadline()) {
      long lateMicros = Math.max(0, (System.nanoTime() - scope.deadline().nanoTime()) / 1_000);
      guard.stats.deadlineLate(lateMicros);
      finish(null, new CallDeadlineExceeded("'" + guard.address + "' → '" + guard.target
        + "': no reply within " + budgetSource() + " (" + sent + " attempt" + (sent == 1 ? "" : "s")
        + (lastFailure != null ? "; last failure: " + LogValues.safe(String.valueOf(lastFailure.getMessage()), 300) : "") + ")", reason));
    } else {
      finish(null, reason);
    }
  }

  private String budgetSource() {
    return callerBudgetMs >= 0
      ? "the caller's budget of " + callerBudgetMs + " ms"
      : "the route's timeoutMs of " + o.getTimeoutMs() + " ms";
  }

  /** Ends the call: answers it, abandons what is still in flight, cancels timers. Idempotent. */
  private void finish(Message<T> reply, Throwable failure) {
    if (done) {
      return;
    }
    done = true;
    scopeRegistration.remove();
    String why;
    // what the breaker hears about the attempts abandoned now: only the route's own deadline is the target's
    // failure; the caller's shorter deadline, the caller leaving, another copy winning are neutral
    Throwable verdictForOthers = null;
    if (failure == null) {
      why = "another attempt won (" + guard.address + ")";
    } else if (failure instanceof DeadlineExceededException) {
      why = "deadline exceeded (" + guard.address + ")";
      verdictForOthers = callerBudgetMs >= 0 ? null : DEADLINE_VERDICT;
    } else if (failure instanceof CancelledException) {
      why = "caller gave up: " + LogValues.safe(String.valueOf(failure.getMessage()), 300);
    } else {
      why = "call ended: " + LogValues.safe(String.valueOf(failure.getMessage()), 300);
    }
    for (Attempt a : new ArrayList<>(inFlight)) {
      abandon(a, why, verdictForOthers, verdictForOthers == null);
    }
    guard.ended(this);
    if (sleeping) {
      // cancelling the call scope cancels pending backoff and hedge timers
      scope.cancel("call finished");
    }
    scope.close();
    count(failure);
    if (failure == null) {
      result.complete(reply);
    } else {
      result.fail(failure);
    }
  }

  private void count(Throwable failure) {
    guard.stats.latency(System.nanoTime() - startedNanos);
    if (failure == null) {
      guard.stats.ok.increment();
      guard.okMeter.increment();
    } else if (failure instanceof DeadlineExceededException) {
      guard.stats.deadlineExceeded.increment();
      guard.timeoutMeter.increment();
    } else if (failure instanceof CircuitOpenException) {
      guard.stats.circuitOpen.increment();
      guard.circuitOpenMeter.increment();
    } else if (failure instanceof CancelledException) {
      guard.stats.cancelled.increment();
      guard.cancelledMeter.increment();
    } else if (shed) {
      guard.stats.shed.increment();
      guard.shedMeter.increment();
    } else {
      guard.stats.failed.increment();
      guard.failedMeter.increment();
    }
  }

  /**
   * Gives up on an attempt: its target is told to stop (cancel notice with the attempt's request id);
   * its reply consumer is released now, or after the late-reply window.
   */
  private void abandon(Attempt a, String reason, Throwable verdictFailure, boolean neutral) {
    if (a.abandoned || a.finished) {
      return;
    }
    a.abandoned = true;
    inFlight.remove(a);
    guard.stats.abandoned.increment();
    if (a.limit != null) {
      a.limit.close();
    }
    report(a, verdictFailure, neutral);
    if (o.getLateReplyWindowMs() == 0 || guard.isClosed()) {
      a.release(reason);
    } else {
      guard.linger(a);
      CancelNotices.publish(guard.vertx, a.id, reason);
    }
  }

  /**
   * Tells the circuit breaker how the attempt went, once: a failure in {@code failOn}, or a success (any
   * reply, or a failure not in {@code failOn}); nothing when {@code neutral} — except for the half-open
   * probe, which must be settled and is then reported as a success (see the class comment).
   */
  private void report(Attempt a, Throwable failure, boolean neutral) {
    if (guard.breaker == null || a.reported) {
      return;
    }
    a.reported = true;
    boolean counts = failure != null && !neutral && guard.options.getCircuitBreaker().getFailOn().matches(failure);
    if (a.verdict != null) {
      if (counts) {
        a.verdict.tryFail(failure);
      } else {
        a.verdict.tryComplete();
      }
    } else if (counts) {
      guard.breaker.execute(() -> Future.failedFuture(failure));
    } else if (!neutral) {
      guard.breaker.execute(() -> Future.succeededFuture());
    }
  }

  /**
   * @return whether a failed attempt ran out of the <em>caller's</em> time rather than failing on its own:
   * a timeout-kind failure of an attempt whose budget was the caller's (shorter than the route's
   * {@code timeoutMs}, no shorter per-attempt limit), arriving in the last tenth of that budget
   */
  private boolean ranOutOfCallersTime(Attempt a, Throwable failure) {
    boolean timeoutKind = FailureSet.kindOf(failure) == FailureSet.Kind.TIMEOUT
      || failure instanceof ReplyException && ((ReplyException) failure).failureCode() == FailureCode.TIMEOUT.code();
    if (callerBudgetMs < 0 || a.limit != null || !timeoutKind) {
      return false;
    }
    return scope.remainingMs() <= Math.max(NEAR_DEADLINE_MS, a.budgetMs / 10);
  }

  /** Called by {@link RouteGuardImpl#close()}. */
  Future<Void> closeFromGuard() {
    Promise<Void> answered = Promise.promise();
    onCtx(() -> {
      finish(null, FailureCode.UNAVAILABLE.exception("route '" + guard.address + "' closed while the call was in flight"));
      answered.complete();
    });
    return answered.future();
  }

  private void onCtx(Runnable action) {
    if (Vertx.currentContext() == ctx) {
      action.run();
    } else {
      ctx.runOnContext(v -> action.run());
    }
  }

  /** The call's deadline: no stack trace (control flow, raised in bulk under overload). */
  private static final class CallDeadlineExceeded extends DeadlineExceededException {
    private static final long serialVersionUID = 1L;

    CallDeadlineExceeded(String message, Throwable cause) {
      super(message, cause);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  /** One send to the target. */
  final class Attempt {
    final int number;
    final boolean hedge;
    final String id;
    /** The request on the bus (null when sending threw). */
    BusRequest.Pending<T> pending;
    CancelScope limit;
    /** The budget the attempt was sent with, in ms. */
    long budgetMs;
    /** Set for the half-open probe only: how the breaker learns its outcome. */
    Promise<Void> verdict;
    boolean reported;
    boolean abandoned;
    boolean finished;

    Attempt(int number, boolean hedge) {
      this.number = number;
      this.hedge = hedge;
      this.id = RequestIds.next();
    }

    /** Releases the reply consumer now (BusRequest publishes the cancel notice). */
    void release(String reason) {
      onCtx(() -> {
        guard.unlinger(this);
        if (pending != null) {
          pending.release(reason);
        }
      });
    }
  }
}
