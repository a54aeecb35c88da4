package dev.loopkit.async;

import dev.loopkit.async.impl.DeadlineWheel;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The cancellation and deadline primitive every loopkit operation honours — what Vert.x futures lack.
 *
 * <p>A scope is a unit of work that can be cancelled, explicitly with {@link #cancel(String)} or because
 * its {@link #deadline()} passed. Operations started under a scope register a callback with
 * {@link #onCancel(Handler)} that releases what they hold (a timer is cancelled, an event-bus reply
 * consumer unregistered, an HTTP request reset) and fails their future with the scope's
 * {@link #reason()}: a {@link CancelledException}, or its subclass {@link DeadlineExceededException} when the
 * deadline passed. When they finish first they remove the callback. loopkit's own operations
 * ({@link Tasks#sleep}, {@link dev.loopkit.bus.BusRequest}, the fetch engine) all do;
 * {@link Cancellable} makes any Vert.x call do the same.
 *
 * <p>The contract, modelled on asyncio's {@code timeouts.py} and Trio's cancel scopes:
 * <ul>
 *   <li><b>Nesting only shortens.</b> A {@link #child child} is cancelled when its parent is; its deadline
 *   is the earlier of its own and its parent's. Cancelling a child never touches its parent.</li>
 *   <li><b>A past deadline fires on the next loop turn</b>, not synchronously: code that starts work
 *   right after creating the scope still gets to register, then is cancelled. A deadline of zero or less
 *   is such a past deadline. {@link Deadline#NONE} disables the deadline.</li>
 *   <li><b>Level-triggered.</b> Once cancelled, a scope stays cancelled: {@link #onCancel} on a cancelled
 *   scope runs the callback at once, so no new work slips through. A scope counts as cancelled as soon as
 *   any open ancestor is, even while that cancellation is still being delivered down the tree (its
 *   callbacks run innermost-first, so code woken early already sees every scope below as cancelled).</li>
 *   <li><b>{@link #expired()}</b> is true when this scope's own deadline passed, as asyncio's
 *   {@code Timeout.expired()}: not when only a parent's earlier deadline fired, but a tie counts — nested
 *   scopes with the same deadline are all expired when it passes.</li>
 *   <li><b>{@link #close()}</b> ends the scope: its deadline timer is cancelled and it detaches from its
 *   parent; a closed scope is never cancelled afterwards. Every scope must be closed; helpers such as
 *   {@link Tasks#waitFor} close theirs. {@link LiveResources} counts open scopes and pending timers, so
 *   tests can assert that nothing leaked.</li>
 * </ul>
 * Callbacks run in reverse order of registration, like nested {@code with} blocks unwinding: the
 * operations started last (innermost) release their resources before whoever registered earlier — such
 * as {@link Tasks#waitFor}, which then reports the timeout — observes the cancellation.
 * Thread-safe; callbacks run on the thread that cancels (the deadline timer runs on the event loop of the
 * context that created the scope), outside any lock, and a throwing callback is logged and skipped.
 */
public final class CancelScope implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CancelScope.class);

  private final Vertx vertx;
  private final CancelScope parent;
  private final Deadline deadline;
  private final Deadline own;
  private final LiveResources live;
  private final Map<Long, Handler<CancelledException>> callbacks = new LinkedHashMap<>();
  private List<Runnable> closeHooks;
  private long nextCallbackId;
  private CancelledException reason;
  private boolean expired;
  private boolean closed;
  private long timerId = -1;
  /** The deadline's entry on the loop's {@link DeadlineWheel} (coarse scopes), instead of {@link #timerId}. */
  private DeadlineWheel.Entry wheelEntry;
  private Registration parentRegistration = Registration.NONE;

  private CancelScope(Vertx vertx, CancelScope parent, Deadline own) {
    this(vertx, parent, own, false);
  }

  private CancelScope(Vertx vertx, CancelScope parent, Deadline own, boolean coarse) {
    this.vertx = vertx;
    this.parent = parent;
    Deadline inherited = parent == null ? Deadline.NONE : parent.deadline;
    this.deadline = own.min(inherited);
    this.own = own;
    this.live = LiveResources.of(vertx);
    live.increment(LiveResources.SCOPES);
    if (parent != null) {
      parentRegistration = parent.onCancel(this::cancelFromParent);
    }
    boolean ownIsEarlier = !own.isNone() && (inherited.isNone() || own.compareTo(inherited) < 0);
    if (ownIsEarlier && !isCancelled()) {
      armTimer(own, coarse);
    }
  }

  /** A root scope without a deadline. */
  public static CancelScope create(Vertx vertx) {
    return new CancelScope(vertx, null, Deadline.NONE);
  }

  /** A root scope that expires {@code timeoutMs} from now (zero or negative: on the next loop turn). */
  public static CancelScope withTimeout(Vertx vertx, long timeoutMs) {
    return new CancelScope(vertx, null, Deadline.in(timeoutMs));
  }

  /** A root scope that expires at {@code deadline} ({@link Deadline#NONE}: never). */
  public static CancelScope withDeadline(Vertx vertx, Deadline deadline) {
    return new CancelScope(vertx, null, deadline);
  }

  /**
   * {@link #withDeadline} whose deadline is timed by the event loop's {@link DeadlineWheel} instead of a
   * Vert.x timer of its own: it fires up to {@value DeadlineWheel#TICK_MS} ms late (never early), and
   * arming and cancelling it costs a few field writes. For per-request deadlines that are nearly always
   * beaten. Off an event-loop context of {@code vertx}, a Vert.x timer as usual.
   */
  public static CancelScope withCoarseDeadline(Vertx vertx, Deadline deadline) {
    return new CancelScope(vertx, null, deadline, true);
  }

  /**
   * {@link #childWithTimeout} whose own deadline is timed by the event loop's {@link DeadlineWheel} (see
   * {@link #withCoarseDeadline}).
   */
  public CancelScope childWithCoarseTimeout(long timeoutMs) {
    return new CancelScope(vertx, this, Deadline.in(timeoutMs), true);
  }

  /** A child that inherits this scope's deadline and cancellation. */
  public CancelScope child() {
    return new CancelScope(vertx, this, Deadline.NONE);
  }

  /** A child whose deadline is the earlier of {@code timeoutMs} from now and this scope's. */
  public CancelScope childWithTimeout(long timeoutMs) {
    return new CancelScope(vertx, this, Deadline.in(timeoutMs));
  }

  /** A child whose deadline is the earlier of {@code deadline} and this scope's. */
  public CancelScope child(Deadline deadline) {
    return new CancelScope(vertx, this, deadline);
  }

  /** @return the Vert.x instance whose timers this scope uses */
  public Vertx vertx() {
    return vertx;
  }

  /** @return the parent scope, or {@code null} for a root scope */
  public CancelScope parent() {
    return parent;
  }

  /** @return the effective deadline: the earliest of this scope's and its ancestors' */
  public Deadline deadline() {
    return deadline;
  }

  /** @return milliseconds left before the effective deadline ({@link Long#MAX_VALUE} when none) */
  public long remainingMs() {
    return deadline.remainingMs();
  }

  /**
   * @return whether the scope is cancelled (explicitly, by its deadline, or by an ancestor — also while
   * that ancestor's cancellation is still on its way down)
   */
  public boolean isCancelled() {
    return reason() != null;
  }

  /** @return whether this scope's own deadline passed (a tie with an ancestor's deadline counts) */
  public synchronized boolean expired() {
    return expired;
  }

  /**
   * @return the exception operations fail with — a {@link DeadlineExceededException} when a deadline
   * passed, else a {@link CancelledException} — or {@code null} while neither this scope nor an open
   * ancestor is cancelled
   */
  public CancelledException reason() {
    CancelledException mine;
    boolean detached;
    synchronized (this) {
      mine = reason;
      detached = closed;
    }
    if (mine != null || detached || parent == null) {
      return mine;
    }
    return parent.reason();
  }

  /** @return whether {@link #close()} was called */
  public synchronized boolean isClosed() {
    return closed;
  }

  /** Cancels the scope with reason "cancelled". @return false when already cancelled or closed */
  public boolean cancel() {
    return cancel("cancelled");
  }

  /** Cancels the scope. @return false when already cancelled or closed */
  public boolean cancel(String why) {
    return doCancel(new CancelledException(why), false);
  }

  /** Cancels the scope because of {@code cause} (kept as the cancellation's cause). */
  public boolean cancel(Throwable cause) {
    return doCancel(new CancelledException(String.valueOf(cause.getMessage()), false, cause), false);
  }

  /**
   * Registers {@code callback} to run once when the scope is cancelled; runs it at once when the scope
   * is already cancelled. Remove the returned registration when the operation finishes first.
   */
  public Registration onCancel(Handler<CancelledException> callback) {
    CancelledException now;
    long id;
    synchronized (this) {
      now = reason;
      if (now == null) {
        if (closed) {
          return Registration.NONE;
        }
        id = nextCallbackId++;
        callbacks.put(id, callback);
      } else {
        id = -1;
      }
    }
    if (now == null && parent != null) {
      // An ancestor is cancelled but has not reached us yet: level-triggered, run now (unless its
      // delivery took the callback in the meantime — then the delivery runs it).
      CancelledException inherited = parent.reason();
      if (inherited != null && removeCallback(id)) {
        now = inherited;
      }
    }
    if (now != null) {
      invoke(callback, now);
      return Registration.NONE;
    }
    return () -> removeCallback(id);
  }

  private synchronized boolean removeCallback(long id) {
    return callbacks.remove(id) != null;
  }

  /**
   * Runs {@code hook} when the scope is {@link #close() closed} (at once when it already is): for
   * bookkeeping that lives exactly as long as the scope, such as a watch on cancel notices.
   */
  public void onClose(Runnable hook) {
    synchronized (this) {
      if (!closed) {
        if (closeHooks == null) {
          closeHooks = new ArrayList<>(2);
        }
        closeHooks.add(hook);
        return;
      }
    }
    hook.run();
  }

  /**
   * Throws the scope's {@link CancelledException} when cancelled: a checkpoint for code that is about to
   * start more work.
   */
  public void throwIfCancelled() {
    CancelledException r = reason();
    if (r != null) {
      throw r;
    }
  }

  /** Ends the scope: cancels its deadline timer, detaches from its parent. Idempotent. */
  @Override
  public void close() {
    long timer;
    DeadlineWheel.Entry entry;
    List<Runnable> hooks;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      timer = timerId;
      timerId = -1;
      entry = wheelEntry;
      wheelEntry = null;
      callbacks.clear();
      hooks = closeHooks;
      closeHooks = null;
    }
    if (timer >= 0 && vertx.cancelTimer(timer)) {
      live.decrement(LiveResources.TIMERS);
    }
    if (entry != null) {
      entry.cancel(); // counts itself
    }
    parentRegistration.remove();
    live.decrement(LiveResources.SCOPES);
    if (hooks != null) {
      for (Runnable hook : hooks) {
        try {
          hook.run();
        } catch (Throwable t) {
          LOG.warn("a close hook threw {} — skipped", t.toString(), t);
        }
      }
    }
  }

  /**
   * @return {@code CancelScope[active, Deadline[in 42 ms]]}, {@code CancelScope[active, Deadline[none]]},
   * {@code CancelScope[expired]}, {@code CancelScope[cancelled]} or {@code CancelScope[closed]} (asyncio's
   * {@code <Timeout [active] when=…>}, {@code [expired]}, {@code [finished]})
   */
  @Override
  public String toString() {
    boolean isExpired;
    boolean isClosed;
    synchronized (this) {
      isExpired = expired;
      isClosed = closed;
    }
    if (isExpired) {
      return "CancelScope[expired]";
    }
    if (isCancelled()) {
      return "CancelScope[cancelled]";
    }
    return isClosed ? "CancelScope[closed]" : "CancelScope[active, " + deadline + "]";
  }

  private void armTimer(Deadline own, boolean coarse) {
    long nanos = own.nanoTime() - System.nanoTime();
    // rounded up: the timer never fires before the deadline it stands for
    long ms = nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
    if (ms <= 0) {
      // A past deadline fires on the next loop turn, never synchronously.
      vertx.getOrCreateContext().runOnContext(v -> expire());
      return;
    }
    DeadlineWheel wheel = coarse ? DeadlineWheel.current(vertx) : null;
    if (wheel != null) {
      DeadlineWheel.Entry entry = wheel.schedule(own.nanoTime(), () -> {
        synchronized (this) {
          wheelEntry = null;
        }
        expire();
      });
      synchronized (this) {
        wheelEntry = entry;
      }
      return;
    }
    live.increment(LiveResources.TIMERS);
    long id = vertx.setTimer(ms, t -> {
      synchronized (this) {
        timerId = -1;
      }
      live.decrement(LiveResources.TIMERS);
      expire();
    });
    synchronized (this) {
      timerId = id;
    }
  }

  private void expire() {
    long ms = Math.max(0, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - deadline.nanoTime()));
    doCancel(new DeadlineExceededException("deadline exceeded" + (ms > 0 ? " (" + ms + " ms late)" : "")), true);
  }

  private void cancelFromParent(CancelledException parentReason) {
    // A deadline that fires above us is ours too when ours is not later (a tie) or has passed as well.
    boolean ownAlsoPassed = parentReason.deadline() && !own.isNone()
      && (own.compareTo(parent.deadline()) <= 0 || own.expired());
    doCancel(parentReason, ownAlsoPassed);
  }

  private boolean doCancel(CancelledException why, boolean ownDeadline) {
    List<Handler<CancelledException>> toRun;
    long timer;
    DeadlineWheel.Entry entry;
    synchronized (this) {
      if (reason != null || closed) {
        return false;
      }
      reason = why;
      expired = ownDeadline;
      toRun = new ArrayList<>(callbacks.values());
      Collections.reverse(toRun);
      callbacks.clear();
      timer = timerId;
      timerId = -1;
      entry = wheelEntry;
      wheelEntry = null;
    }
    if (timer >= 0 && vertx.cancelTimer(timer)) {
      live.decrement(LiveResources.TIMERS);
    }
    if (entry != null) {
      entry.cancel();
    }
    for (Handler<CancelledException> callback : toRun) {
      invoke(callback, why);
    }
    return true;
  }

  private static void invoke(Handler<CancelledException> callback, CancelledException why) {
    try {
      callback.handle(why);
    } catch (Throwable t) {
      LOG.warn("a cancel callback threw {} — skipped; cancel callbacks must only release resources", t.toString(), t);
    }
  }
}
