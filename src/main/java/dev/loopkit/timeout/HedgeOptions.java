package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * A route's {@code hedge} section (only for routes marked {@code idempotent}): when the target has not
 * answered {@link #getDelayMs() delayMs} after the last copy was sent, send another copy, up to
 * {@link #getMaxExtra() maxExtra} extra copies per call. The first reply wins; the other copies are
 * abandoned and their targets told to stop with a cancel notice. Every extra copy takes a token from the
 * route's {@link RetryBudgetOptions retry budget}, so hedging can never add more than that budget's
 * ratio of load; it also needs the route's {@code minAttemptMs} of budget left and a closed circuit.
 * All durations are in milliseconds.
 *
 * <p>A failed copy whose failure is in {@link #getNonFatal() nonFatal} does not end the call: the others
 * keep going, and when none is left the next copy is sent at once (gRPC's {@code nonFatalStatusCodes}).
 * Any other failure is the call's answer.
 *
 * <pre>{@code "hedge": { "delayMs": 50, "maxExtra": 1, "nonFatal": ["NO_HANDLERS", 503] } }</pre>
 */
public final class HedgeOptions {

  /** Default wait before sending a copy: 50 ms (set it near the target's p95 latency). */
  public static final long DEFAULT_DELAY_MS = 50;
  /** Default number of extra copies per call. */
  public static final int DEFAULT_MAX_EXTRA = 1;
  /** Default failures that do not end a hedged call. */
  public static final FailureSet DEFAULT_NON_FATAL = FailureSet.of(FailureSet.Kind.NO_HANDLERS, 503);
  /** Upper bound of {@code maxExtra}. */
  public static final int MAX_EXTRA = 10;

  private long delayMs = DEFAULT_DELAY_MS;
  private int maxExtra = DEFAULT_MAX_EXTRA;
  private FailureSet nonFatal = DEFAULT_NON_FATAL;

  public HedgeOptions() {
  }

  public HedgeOptions(HedgeOptions other) {
    this.delayMs = other.delayMs;
    this.maxExtra = other.maxExtra;
    this.nonFatal = other.nonFatal;
  }

  /** @throws ConfigException on unknown keys, wrong types or out-of-range values (paths relative to the section) */
  public HedgeOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    delayMs = r.longValue("delayMs", DEFAULT_DELAY_MS, 1, 3_600_000);
    maxExtra = r.integer("maxExtra", DEFAULT_MAX_EXTRA, 1, MAX_EXTRA);
    nonFatal = FailureSet.read(r, "nonFatal", DEFAULT_NON_FATAL, FailureSet.Kind.CIRCUIT_OPEN);
    r.done();
  }

  public JsonObject toJson() {
    return new JsonObject().put("delayMs", delayMs).put("maxExtra", maxExtra).put("nonFatal", nonFatal.toJson());
  }

  public long getDelayMs() {
    return delayMs;
  }

  /** @param delayMs wait after the last copy before sending the next, at least 1 */
  public HedgeOptions setDelayMs(long delayMs) {
    this.delayMs = delayMs;
    return this;
  }

  public int getMaxExtra() {
    return maxExtra;
  }

  /** @param maxExtra extra copies per call, in [1, {@value #MAX_EXTRA}] */
  public HedgeOptions setMaxExtra(int maxExtra) {
    this.maxExtra = maxExtra;
    return this;
  }

  public FailureSet getNonFatal() {
    return nonFatal;
  }

  /** @param nonFatal failures of one copy that let the others (and further copies) go on */
  public HedgeOptions setNonFatal(FailureSet nonFatal) {
    this.nonFatal = nonFatal;
    return this;
  }
}
