package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * A route's {@code retry} section: retries with exponential backoff and jitter, inside the call's budget.
 * All durations are in milliseconds.
 *
 * <p>Attempt {@code n} (1-based, {@code n > 1}) waits {@code min(maxBackoffMs, backoffMs × 2^(n-2))}
 * shaped by {@link #getJitter() jitter}, then starts only when at least the route's
 * {@code minAttemptMs} of budget is left after the wait, a token of the route's
 * {@link RetryBudgetOptions retry budget} is available, and the circuit is not open. Only failures in
 * {@link #getRetryOn() retryOn} are retried; anything else is replied at once.
 *
 * <pre>{@code
 * "retry": { "maxAttempts": 3, "backoffMs": 20, "maxBackoffMs": 1000, "jitter": "full",
 *            "retryOn": ["TIMEOUT", "NO_HANDLERS", 503], "attemptTimeoutMs": 0 }
 * }</pre>
 */
public final class RetryOptions {

  /** Default total number of attempts, the first included. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  /** Default base backoff before the first retry. */
  public static final long DEFAULT_BACKOFF_MS = 20;
  /** Default cap of the backoff. */
  public static final long DEFAULT_MAX_BACKOFF_MS = 1_000;
  /** Default jitter: {@code full} (AWS "full jitter": a uniform random wait in [0, backoff]). */
  public static final String DEFAULT_JITTER = "full";
  /** Default retried failures: no reply in time, nobody listening, or the target said 503. */
  public static final FailureSet DEFAULT_RETRY_ON =
    FailureSet.of(FailureSet.Kind.TIMEOUT, FailureSet.Kind.NO_HANDLERS, 503);
  /** Default per-attempt limit: {@code 0}, an attempt may use all the budget left. */
  public static final long DEFAULT_ATTEMPT_TIMEOUT_MS = 0;

  /** Upper bound of {@code maxAttempts}. */
  public static final int MAX_ATTEMPTS = 100;
  /** Accepted jitter values. */
  public static final String[] JITTERS = {"full", "equal", "none"};

  private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
  private long backoffMs = DEFAULT_BACKOFF_MS;
  private long maxBackoffMs = DEFAULT_MAX_BACKOFF_MS;
  private String jitter = DEFAULT_JITTER;
  private FailureSet retryOn = DEFAULT_RETRY_ON;
  private long attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS;

  public RetryOptions() {
  }

  public RetryOptions(RetryOptions other) {
    this.maxAttempts = other.maxAttempts;
    this.backoffMs = other.backoffMs;
    this.maxBackoffMs = other.maxBackoffMs;
    this.jitter = other.jitter;
    this.retryOn = other.retryOn;
    this.attemptTimeoutMs = other.attemptTimeoutMs;
  }

  /** @throws ConfigException on unknown keys, wrong types or out-of-range values (paths relative to the section) */
  public RetryOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    maxAttempts = r.integer("maxAttempts", DEFAULT_MAX_ATTEMPTS, 1, MAX_ATTEMPTS);
    backoffMs = r.longValue("backoffMs", DEFAULT_BACKOFF_MS, 0, 60_000);
    maxBackoffMs = r.longValue("maxBackoffMs", Math.max(DEFAULT_MAX_BACKOFF_MS, backoffMs), 0, 600_000);
    jitter = r.oneOf("jitter", DEFAULT_JITTER, JITTERS);
    retryOn = FailureSet.read(r, "retryOn", DEFAULT_RETRY_ON, FailureSet.Kind.CIRCUIT_OPEN);
    attemptTimeoutMs = r.longValue("attemptTimeoutMs", DEFAULT_ATTEMPT_TIMEOUT_MS, 0, 3_600_000);
    r.done();
    if (maxBackoffMs < backoffMs) {
      throw r.error("maxBackoffMs", "must be at least backoffMs (" + backoffMs + "), got " + maxBackoffMs);
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("maxAttempts", maxAttempts)
      .put("backoffMs", backoffMs)
      .put("maxBackoffMs", maxBackoffMs)
      .put("jitter", jitter)
      .put("retryOn", retryOn.toJson())
      .put("attemptTimeoutMs", attemptTimeoutMs);
  }

  public int getMaxAttempts() {
    return maxAttempts;
  }

  /** @param maxAttempts total attempts including the first, in [1, {@value #MAX_ATTEMPTS}]; 1 disables retries */
  public RetryOptions setMaxAttempts(int maxAttempts) {
    this.maxAttempts = maxAttempts;
    return this;
  }

  public long getBackoffMs() {
    return backoffMs;
  }

  /** @param backoffMs base wait before the first retry, doubled for each further one; 0 retries at once */
  public RetryOptions setBackoffMs(long backoffMs) {
    this.backoffMs = backoffMs;
    return this;
  }

  public long getMaxBackoffMs() {
    return maxBackoffMs;
  }

  /** @param maxBackoffMs cap of the doubled backoff */
  public RetryOptions setMaxBackoffMs(long maxBackoffMs) {
    this.maxBackoffMs = maxBackoffMs;
    return this;
  }

  public String getJitter() {
    return jitter;
  }

  /**
   * @param jitter {@code full}: uniform in [0, backoff]; {@code equal}: backoff/2 + uniform in
   * [0, backoff/2]; {@code none}: exactly the backoff
   */
  public RetryOptions setJitter(String jitter) {
    this.jitter = jitter;
    return this;
  }

  public FailureSet getRetryOn() {
    return retryOn;
  }

  /** @param retryOn the failures worth another attempt (never {@code CIRCUIT_OPEN}) */
  public RetryOptions setRetryOn(FailureSet retryOn) {
    this.retryOn = retryOn;
    return this;
  }

  public long getAttemptTimeoutMs() {
    return attemptTimeoutMs;
  }

  /**
   * @param attemptTimeoutMs the most one attempt may take before it is abandoned (its target told to stop)
   * and, if {@code TIMEOUT} is retried, another starts; 0: an attempt may use all the budget left
   */
  public RetryOptions setAttemptTimeoutMs(long attemptTimeoutMs) {
    this.attemptTimeoutMs = attemptTimeoutMs;
    return this;
  }
}
