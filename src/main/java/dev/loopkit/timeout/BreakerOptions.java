package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.core.json.JsonObject;

/**
 * A route's {@code circuitBreaker} section: one io.vertx:vertx-circuit-breaker {@code CircuitBreaker} per
 * route, which sees every attempt (first, retry, hedge copy). All durations are in milliseconds.
 *
 * <ul>
 *   <li>{@link #getMaxFailures() maxFailures} attempts failing with a failure in {@link #getFailOn() failOn}
 *   within {@link #getFailuresRollingWindowMs() failuresRollingWindowMs} open the circuit. As in
 *   vertx-circuit-breaker, a success resets the count, and the window is counted in whole seconds.</li>
 *   <li>Open: calls fail at once with 503 ({@link CircuitOpenException}); nothing is sent.</li>
 *   <li>After {@link #getResetTimeoutMs() resetTimeoutMs} the circuit is half-open: one attempt goes
 *   through; its success closes the circuit, its failure opens it again.</li>
 *   <li>Every state change is <em>published</em> on {@link #getNotificationAddress() notificationAddress}
 *   as {@code {"route", "target", "state": "OPEN"|"HALF_OPEN"|"CLOSED", "failures", "at", "node"}} ({@code at}:
 *   epoch milliseconds; {@code node}: {@code {"id", "name"}} of the node whose breaker changed — clustered,
 *   the event reaches every node, and each node has its own breaker).</li>
 * </ul>
 * An attempt abandoned at the route's own deadline ({@code timeoutMs}) counts as a {@code TIMEOUT}
 * failure; one abandoned because the caller's shorter budget ran out, the caller went away or another
 * hedge copy won is neutral — not counted at all (a half-open probe ended that way closes the circuit).
 *
 * <pre>{@code "circuitBreaker": { "maxFailures": 5, "resetTimeoutMs": 10000, "failuresRollingWindowMs": 10000,
 *                    "failOn": ["TIMEOUT", "NO_HANDLERS", 500, 502, 503, 504],
 *                    "notificationAddress": "loopkit.timeout.breaker" } }</pre>
 */
public final class BreakerOptions {

  /** Default failures that open the circuit. */
  public static final int DEFAULT_MAX_FAILURES = 5;
  /** Default time the circuit stays open before one probe is let through. */
  public static final long DEFAULT_RESET_TIMEOUT_MS = 10_000;
  /** Default window in which failures are counted (whole seconds). */
  public static final long DEFAULT_FAILURES_ROLLING_WINDOW_MS = 10_000;
  /** Default failures that count: no reply in time, nobody listening, and the target's 5xx. */
  public static final FailureSet DEFAULT_FAIL_ON =
    FailureSet.of(FailureSet.Kind.TIMEOUT, FailureSet.Kind.NO_HANDLERS, 500, 502, 503, 504);
  /** Default address where state changes are published. */
  public static final String DEFAULT_NOTIFICATION_ADDRESS = "loopkit.timeout.breaker";

  private int maxFailures = DEFAULT_MAX_FAILURES;
  private long resetTimeoutMs = DEFAULT_RESET_TIMEOUT_MS;
  private long failuresRollingWindowMs = DEFAULT_FAILURES_ROLLING_WINDOW_MS;
  private FailureSet failOn = DEFAULT_FAIL_ON;
  private String notificationAddress = DEFAULT_NOTIFICATION_ADDRESS;

  public BreakerOptions() {
  }

  public BreakerOptions(BreakerOptions other) {
    this.maxFailures = other.maxFailures;
    this.resetTimeoutMs = other.resetTimeoutMs;
    this.failuresRollingWindowMs = other.failuresRollingWindowMs;
    this.failOn = other.failOn;
    this.notificationAddress = other.notificationAddress;
  }

  /** @throws ConfigException on unknown keys, wrong types or out-of-range values (paths relative to the section) */
  public BreakerOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    maxFailures = r.integer("maxFailures", DEFAULT_MAX_FAILURES, 1, 1_000_000);
    resetTimeoutMs = r.longValue("resetTimeoutMs", DEFAULT_RESET_TIMEOUT_MS, 1, 3_600_000);
    failuresRollingWindowMs = r.longValue("failuresRollingWindowMs", DEFAULT_FAILURES_ROLLING_WINDOW_MS, 1_000, 3_600_000);
    failOn = FailureSet.read(r, "failOn", DEFAULT_FAIL_ON, FailureSet.Kind.CIRCUIT_OPEN);
    notificationAddress = r.string("notificationAddress", DEFAULT_NOTIFICATION_ADDRESS);
    r.done();
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("maxFailures", maxFailures)
      .put("resetTimeoutMs", resetTimeoutMs)
      .put("failuresRollingWindowMs", failuresRollingWindowMs)
      .put("failOn", failOn.toJson())
      .put("notificationAddress", notificationAddress);
  }

  /**
   * @return the vertx-circuit-breaker options: no timeout of its own (the route's deadline rules), no
   * retries (the route's retry does that), no metrics notifications (loopkit publishes state changes)
   */
  public CircuitBreakerOptions toCircuitBreakerOptions() {
    return new CircuitBreakerOptions()
      .setMaxFailures(maxFailures)
      .setResetTimeout(resetTimeoutMs)
      .setFailuresRollingWindow(failuresRollingWindowMs)
      .setTimeout(-1)
      .setMaxRetries(0)
      .setFallbackOnFailure(false)
      .setNotificationAddress(null);
  }

  public int getMaxFailures() {
    return maxFailures;
  }

  /** @param maxFailures failures within the window that open the circuit, at least 1 */
  public BreakerOptions setMaxFailures(int maxFailures) {
    this.maxFailures = maxFailures;
    return this;
  }

  public long getResetTimeoutMs() {
    return resetTimeoutMs;
  }

  /** @param resetTimeoutMs how long the circuit stays open before a probe, at least 1 */
  public BreakerOptions setResetTimeoutMs(long resetTimeoutMs) {
    this.resetTimeoutMs = resetTimeoutMs;
    return this;
  }

  public long getFailuresRollingWindowMs() {
    return failuresRollingWindowMs;
  }

  /** @param failuresRollingWindowMs window of the failure count, at least 1000 (whole seconds) */
  public BreakerOptions setFailuresRollingWindowMs(long failuresRollingWindowMs) {
    this.failuresRollingWindowMs = failuresRollingWindowMs;
    return this;
  }

  public FailureSet getFailOn() {
    return failOn;
  }

  /** @param failOn the attempt failures that count towards opening the circuit */
  public BreakerOptions setFailOn(FailureSet failOn) {
    this.failOn = failOn;
    return this;
  }

  public String getNotificationAddress() {
    return notificationAddress;
  }

  /** @param notificationAddress where state changes are published */
  public BreakerOptions setNotificationAddress(String notificationAddress) {
    this.notificationAddress = notificationAddress;
    return this;
  }
}
