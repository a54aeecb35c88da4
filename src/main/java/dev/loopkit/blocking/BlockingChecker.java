package dev.loopkit.blocking;

import dev.loopkit.async.Registration;
import dev.loopkit.blocking.impl.BlockingCheckerImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.Consumer;

/**
 * Detects event loops blocked by application code, in production (no agent, no JVM flag), and says which
 * line started it and in which verticle, for which event-bus address, HTTP route or timer.
 *
 * <h2>What it does</h2>
 * <ul>
 *   <li>A watchdog thread reads, every 1–5 ms, when the task running on each event loop started (Vert.x's
 *   own per-task clock). From half the threshold on it samples the loop's stack, so the culprit is the
 *   frame that <em>started</em> the stall; at the threshold it publishes an {@code ongoing} record while the
 *   loop is still blocked, and a final one (total duration, phases) when it unblocks. At most one of
 *   each per incident.</li>
 *   <li>Stalls between half the threshold and the threshold are counted as near misses, and a per-loop
 *   heartbeat feeds a lag histogram: short repeated stalls stay visible in {@link #report()}.</li>
 *   <li>GC pauses are discounted and reported as kind {@code gc}; a thread suspended by a debugger, or a
 *   JVM paused as a whole, is not reported.</li>
 *   <li>In strict mode ({@link BlockingCheckerOptions#setStrict}), JFR event streaming also flags short
 *   blocking calls (a 1 ms sleep, a socket or file read, a contended monitor, a {@code Future.get}) with
 *   their exact duration.</li>
 *   <li>Records are published on {@link BlockingCheckerOptions#getAddress()} (see {@link BlockingIncident}
 *   for the JSON), logged as one WARN line (stack once per culprit), counted in Micrometer meters, and
 *   given to {@link #onIncident listeners}. The summary is served on
 *   {@link BlockingCheckerOptions#getReportAddress()}.</li>
 * </ul>
 *
 * A listener or sink that throws is contained and logged; the checker keeps running until
 * {@link #close()} or until its Vert.x instance closes.
 */
public interface BlockingChecker {

  /**
   * Starts a checker on {@code vertx}. Safe to call from any thread, including an event loop: watching
   * starts as soon as each loop has run one small registration task ({@link #ready()}).
   */
  static BlockingChecker create(Vertx vertx, BlockingCheckerOptions options) {
    return new BlockingCheckerImpl(vertx, options);
  }

  /** Starts a checker with the default options. */
  static BlockingChecker create(Vertx vertx) {
    return create(vertx, new BlockingCheckerOptions());
  }

  /** @return completes when every event loop is watched, the report consumer is registered and, in strict mode, JFR streams */
  Future<Void> ready();

  /** @return a copy of the options in effect */
  BlockingCheckerOptions options();

  /**
   * Adds a listener for every record (ongoing, final, strict, gc), called on the checker's reporter thread
   * in order; an exception it throws is logged and contained.
   *
   * @return the handle to remove the listener
   */
  Registration onIncident(Consumer<BlockingIncident> listener);

  /** @return the summary served on the report address (per loop lag/incidents, top culprits, totals) */
  JsonObject report();

  /** @return the summary, then resets histograms and counters when {@code reset} */
  JsonObject report(boolean reset);

  /** @return names of the event-loop threads watched */
  List<String> watchedLoops();

  /** @return whether {@code thread} is watched by this checker (one of its loops, or one of its workers) */
  boolean isWatching(Thread thread);

  /**
   * Proves detection is live: blocks one event loop (allowed, reason {@code loopkit canary #n}) for 1.5×
   * the threshold and completes with the incident that reported it; fails when none came in time.
   */
  Future<BlockingIncident> canary();

  /**
   * @return completes once every record about blocking that happened before this call has been delivered
   * to listeners and published; in strict mode this waits for JFR's next flush (up to about a second)
   */
  Future<Void> drain();

  /** Stops watching, releases hooks, meters and the report consumer; idempotent. */
  Future<Void> close();
}
