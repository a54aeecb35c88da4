package dev.loopkit.fetch.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchMode;
import dev.loopkit.fetch.FetchReply;
import dev.loopkit.fetch.FetchResult;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call: starts its requests under the call's {@code concurrency}, collects results in input order,
 * decides the outcome by mode, and cancels whatever is still running once it is decided. Modelled on
 * health-check's {@code DefaultCompositeProcedure} (indexed results, countdown, empty input completes at
 * once), plus what it lacks: the losers are cancelled and their connections reset.
 *
 * <p>A call lives on its {@link #home} shard, where its results are collected and its outcome decided. Its
 * requests run on any shard: the call starts the first ones (each on the least busy shard), then a shard
 * whose request finished starts the call's next one itself, on its own loop (the claim is two atomics:
 * {@link #running} under {@code concurrency}, {@link #claimed} for the index). Results go home through one
 * queue, drained by one task however many arrive meanwhile. So a big call spreads over every loop with no
 * thread hop per request but the batched report. Thread-safe parts: the claim counters, the report queue,
 * {@link #finished} with what it publishes, the byte budget ({@link #charge}); the rest is home's. Once the
 * outcome is decided the unfinished requests are cancelled on their shards, and the reply goes out when the
 * last of them has reported, so every result is in it.
 */
final class Call {

  private static final Logger LOG = LoggerFactory.getLogger(Call.class);

  final FetchEngineImpl engine;
  final Shard home;
  private final Prepared[] items;
  private final FetchMode mode;
  private final int quorum;
  private final int concurrency;
  private final long timeoutMs;
  final CancelScope scope;
  final boolean hasDeadline;
  final long deadlineNanos;
  private final long startNanos;
  private final FetchResult[] results;
  private final Promise<FetchReply> promise;
  private final Handler<FetchResult> onResult;
  private Registration cancelRegistration = Registration.NONE;
  /** The next item to start (claimed by whichever shard starts it); past the end once decided. */
  private final java.util.concurrent.atomic.AtomicInteger claimed = new java.util.concurrent.atomic.AtomicInteger();
  /** Requests started and not finished: at most {@code concurrency}. */
  private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
  /** The requests' exchanges, by item, set by the shard that starts one and cleared at home when it reports. */
  private final java.util.concurrent.atomic.AtomicReferenceArray<Exchange> started;
  private final java.util.concurrent.ConcurrentLinkedQueue<Exchange> reports = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final java.util.concurrent.atomic.AtomicBoolean drainScheduled = new java.util.concurrent.atomic.AtomicBoolean();
  /** Per shard (by index; each touched by its own loop only): a pump is running there, do not nest one. */
  private final boolean[] pumping;
  /** Exchanges that have reported, and how many will (all items, or those claimed before the decision). */
  private int reported;
  private int expected;
  private int completed;
  private int okCount;
  private int failCount;
  private int winner = -1;
  /** Decided: no request starts any more; one granted or started later ends at once with {@link #settleCode}. */
  volatile boolean finished;
  volatile FetchErrorCode settleCode = FetchErrorCode.CANCELLED;
  volatile String settleWhy = "cancelled";
  /** The reply waits until every started request has reported ({@link #expected}). */
  private boolean settling;
  private boolean delivered;
  private Throwable failure;
  /** Response bytes the call's exchanges hold (headers, bodies, redirect URLs, parsed JSON estimates). */
  private final java.util.concurrent.atomic.AtomicLong kept = new java.util.concurrent.atomic.AtomicLong();

  Call(FetchEngineImpl engine, Shard home, Prepared[] items, FetchMode mode, int quorum, int concurrency, long timeoutMs,
       CancelScope scope, Promise<FetchReply> promise, Handler<FetchResult> onResult) {
    this.engine = engine;
    this.home = home;
    this.items = items;
    this.mode = mode;
    this.quorum = quorum;
    this.concurrency = concurrency;
    this.timeoutMs = timeoutMs;
    this.scope = scope;
    this.hasDeadline = !scope.deadline().isNone();
    this.deadlineNanos = scope.deadline().nanoTime();
    this.startNanos = System.nanoTime();
    this.started = new java.util.concurrent.atomic.AtomicReferenceArray<>(items.length);
    this.pumping = new boolean[engine.shards.length];
    this.expected = items.length;
    this.results = new FetchResult[items.length];
    this.promise = promise;
    this.onResult = onResult;
  }

  void start() {
    if (items.length == 0) {
      complete();
      return;
    }
    cancelRegistration = scope.onCancel(reason -> home.run(() -> onScopeCancelled(reason)));
    pump(home);
  }

  /**
   * Starts requests while the call's concurrency allows, from {@code here}'s loop: at the call's start from
   * home (placing each on the least busy shard), then from the shard of each request that finishes (placing
   * the next one there, unless that shard is busier than another by more than one).
   */
  private void pump(Shard here) {
    if (pumping[here.index]) {
      return; // a request that finished at once inside e.start(): the running loop below goes on
    }
    pumping[here.index] = true;
    try {
      while (!finished) {
        int r = running.get();
        if (r >= concurrency) {
          return;
        }
        if (!running.compareAndSet(r, r + 1)) {
          continue;
        }
        int i = claimed.getAndIncrement();
        if (i >= items.length) {
          running.decrementAndGet();
          return;
        }
        // claimed: it starts (and reports "never started" if the call was decided meanwhile)
        Shard shard = Shard.pick(engine.shards, here, here == home && i < concurrency ? 0 : 1);
        Exchange e = new Exchange(this, items[i], shard);
        started.set(i, e);
        shard.active.incrementAndGet();
        if (shard == here) {
          e.start();
        } else {
          shard.context.runOnContext(v -> e.start());
        }
      }
    } finally {
      pumping[here.index] = false;
    }
  }

  /** Takes {@code bytes} from the call's {@code maxCallBytes}; false (nothing taken) when they do not fit. */
  boolean charge(long bytes) {
    long max = engine.options.getMaxCallBytes();
    for (;;) {
      long k = kept.get();
      if (bytes > max - k) {
        return false;
      }
      if (kept.compareAndSet(k, k + bytes)) {
        return true;
      }
    }
  }

  void refund(long bytes) {
    kept.addAndGet(-bytes);
  }

  long kept() {
    return kept.get();
  }

  long roomLeft() {
    return engine.options.getMaxCallBytes() - kept.get();
  }

  /**
   * From an exchange's shard, once: its result goes home (queued; one drain task for all that arrive before
   * it runs), and this shard starts the call's next request.
   */
  void itemDone(Exchange e) {
    reports.add(e);
    if (drainScheduled.compareAndSet(false, true)) {
      if (home.current()) {
        drain();
      } else {
        home.context.runOnContext(v -> drain());
      }
    }
    running.decrementAndGet();
    // on the next turn of this loop, not now: a request that just ended (inside its response's end handler)
    // has not given its connection back to the pool yet, and the next one would open another
    e.shard.context.runOnContext(v -> pump(e.shard));
  }

  private void drain() {
    drainScheduled.set(false);
    Exchange e;
    while ((e = reports.poll()) != null) {
      onItemDone(e, e.result);
    }
  }

  private void onItemDone(Exchange e, FetchResult r) {
    int i = e.req.index;
    results[i] = r;
    started.set(i, null);
    reported++;
    completed++;
    if (r.ok()) {
      okCount++;
    } else {
      failCount++;
    }
    engine.count(r);
    report(r);
    if (finished) {
      deliverWhenSettled();
      return;
    }
    switch (mode) {
      case ALL:
        if (!r.ok()) {
          fail(r.error().callFailure(), "requests[" + i + "] failed with " + r.error() + ": " + r.message()
            + cancelledNote(), FetchErrorCode.CANCELLED, "cancelled: requests[" + i + "] failed in mode all");
          return;
        }
        break;
      case ANY:
        if (r.ok()) {
          winner = i;
          succeed("lost: requests[" + i + "] succeeded first in mode any");
          return;
        }
        if (completed == items.length) {
          FetchErrorCode code = allOverloaded() ? FetchErrorCode.OVERLOADED : FetchErrorCode.HTTP_STATUS;
          fail(code.callFailure(), "no request succeeded in mode any: " + firstFailures(), FetchErrorCode.CANCELLED, null);
          return;
        }
        break;
      case RACE:
        winner = i;
        succeed("lost: requests[" + i + "] completed first in mode race");
        return;
      case QUORUM:
        if (okCount >= quorum) {
          succeed("lost: quorum of " + quorum + " reached in mode quorum");
          return;
        }
        if (failCount > items.length - quorum) {
          fail(FailureCode.BAD_GATEWAY, "quorum of " + quorum + " out of reach: " + failCount + " of " + items.length
            + " failed (" + firstFailures() + ")" + cancelledNote(), FetchErrorCode.CANCELLED, "cancelled: quorum of " + quorum + " out of reach");
          return;
        }
        break;
      default:
        break;
    }
    if (completed == items.length) {
      complete();
    }
  }

  private void onScopeCancelled(CancelledException reason) {
    if (finished) {
      return;
    }
    int unfinished = items.length - completed;
    if (reason.deadline()) {
      String why = "overall deadline passed (" + (timeoutMs > 0 ? "timeoutMs " + timeoutMs + " or the caller's budget" : "the caller's budget") + ")";
      if (mode == FetchMode.SETTLED) {
        succeedWith(FetchErrorCode.DEADLINE_EXCEEDED, why);
      } else {
        // the engine's Java API gives up at a deadline with loopkit's one timeout type (504 on the bus)
        fail(new DeadlineExceededException(why + " in mode " + mode.jsonName() + " with " + unfinished + " of " + items.length
          + " requests unfinished" + (mode == FetchMode.QUORUM ? " (" + okCount + " of " + quorum + " successes)" : ""), reason),
          FetchErrorCode.DEADLINE_EXCEEDED, why);
      }
    } else {
      fail(FailureCode.CANCELLED, "call cancelled: " + reason.getMessage(), FetchErrorCode.CANCELLED, "cancelled: " + reason.getMessage());
    }
  }

  /** Cancels everything and fails the call (engine shut down). */
  void abort(String why) {
    if (!finished) {
      fail(FailureCode.CANCELLED, why, FetchErrorCode.CANCELLED, why);
    }
  }

  private void succeed(String loserReason) {
    succeedWith(FetchErrorCode.CANCELLED, loserReason);
  }

  private void succeedWith(FetchErrorCode code, String why) {
    settleRest(code, why);
    deliverWhenSettled();
  }

  private void complete() {
    finished = true;
    deliverWhenSettled();
  }

  private void fail(FailureCode code, String message, FetchErrorCode restCode, String restWhy) {
    fail(code.exception(message), restCode, restWhy);
  }

  private void fail(Throwable failure, FetchErrorCode restCode, String restWhy) {
    this.failure = failure;
    settleRest(restCode, restWhy == null ? "cancelled" : restWhy);
    deliverWhenSettled();
  }

  /** Replies once decided and every started request has reported. */
  private void deliverWhenSettled() {
    if (!finished || settling || reported < expected || delivered) {
      return;
    }
    delivered = true;
    cleanup();
    if (failure != null) {
      promise.tryFail(failure);
      return;
    }
    double elapsed = (System.nanoTime() - startNanos) / 1_000_000.0;
    promise.tryComplete(new FetchReply(mode, results, elapsed, mode == FetchMode.ANY || mode == FetchMode.RACE ? winner : -1));
  }

  /**
   * Ends every unfinished request with {@code code}: running ones are cancelled (reset), unstarted ones never
   * start. On home, like every decision (results drain there, scope and close hand over there).
   */
  private void settleRest(FetchErrorCode code, String why) {
    settleCode = code;
    settleWhy = why;
    finished = true;
    settling = true;
    int claimedBefore = Math.min(claimed.getAndSet(Integer.MAX_VALUE / 2), items.length);
    expected = claimedBefore;
    for (int i = claimedBefore; i < items.length; i++) {
      if (results[i] == null) {
        FetchResult r = FetchResult.failure(i, items[i].url, code, why + " (never started)", 0, 0, 0);
        results[i] = r;
        completed++;
        failCount++;
        engine.count(r);
        report(r);
      }
    }
    // Requests not holding a slot go first: cancelling a running one frees its slot, and the limiter would
    // otherwise hand that slot to a waiter of this very call (which would then end at once, seeing finished).
    // Requests on other shards are cancelled there; they report back, and the reply waits for them. A request
    // claimed but not yet started sees finished when it starts, and reports "never started" itself.
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < claimedBefore; i++) {
        Exchange e = started.get(i);
        if (e != null && e.shard == home && !e.done() && e.holdsSlot() == (pass == 1)) {
          e.cancel(code, why);
        }
      }
    }
    for (int i = 0; i < claimedBefore; i++) {
      Exchange e = started.get(i);
      if (e != null && e.shard != home) {
        e.shard.context.runOnContext(v -> e.cancel(code, why));
      }
    }
    settling = false;
  }

  private void cleanup() {
    cancelRegistration.remove();
    engine.callDone(this);
  }

  private void report(FetchResult r) {
    if (onResult != null) {
      try {
        onResult.handle(r);
      } catch (RuntimeException ex) {
        LOG.warn("fetch progress handler threw {} — skipped; progress handlers must not throw", ex.toString(), ex);
      }
    }
  }

  private boolean allOverloaded() {
    for (FetchResult r : results) {
      if (r != null && r.error() != FetchErrorCode.OVERLOADED) {
        return false;
      }
    }
    return true;
  }

  private String firstFailures() {
    StringBuilder sb = new StringBuilder();
    int shown = 0;
    int total = 0;
    for (FetchResult r : results) {
      if (r != null && !r.ok()) {
        total++;
        if (shown < 3) {
          sb.append(shown == 0 ? "" : "; ").append("requests[").append(r.index()).append("] ").append(r.error());
          shown++;
        }
      }
    }
    if (total > shown) {
      sb.append("; ").append(total - shown).append(" more");
    }
    return sb.toString();
  }

  private String cancelledNote() {
    int rest = items.length - completed;
    return rest == 0 ? "" : "; the " + rest + " unfinished request" + (rest == 1 ? " was" : "s were") + " cancelled";
  }
}
