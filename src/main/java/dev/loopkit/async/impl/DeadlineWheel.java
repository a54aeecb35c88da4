package dev.loopkit.async.impl;

import dev.loopkit.async.LiveResources;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * The deadlines of one event-loop context on a hashed timer wheel, driven by <b>one</b> periodic Vert.x
 * timer that exists only while the wheel holds entries — instead of one Vert.x timer per deadline (a
 * {@code ConcurrentHashMap} entry plus a Netty priority-queue insert and removal each). For deadlines that
 * are nearly always beaten, such as per-request budgets: arming and cancelling an entry is O(1), a few
 * field writes.
 *
 * <p>The contract:
 * <ul>
 *   <li><b>Never early, at most about one tick late</b>: an entry runs at the first tick that finds
 *   {@code System.nanoTime()} at or past its deadline; ticks are {@value #TICK_MS} ms apart (plus whatever
 *   delays the loop's own tasks). {@value #TICK_MS} ms is a quarter of the timeout verticle's lateness goal
 *   (p99 ≤ 20 ms at 20 000 timeouts/s, of which the loop's own queueing takes up to ~10 ms under that
 *   load): fine enough to keep the goal, coarse enough that a wheel with a single long deadline wakes its
 *   loop only 200 times a second.</li>
 *   <li>Confined: {@link #schedule} is called on the wheel's event-loop thread (get the wheel with
 *   {@link #current}); actions run there, on the context that scheduled them, inline in the tick (the
 *   one use of Vert.x's internal {@code ContextInternal.dispatch}, as a timer of that context would). {@link Entry#cancel()} works
 *   from any thread: on the loop it unlinks the entry at once, elsewhere it marks it and the loop unlinks
 *   it on its next turn.</li>
 *   <li>An entry either runs or is cancelled, never both; {@link Entry#cancel()} returns whether it won.
 *   {@link LiveResources#TIMERS} counts pending entries like the Vert.x timers they replace (up when
 *   scheduled, down when run or cancelled).</li>
 *   <li>The periodic timer is started by the first entry and stopped by the first tick that finds the
 *   wheel empty. If the context's deployment is undeployed, Vert.x cancels it like any other timer of that
 *   context (the entries of the wheel are then never run, as timers of that context are not); a tick more
 *   than a second overdue when an entry is scheduled re-arms it.</li>
 * </ul>
 * One wheel per event-loop context (duplicated contexts share their root's, through the context's data),
 * so in practice one per event loop per verticle instance.
 */
public final class DeadlineWheel {

  /** Tick of every wheel, in milliseconds: the most an entry runs late, beyond the loop's own delays. */
  public static final long TICK_MS = 5;
  private static final Logger LOG = LoggerFactory.getLogger(DeadlineWheel.class);
  static final long TICK_NANOS = TICK_MS * 1_000_000;
  /** Slots: a power of two; one turn of the wheel is SLOTS × TICK_MS = 2.56 s. */
  static final int SLOTS = 512;
  private static final int MASK = SLOTS - 1;
  private static final long STALE_NANOS = 1_000_000_000L;
  private static final Object KEY = DeadlineWheel.class;

  private final Vertx vertx;
  private final Thread thread;
  private final LiveResources live;
  /** Head of each slot's doubly linked list (loop thread only). */
  private final Entry[] slots = new Entry[SLOTS];
  private int size;
  private long timerId = -1;
  /** Index (nanoTime / TICK_NANOS) of the last tick processed: entries due at or before it go to the next. */
  private long lastTick;
  private long lastTickNanos;

  private DeadlineWheel(Vertx vertx) {
    this.vertx = vertx;
    this.thread = Thread.currentThread();
    this.live = LiveResources.of(vertx);
  }

  /**
   * @return the wheel of the calling thread's event-loop context of {@code vertx} (created on first use),
   * or {@code null} when the caller is not on an event-loop context of {@code vertx}
   */
  public static DeadlineWheel current(Vertx vertx) {
    Context ctx = Vertx.currentContext();
    // executeBlocking runs on a worker thread with the event-loop context as current: not the loop
    if (ctx == null || !ctx.isEventLoopContext() || !Context.isOnEventLoopThread() || ctx.owner() != vertx) {
      return null;
    }
    DeadlineWheel wheel = ctx.get(KEY);
    if (wheel == null) {
      wheel = new DeadlineWheel(vertx);
      ctx.put(KEY, wheel);
    }
    return wheel.thread == Thread.currentThread() ? wheel : null;
  }

  /** @return entries pending (loop thread only; for tests and stats) */
  public int size() {
    return size;
  }

  /** @return whether the periodic timer is armed (loop thread only; for tests) */
  public boolean ticking() {
    return timerId >= 0;
  }

  /**
   * Runs {@code action} at the first tick at or after {@code deadlineNanos} ({@link System#nanoTime()}
   * scale), on the calling context. Call on the wheel's loop thread.
   */
  public Entry schedule(long deadlineNanos, Runnable action) {
    if (Thread.currentThread() != thread) {
      throw new IllegalStateException("DeadlineWheel.schedule called off its event loop (" + thread.getName() + ")");
    }
    long now = System.nanoTime();
    if (timerId < 0) {
      // empty wheel: every slot is empty, the tick count starts afresh
      lastTick = Math.floorDiv(now, TICK_NANOS);
      lastTickNanos = now;
      timerId = vertx.setPeriodic(TICK_MS, id -> tick());
    } else if (now - lastTickNanos > STALE_NANOS) {
      // the periodic timer died with a deployment of this context (or the loop was starved): start another;
      // its first tick catches up on the slots it missed
      vertx.cancelTimer(timerId);
      lastTickNanos = now;
      timerId = vertx.setPeriodic(TICK_MS, id -> tick());
    }
    Entry e = new Entry(deadlineNanos, action, Vertx.currentContext());
    long due = -Math.floorDiv(-deadlineNanos, TICK_NANOS);
    e.slot = (int) (Math.max(due, lastTick + 1) & MASK);
    link(e);
    size++;
    live.increment(LiveResources.TIMERS);
    return e;
  }

  private void tick() {
    long now = System.nanoTime();
    lastTickNanos = now;
    long target = Math.floorDiv(now, TICK_NANOS);
    // The periodic timer's phase is not aligned with the slots: the slot after the last complete one
    // holds deadlines up to a tick ahead, some of them already past — run those too (runSlot only runs
    // what is due), so that an entry is at most about one tick late, not two. That slot stays unfinished.
    long last = target + 1;
    long from = lastTick + 1;
    if (last - from >= SLOTS) {
      from = last - SLOTS + 1; // a full turn overdue: every slot once
    }
    for (long t = from; t <= last; t++) {
      runSlot((int) (t & MASK), now);
    }
    lastTick = Math.max(lastTick, target);
    if (size == 0 && timerId >= 0) {
      vertx.cancelTimer(timerId);
      timerId = -1;
    }
  }

  /**
   * Runs the due entries of one slot: first takes them all off the list, then runs them — an action may
   * cancel or schedule other entries (of this slot too), which must not disturb the walk.
   */
  private void runSlot(int slot, long now) {
    Entry e = slots[slot];
    java.util.ArrayList<Entry> due = null;
    while (e != null) {
      Entry next = e.next;
      if (e.state != Entry.PENDING) {
        unlink(e); // cancelled off the loop: counted already
      } else if (e.deadlineNanos - now <= 0 && Entry.STATE.compareAndSet(e, Entry.PENDING, Entry.DONE)) {
        unlink(e);
        live.decrement(LiveResources.TIMERS);
        if (due == null) {
          due = new java.util.ArrayList<>();
        }
        due.add(e);
      }
      e = next;
    }
    if (due != null) {
      for (Entry d : due) {
        try {
          d.fire();
        } catch (RuntimeException ex) {
          LOG.warn("a deadline action threw {} — skipped; deadline actions must only release resources", ex.toString(), ex);
        }
      }
    }
  }

  private void link(Entry e) {
    Entry head = slots[e.slot];
    e.next = head;
    if (head != null) {
      head.prev = e;
    }
    slots[e.slot] = e;
    e.linked = true;
  }

  private void unlink(Entry e) {
    if (!e.linked) {
      return;
    }
    e.linked = false;
    if (e.prev != null) {
      e.prev.next = e.next;
    } else {
      slots[e.slot] = e.next;
    }
    if (e.next != null) {
      e.next.prev = e.prev;
    }
    e.prev = null;
    e.next = null;
    size--;
  }

  /** One deadline on the wheel. */
  public final class Entry {
    static final int PENDING = 0;
    static final int DONE = 1;
    static final AtomicIntegerFieldUpdater<Entry> STATE = AtomicIntegerFieldUpdater.newUpdater(Entry.class, "state");

    final long deadlineNanos;
    private final Runnable action;
    private final Context ctx;
    volatile int state;
    int slot;
    boolean linked;
    Entry prev;
    Entry next;

    Entry(long deadlineNanos, Runnable action, Context ctx) {
      this.deadlineNanos = deadlineNanos;
      this.action = action;
      this.ctx = ctx;
    }

    /**
     * Cancels the entry if it has not run yet; from any thread.
     *
     * @return whether it was still pending (it will never run)
     */
    public boolean cancel() {
      if (!STATE.compareAndSet(this, PENDING, DONE)) {
        return false;
      }
      live.decrement(LiveResources.TIMERS);
      if (Thread.currentThread() == thread) {
        unlink(this);
      } else {
        ctx.runOnContext(v -> unlink(this));
      }
      return true;
    }

    private void fire() {
      if (Vertx.currentContext() == ctx) {
        action.run();
      } else {
        // Vert.x runs a periodic timer on a fresh duplicated context, and consumers (which schedule most
        // entries) on duplicates of their own: run the action on its own context now, on this thread —
        // runOnContext would queue it behind the loop's backlog, past the deadline it stands for
        ((ContextInternal) ctx).dispatch(action);
      }
    }
  }
}
