package dev.loopkit.fetch.impl;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * Admission of requests on the wire: at most {@code maxInFlight} in total, {@code maxPerHost} per host
 * key, and at most {@code maxQueue} waiting; beyond that a request is refused at once (never unbounded
 * growth). Hosts blocked only by the global limit are served round-robin, so a host at its own limit
 * never holds up the others (no head-of-line blocking across hosts).
 *
 * <p>Confined to the engine's event loop: not thread-safe by design. A cancelled waiter is skipped
 * lazily, so cancelling thousands of waiters costs O(1) each.
 */
final class Limiter {

  /** Someone waiting for a slot. */
  abstract static class Waiter {
    Host host;
    boolean waiting;

    /** Called when the slot is granted (the waiter now holds it and must {@link #release} it). */
    abstract void granted();
  }

  /** Per-host state. */
  static final class Host {
    final String key;
    int inFlight;
    int waiting;
    boolean ready;
    final ArrayDeque<Waiter> queue = new ArrayDeque<>();

    Host(String key) {
      this.key = key;
    }
  }

  static final int GRANTED = 0;
  static final int QUEUED = 1;
  static final int REJECTED = 2;

  private final int maxInFlight;
  private final int maxPerHost;
  private final int maxQueue;
  private final Map<String, Host> hosts = new HashMap<>();
  /** Hosts with waiters and room under their own limit: they wait only for a global slot. */
  private final ArrayDeque<Host> ready = new ArrayDeque<>();
  private int inFlight;
  private int queued;
  private boolean pumping;
  private boolean pumpAgain;

  Limiter(int maxInFlight, int maxPerHost, int maxQueue) {
    this.maxInFlight = maxInFlight;
    this.maxPerHost = maxPerHost;
    this.maxQueue = maxQueue;
  }

  int inFlight() {
    return inFlight;
  }

  int queued() {
    return queued;
  }

  int hosts() {
    return hosts.size();
  }

  /** @return per host (its key), requests in flight and queued: the {@code max} busiest hosts */
  io.vertx.core.json.JsonObject perHost(int max) {
    java.util.List<Host> busiest = new java.util.ArrayList<>(hosts.values());
    busiest.sort((a, b) -> Integer.compare(b.inFlight + b.queue.size(), a.inFlight + a.queue.size()));
    io.vertx.core.json.JsonObject out = new io.vertx.core.json.JsonObject();
    for (int i = 0; i < Math.min(max, busiest.size()); i++) {
      Host h = busiest.get(i);
      out.put(h.key, new io.vertx.core.json.JsonObject().put("inFlight", h.inFlight).put("queued", h.queue.size()));
    }
    return out;
  }

  /** @return whether a new waiter would be refused */
  boolean queueFull() {
    return queued >= maxQueue && inFlight >= maxInFlight;
  }

  /**
   * Asks for a slot for {@code w} on {@code hostKey}: {@link #GRANTED} (the caller holds it now;
   * {@link Waiter#granted()} is not called), {@link #QUEUED} ({@code granted()} comes later, unless
   * {@link #cancel cancelled}) or {@link #REJECTED} (queue full).
   */
  int acquire(String hostKey, Waiter w) {
    Host h = hosts.get(hostKey);
    if (h == null) {
      h = new Host(hostKey);
      hosts.put(hostKey, h);
    }
    w.host = h;
    if (h.waiting == 0 && h.inFlight < maxPerHost && inFlight < maxInFlight && ready.isEmpty()) {
      h.inFlight++;
      inFlight++;
      return GRANTED;
    }
    if (queued >= maxQueue) {
      forgetIfIdle(h);
      w.host = null;
      return REJECTED;
    }
    w.waiting = true;
    h.queue.addLast(w);
    h.waiting++;
    queued++;
    if (h.inFlight < maxPerHost && !h.ready) {
      h.ready = true;
      ready.addLast(h);
    }
    // Outside pump(), a non-empty ready list means every global slot is taken; inside it (a re-entrant
    // call from granted()), the running pump picks this host up.
    return QUEUED;
  }

  /** Removes a waiting {@code w} from the queue (no-op when it is not waiting). */
  void cancel(Waiter w) {
    if (!w.waiting) {
      return;
    }
    w.waiting = false;
    Host h = w.host;
    h.waiting--;
    queued--;
    if (h.waiting == 0) {
      h.queue.clear();
    }
    forgetIfIdle(h);
  }

  /** Gives back the slot held by {@code w} and grants it to the next waiter, if any. */
  void release(Waiter w) {
    Host h = w.host;
    h.inFlight--;
    inFlight--;
    if (h.waiting > 0 && !h.ready) {
      h.ready = true;
      ready.addFirst(h);
    }
    forgetIfIdle(h);
    pump();
  }

  private void pump() {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        while (inFlight < maxInFlight && !ready.isEmpty()) {
          Host h = ready.pollFirst();
          h.ready = false;
          if (h.waiting == 0 || h.inFlight >= maxPerHost) {
            forgetIfIdle(h);
            continue;
          }
          Waiter next = h.queue.pollFirst();
          while (next != null && !next.waiting) {
            next = h.queue.pollFirst();
          }
          if (next == null) {
            continue;
          }
          next.waiting = false;
          h.waiting--;
          queued--;
          h.inFlight++;
          inFlight++;
          if (h.waiting > 0 && h.inFlight < maxPerHost) {
            h.ready = true;
            ready.addLast(h);
          }
          next.granted();
        }
      } while (pumpAgain);
    } finally {
      pumping = false;
    }
  }

  private void forgetIfIdle(Host h) {
    if (h.inFlight == 0 && h.waiting == 0 && !h.ready && hosts.get(h.key) == h) {
      hosts.remove(h.key);
    }
  }
}
