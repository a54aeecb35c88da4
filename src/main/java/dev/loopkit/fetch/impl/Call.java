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
 * <p>A call lives on its {@link #home} shard: every field here is read and written on that shard's context,
 * except the ones the requests read from their own shards — {@link #finished} and what it publishes, and
 * the byte budget ({@link #charge}, thread-safe). Requests are placed on the least busy shard and report
 * back here; once the outcome is decided the unfinished ones are cancelled on their shards, and the reply
 * goes out when the last of them has reported, so every result is in it.
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
  private final Exchange[] exchanges;
  private final FetchResult[] results;
  private final Promise<FetchReply> promise;
  private final Handler<FetchResult> onResult;
  private Registration cancelRegistration = Registration.NONE;
  private int next;
  private int active;
  private int completed;
  private int okCount;
  private int failCount;
  private int winner = -1;
  /** Decided: no request starts any more; one granted or started later ends at once with {@link #settleCode}. */
  volatile boolean finished;
  volatile FetchErrorCode settleCode = FetchErrorCode.CANCELLED;
  volatile String settleWhy = "cancelled";
  /** The reply waits until the requests still running have reported ({@link #active} is 0). */
  private boolean settling;
  private boolean delivered;
  private Throwable failure;
  private boolean pumping;
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
    this.exchanges = new Exchange[items.length];
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
    pump();
  }

  /** Starts requests while the call's concurrency allows. */
  private void pump() {
    if (pumping) {
      return;
    }
    pumping = true;
    try {
      while (!finished && active < concurrency && next < items.length) {
        Shard shard = Shard.pick(engine.shards, home);
        Exchange e = new Exchange(this, items[next], shard);
        exchanges[next++] = e;
        active++;
        shard.active.incrementAndGet();
        if (shard == home) {
          e.start();
        } else {
          shard.context.runOnContext(v -> e.start());
        }
      }
    } finally {
      pumping = false;
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

  /** From an exchange's shard: its one result, handed to the call's home. */
  void itemDone(Exchange e, FetchResult r) {
    if (home.current()) {
      onItemDone(e, r);
    } else {
      home.context.runOnContext(v -> onItemDone(e, r));
    }
  }

  private void onItemDone(Exchange e, FetchResult r) {
    int i = e.req.index;
    results[i] = r;
    exchanges[i] = null;
    active--;
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
      return;
    }
    pump();
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
    if (!finished || settling || active > 0 || delivered) {
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

  /** Ends every unfinished request with {@code code}: running ones are cancelled (reset), unstarted ones never start. */
  private void settleRest(FetchErrorCode code, String why) {
    settleCode = code;
    settleWhy = why;
    finished = true;
    settling = true;
    for (int i = next; i < items.length; i++) {
      if (results[i] == null) {
        FetchResult r = FetchResult.failure(i, items[i].url, code, why + " (never started)", 0, 0, 0);
        results[i] = r;
        completed++;
        failCount++;
        engine.count(r);
        report(r);
      }
    }
    next = items.length;
    // Requests not holding a slot go first: cancelling a running one frees its slot, and the limiter would
    // otherwise hand that slot to a waiter of this very call (which would then end at once, seeing finished).
    // Requests on other shards are cancelled there; they report back, and the reply waits for them.
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < items.length; i++) {
        Exchange e = exchanges[i];
        if (e != null && e.shard == home && !e.done() && e.holdsSlot() == (pass == 1)) {
          e.cancel(code, why);
        }
      }
    }
    for (int i = 0; i < items.length; i++) {
      Exchange e = exchanges[i];
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
