package dev.loopkit.fetch.impl;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission of requests on the wire, shared by every shard of an engine: at most {@code maxInFlight} in
 * total, {@code maxPerHost} per host key, and at most {@code maxQueue} waiting; beyond that a request is
 * refused at once (never unbounded growth). Hosts blocked only by the global limit are served round-robin,
 * so a host at its own limit never holds up the others (no head-of-line blocking across hosts).
 *
 * <p>Thread-safe, and lock-free on the hot path: while nobody waits, taking and giving back a slot are a
 * compare-and-set on the global count and one on the host's packed state (requests in flight and waiters
 * in one {@code long}, so a host is retired — dropped from the map when idle — only when it has neither).
 * Waiting, cancelling a waiter and handing a freed slot to a waiter take one lock. A freed slot and a new
 * waiter always meet: the waiter is published (the {@code queued} count) before it looks for room again,
 * and a release frees the slot before it looks for waiters, so one of the two sees the other.
 *
 * <p>{@link Waiter#granted()} is called on whichever thread freed the slot, outside the lock: the waiter
 * moves itself to its own event loop. A cancelled waiter is skipped lazily, so cancelling thousands of
 * waiters costs O(1) each.
 */
final class Limiter {

  /** Someone waiting for a slot. Its fields are the limiter's, written under its lock or by the owner alone. */
  abstract static class Waiter {
    Host host;
    /** In a host's queue. */
    boolean waiting;
    /** Holds a slot (granted at once, or handed one by {@link #granted()}); cleared by {@link #quit}/{@link #release}. */
    boolean holds;

    /** The slot was handed over ({@link #holds} is set): called on any thread, outside the limiter's lock. */
    abstract void granted();
  }

  /** Per-host state: {@code state} packs waiters (high 32 bits) and requests in flight (low 32 bits). */
  static final class Host {
    final String key;
    final AtomicLong state = new AtomicLong();
    /** Guarded by the limiter's lock. */
    boolean ready;
    /** Guarded by the limiter's lock; may hold cancelled waiters (skipped lazily). */
    final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    Host(String key) {
      this.key = key;
    }
  }

  static final int GRANTED = 0;
  static final int QUEUED = 1;
  static final int REJECTED = 2;

  /** A retired host's state: it is no longer in the map, nobody may take a slot on it. */
  private static final long RETIRED = -1L;
  private static final long ONE_WAITER = 1L << 32;

  private final int maxInFlight;
  private final int maxPerHost;
  private final int maxQueue;
  private final ConcurrentHashMap<String, Host> hosts = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Waiters in all queues: written under the lock, read anywhere. */
  private final AtomicInteger queued = new AtomicInteger();
  private final Object lock = new Object();
  /** Hosts with waiters and room under their own limit: they wait only for a global slot. Under the lock. */
  private final ArrayDeque<Host> ready = new ArrayDeque<>();

  Limiter(int maxInFlight, int maxPerHost, int maxQueue) {
    this.maxInFlight = maxInFlight;
    this.maxPerHost = maxPerHost;
    this.maxQueue = maxQueue;
  }

  static int inFlightOf(long state) {
    return (int) state;
  }

  static int waitingOf(long state) {
    return (int) (state >>> 32);
  }

  int inFlight() {
    return inFlight.get();
  }

  int queued() {
    return queued.get();
  }

  int hosts() {
    return hosts.size();
  }

  /** @return per host (its key), requests in flight and queued: the {@code max} busiest hosts */
  io.vertx.core.json.JsonObject perHost(int max) {
    record Load(String key, int inFlight, int queued) {
    }
    List<Load> loads = new ArrayList<>();
    for (Host h : hosts.values()) {
      long s = h.state.get(); // one read: both counts of one moment
      if (s != RETIRED) {
        loads.add(new Load(h.key, inFlightOf(s), waitingOf(s)));
      }
    }
    loads.sort((a, b) -> Integer.compare(b.inFlight + b.queued, a.inFlight + a.queued));
    io.vertx.core.json.JsonObject out = new io.vertx.core.json.JsonObject();
    for (Load l : loads.subList(0, Math.min(max, loads.size()))) {
      out.put(l.key, new io.vertx.core.json.JsonObject().put("inFlight", l.inFlight).put("queued", l.queued));
    }
    return out;
  }

  /** @return whether a new waiter would be refused */
  boolean queueFull() {
    return queued.get() >= maxQueue && inFlight.get() >= maxInFlight;
  }

  /**
   * Asks for a slot for {@code w} on {@code hostKey}: {@link #GRANTED} (the caller holds it now;
   * {@link Waiter#granted()} is not called), {@link #QUEUED} ({@code granted()} comes later, unless
   * {@link #quit quit}) or {@link #REJECTED} (queue full).
   */
  int acquire(String hostKey, Waiter w) {
    if (queued.get() == 0) {
      Host h = tryFast(hostKey);
      if (h != null) {
        w.host = h;
        w.holds = true;
        return GRANTED;
      }
    }
    List<Waiter> handed;
    int outcome;
    synchronized (lock) {
      for (;;) {
        Host h = live(hostKey);
        long s = h.state.get();
        if (waitingOf(s) == 0 && ready.isEmpty() && inFlightOf(s) < maxPerHost && takeGlobal()) {
          if (h.state.compareAndSet(s, s + 1)) {
            w.host = h;
            w.holds = true;
            return GRANTED;
          }
          inFlight.decrementAndGet(); // raced with a release or retirement on this host: decide again
          continue;
        }
        if (queued.get() >= maxQueue) {
          retireIfIdle(h);
          handed = pump();
          outcome = REJECTED;
          break;
        }
        if (s == RETIRED || !h.state.compareAndSet(s, s + ONE_WAITER)) {
          continue; // retired by a release outside the lock, or its count moved: decide again
        }
        w.host = h;
        w.waiting = true;
        h.queue.addLast(w);
        queued.incrementAndGet();
        if (!h.ready && inFlightOf(h.state.get()) < maxPerHost) {
          h.ready = true;
          ready.addLast(h);
        }
        handed = pump(); // a slot freed before this waiter was published is found now
        outcome = w.holds ? GRANTED : QUEUED;
        break;
      }
    }
    hand(handed, w);
    return outcome;
  }

  /** Leaves: a waiting {@code w} leaves the queue, a holder gives its slot back; no-op otherwise. */
  void quit(Waiter w) {
    if (w.waiting || w.host != null && !w.holds) {
      synchronized (lock) {
        if (w.waiting) {
          w.waiting = false;
          Host h = w.host;
          h.state.addAndGet(-ONE_WAITER);
          queued.decrementAndGet();
          if (waitingOf(h.state.get()) == 0) {
            h.queue.clear();
          }
          retireIfIdle(h);
        }
      }
    }
    if (w.holds) {
      release(w);
    }
  }

  /** Gives back the slot held by {@code w} and hands it to the next waiter, if any. */
  void release(Waiter w) {
    Host h = w.host;
    w.holds = false;
    long s = h.state.decrementAndGet();
    inFlight.decrementAndGet();
    if (queued.get() > 0) {
      List<Waiter> handed;
      synchronized (lock) {
        long now = h.state.get();
        if (now != RETIRED && waitingOf(now) > 0 && !h.ready) {
          h.ready = true;
          ready.addFirst(h);
        }
        handed = pump();
        retireIfIdle(h);
      }
      hand(handed, null);
    } else if (s == 0 && h.state.compareAndSet(0, RETIRED)) {
      hosts.remove(h.key, h);
    }
  }

  /** Takes a slot without the lock when nobody waits on the host; {@code null} when the slow path must decide. */
  private Host tryFast(String hostKey) {
    for (int spins = 0; spins < 8; spins++) {
      Host h = hosts.computeIfAbsent(hostKey, Host::new);
      long s = h.state.get();
      if (s == RETIRED) {
        hosts.remove(hostKey, h);
        continue;
      }
      if (waitingOf(s) != 0 || inFlightOf(s) >= maxPerHost || !takeGlobal()) {
        return null;
      }
      if (h.state.compareAndSet(s, s + 1)) {
        return h;
      }
      giveBackGlobal();
    }
    return null;
  }

  private boolean takeGlobal() {
    for (;;) {
      int g = inFlight.get();
      if (g >= maxInFlight) {
        return false;
      }
      if (inFlight.compareAndSet(g, g + 1)) {
        return true;
      }
    }
  }

  /** Undoes {@link #takeGlobal()} outside the lock: like a release, it looks for a waiter the slot can serve. */
  private void giveBackGlobal() {
    inFlight.decrementAndGet();
    if (queued.get() > 0) {
      List<Waiter> handed;
      synchronized (lock) {
        handed = pump();
      }
      hand(handed, null);
    }
  }

  /** The host of {@code hostKey} in the map, not retired. Under the lock. */
  private Host live(String hostKey) {
    for (;;) {
      Host h = hosts.computeIfAbsent(hostKey, Host::new);
      if (h.state.get() != RETIRED) {
        return h;
      }
      hosts.remove(hostKey, h);
    }
  }

  /** Hands free slots to waiters, hosts round-robin. Under the lock; the waiters are told after it. */
  private List<Waiter> pump() {
    List<Waiter> handed = null;
    while (!ready.isEmpty()) {
      Host h = ready.peekFirst();
      long s = h.state.get();
      if (s == RETIRED || waitingOf(s) == 0 || inFlightOf(s) >= maxPerHost) {
        ready.pollFirst();
        h.ready = false;
        continue;
      }
      if (!takeGlobal()) {
        break;
      }
      ready.pollFirst();
      h.ready = false;
      Waiter next = h.queue.pollFirst();
      while (next != null && !next.waiting) {
        next = h.queue.pollFirst();
      }
      if (next == null) { // cannot happen while waitingOf(s) > 0; keep the counts right regardless
        inFlight.decrementAndGet();
        continue;
      }
      next.waiting = false;
      next.holds = true;
      queued.decrementAndGet();
      long after = h.state.addAndGet(1 - ONE_WAITER); // releases only lower the in-flight count meanwhile
      if (waitingOf(after) > 0 && inFlightOf(after) < maxPerHost) {
        h.ready = true;
        ready.addLast(h);
      }
      if (handed == null) {
        handed = new ArrayList<>(4);
      }
      handed.add(next);
    }
    return handed;
  }

  private static void hand(List<Waiter> handed, Waiter self) {
    if (handed != null) {
      for (Waiter w : handed) {
        if (w != self) {
          w.granted();
        }
      }
    }
  }

  /** Under the lock. */
  private void retireIfIdle(Host h) {
    if (!h.ready && h.state.compareAndSet(0, RETIRED)) {
      hosts.remove(h.key, h);
    }
  }
}
