package dev.loopkit.async;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.lang.ref.WeakReference;

import java.util.Map;
import java.util.TreeMap;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts of resources loopkit holds on behalf of operations, per Vert.x instance: open
 * {@link CancelScope scopes}, pending timers, event-bus requests awaiting a reply, HTTP requests in
 * flight, and whatever else a capability registers. Every scenario should bring them back to where they
 * started; tests assert exactly that, and {@link #toJson()} shows them in reports.
 *
 * <p>Counters are created on first use; names are free-form, the constants below are loopkit's own.
 */
public final class LiveResources {

  /** Open {@link CancelScope}s. */
  public static final String SCOPES = "scopes";
  /** Pending timers armed by loopkit (scope deadlines, sleeps, backoffs). */
  public static final String TIMERS = "timers";
  /** Event-bus requests sent by loopkit and not yet answered or released. */
  public static final String BUS_REQUESTS = "busRequests";
  /** Event-bus consumers registered by loopkit operations (not by verticle start-up). */
  public static final String CONSUMERS = "consumers";
  /** HTTP client requests in flight. */
  public static final String HTTP_REQUESTS = "httpRequests";

  private static final Map<Vertx, LiveResources> BY_VERTX = new WeakHashMap<>();
  /** Fast path: most processes run one Vert.x instance; hot paths skip the synchronized map. */
  private static volatile LiveResources last;

  /** Striped: the hot paths of several event loops count into these at once without sharing a cache line. */
  private final ConcurrentHashMap<String, LongAdder> counters = new ConcurrentHashMap<>();
  private final WeakReference<Vertx> owner;
  private final LongAdder scopes;
  private final LongAdder timers;
  private final LongAdder busRequests;

  private LiveResources(Vertx owner) {
    this.owner = new WeakReference<>(owner);
    scopes = counters.computeIfAbsent(SCOPES, n -> new LongAdder());
    timers = counters.computeIfAbsent(TIMERS, n -> new LongAdder());
    busRequests = counters.computeIfAbsent(BUS_REQUESTS, n -> new LongAdder());
  }

  /** @return the counters of {@code vertx} */
  public static LiveResources of(Vertx vertx) {
    LiveResources cached = last;
    if (cached != null && cached.owner.get() == vertx) {
      return cached;
    }
    LiveResources found;
    synchronized (BY_VERTX) {
      found = BY_VERTX.computeIfAbsent(vertx, LiveResources::new);
    }
    last = found;
    return found;
  }

  public void increment(String name) {
    counter(name).increment();
  }

  public void decrement(String name) {
    counter(name).decrement();
  }

  private LongAdder counter(String name) {
    // loopkit's own hot counters, by identity: no map lookup per scope, timer or request
    if (name == SCOPES) {
      return scopes;
    } else if (name == TIMERS) {
      return timers;
    } else if (name == BUS_REQUESTS) {
      return busRequests;
    }
    LongAdder c = counters.get(name);
    return c != null ? c : counters.computeIfAbsent(name, n -> new LongAdder());
  }

  /** @return the current count of {@code name} (0 when never used) */
  public long get(String name) {
    LongAdder c = counters.get(name);
    return c == null ? 0 : c.sum();
  }

  /** @return all counters, sorted by name */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counters.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** @return whether every counter is zero */
  public boolean allZero() {
    return counters.values().stream().allMatch(c -> c.sum() == 0);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    snapshot().forEach(json::put);
    return json;
  }

  @Override
  public String toString() {
    return "LiveResources" + snapshot();
  }
}
