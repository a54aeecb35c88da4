package dev.loopkit.async;

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
 * {@link CancelledException}; when they finish first they remove the callback. loopkit's own operations
 * ({@link Tasks#sleep}, {@link dev.loopkit.bus.BusRequest}, the fetch engine) all do.
 *
 * <p>The contract, modelled on asyncio's {@code timeouts.py} and Trio's cancel scopes:
 * <ul>
 *   <li><b>Nesting only shortens.</b> A {@link #child child} is cancelled when its parent is; its deadline
 *   is the earlier of its own and its parent's. Cancelling a child never touches its parent.</li>
 *   <li><b>A past deadline fires on the next loop turn</b>, not synchronously: code that starts work
 *   right after creating the scope still gets to register, then is cancelled. A deadline of zero or less
 *   is such a past deadline. {@link Deadline#NONE} disables the deadline.</li>
 *   <li><b>Level-triggered.</b> Once cancelled, a scope stays cancelled: {@link #onCancel} on a cancelled
 *   scope runs the callback at once, so no new work slips through.</li>
 *   <li><b>{@link #expired()}</b> is true only when this scope's own deadline fired (not a parent's), as
 *   asyncio's {@code Timeout.expired()}.</li>
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
  private final LiveResources live;
  private final Map<Long, Handler<CancelledException>> callbacks = new LinkedHashMap<>();
  private List<Runnable> closeHooks;
  private long nextCallbackId;
  private CancelledException reason;
  private boolean expired;
  private boolean closed;
  private long timerId = -1;
  private Registration parentRegistration = Registration.NONE;

  private CancelScope(Vertx vertx, CancelScope parent, Deadline own) {
    this.vertx = vertx;
    this.parent = parent;
    Deadline inherited = parent == null ? Deadline.NONE : parent.deadline;
    this.deadline = own.min(inherited);
    this.live = LiveResources.of(vertx);
    live.increment(LiveResources.SCOPES);
    if (parent != null) {
      parentRegistration = parent.onCancel(this::cancelFromParent);
    }
    boolean ownIsEarlier = !own.isNone() && (inherited.isNone() || own.compareTo(inherited) < 0);
    if (ownIsEarlier && !isCancelled()) {
      armTimer(own);
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

  /** @return whether the scope is cancelled (explicitly, by its deadline, or by its parent) */
  public synchronized boolean isCancelled() {
    return reason != null;
  }

  /** @return whether this scope's own deadline fired */
  public synchronized boolean expired() {
    return expired;
  }

  /** @return the exception operations fail with, or {@code null} while not cancelled */
  public synchronized CancelledException reason() {
    return reason;
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
    if (now != null) {
      invoke(callback, now);
      return Registration.NONE;
    }
    return () -> {
      synchronized (CancelScope.this) {
        callbacks.remove(id);
      }
    };
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
    List<Runnable> hooks;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      timer = timerId;
      timerId = -1;
      callbacks.clear();
      hooks = closeHooks;
      closeHooks = null;
    }
    if (timer >= 0 && vertx.cancelTimer(timer)) {
      live.decrement(LiveResources.TIMERS);
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

  @Override
  public String toString() {
    return "CancelScope[" + (isCancelled() ? (expired ? "expired" : "cancelled") : "active") + ", " + deadline + "]";
  }

  private void armTimer(Deadline own) {
    long ms = TimeUnit.NANOSECONDS.toMillis(own.nanoTime() - System.nanoTime());
    if (ms <= 0) {
      // A past deadline fires on the next loop turn, never synchronously.
      vertx.getOrCreateContext().runOnContext(v -> expire());
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
    doCancel(new CancelledException("deadline exceeded" + (ms > 0 ? " (" + ms + " ms late)" : ""), true, null), true);
  }

  private void cancelFromParent(CancelledException parentReason) {
    doCancel(parentReason, false);
  }

  private boolean doCancel(CancelledException why, boolean ownDeadline) {
    List<Handler<CancelledException>> toRun;
    long timer;
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
    }
    if (timer >= 0 && vertx.cancelTimer(timer)) {
      live.decrement(LiveResources.TIMERS);
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
