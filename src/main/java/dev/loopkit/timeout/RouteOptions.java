package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.function.Function;

/**
 * One route of the {@link TimeoutVerticle}: callers send to {@link #getAddress() address}, the guard
 * forwards to {@link #getTarget() target} inside a deadline, and replies the target's reply, a 504 at the
 * deadline, a 503 when the circuit is open, or the {@link #getFallback() fallback}. All durations are in
 * milliseconds.
 *
 * <pre>{@code
 * { "address": "prices.guarded", "target": "prices", "timeoutMs": 500, "idempotent": true,
 *   "minAttemptMs": 10, "lateReplyWindowMs": 1000,
 *   "retry": { ... }, "hedge": { ... }, "circuitBreaker": { ... }, "retryBudget": { ... },
 *   "fallback": { "prices": [] }, "fallbackOn": ["TIMEOUT", "CIRCUIT_OPEN", "NO_HANDLERS", 503, 504] }
 * }</pre>
 *
 * {@code retry} and {@code hedge} are exclusive (as in gRPC: a hedged call already resends), and
 * {@code hedge} needs {@code "idempotent": true}. Sections left out are off, except {@code retryBudget},
 * which has defaults.
 */
public final class RouteOptions {

  /** Default route deadline: 10 s (below the event bus's 30 s send timeout, so callers see our 504). */
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  /** Default: the target is not known to tolerate duplicates, so hedging is not allowed. */
  public static final boolean DEFAULT_IDEMPOTENT = false;
  /** Default minimum budget an attempt needs to start (the first one included). */
  public static final long DEFAULT_MIN_ATTEMPT_MS = 10;
  /** Default time an abandoned attempt's reply is still awaited, only to count it as late. */
  public static final long DEFAULT_LATE_REPLY_WINDOW_MS = 1_000;
  /** Default failures replaced by the fallback (when one is configured). */
  public static final FailureSet DEFAULT_FALLBACK_ON = FailureSet.of(FailureSet.Kind.TIMEOUT,
    FailureSet.Kind.CIRCUIT_OPEN, FailureSet.Kind.NO_HANDLERS, 503, 504);
  /** Upper bound of {@code timeoutMs}: one hour. */
  public static final long MAX_TIMEOUT_MS = 3_600_000;

  private String address;
  private String target;
  private long timeoutMs = DEFAULT_TIMEOUT_MS;
  private boolean idempotent = DEFAULT_IDEMPOTENT;
  private long minAttemptMs = DEFAULT_MIN_ATTEMPT_MS;
  private long lateReplyWindowMs = DEFAULT_LATE_REPLY_WINDOW_MS;
  private RetryOptions retry;
  private HedgeOptions hedge;
  private BreakerOptions circuitBreaker;
  private RetryBudgetOptions retryBudget = new RetryBudgetOptions();
  private Object fallback;
  private FailureSet fallbackOn = DEFAULT_FALLBACK_ON;

  public RouteOptions() {
  }

  public RouteOptions(RouteOptions other) {
    this(other.toJson());
  }

  /** @throws ConfigException on unknown keys, wrong types, out-of-range values or inconsistent sections */
  public RouteOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    address = r.requiredString("address");
    target = r.requiredString("target");
    timeoutMs = r.longValue("timeoutMs", DEFAULT_TIMEOUT_MS, 1, MAX_TIMEOUT_MS);
    idempotent = r.bool("idempotent", DEFAULT_IDEMPOTENT);
    minAttemptMs = r.longValue("minAttemptMs", DEFAULT_MIN_ATTEMPT_MS, 0, MAX_TIMEOUT_MS);
    lateReplyWindowMs = r.longValue("lateReplyWindowMs", DEFAULT_LATE_REPLY_WINDOW_MS, 0, 60_000);
    retry = nested(r, "retry", RetryOptions::new);
    hedge = nested(r, "hedge", HedgeOptions::new);
    circuitBreaker = nested(r, "circuitBreaker", BreakerOptions::new);
    RetryBudgetOptions budget = nested(r, "retryBudget", RetryBudgetOptions::new);
    retryBudget = budget == null ? new RetryBudgetOptions() : budget;
    Object fb = r.raw("fallback");
    if (fb != null) {
      fallback = checkFallback(fb, r.path("fallback"));
    }
    fallbackOn = FailureSet.read(r, "fallbackOn", DEFAULT_FALLBACK_ON);
    r.done();
    if (address.equals(target)) {
      throw r.error("target", "must differ from address \"" + address + "\": the route would call itself");
    }
    if (minAttemptMs >= timeoutMs) {
      throw r.error("minAttemptMs", "must be below timeoutMs (" + timeoutMs + "), got " + minAttemptMs
        + ": no attempt could ever start");
    }
    if (hedge != null && !idempotent) {
      throw r.error("hedge", "hedging sends the same request more than once; set \"idempotent\": true "
        + "if the target tolerates duplicates, or remove hedge");
    }
    if (hedge != null && retry != null) {
      throw r.error("hedge", "retry and hedge are exclusive (a hedged call already resends on nonFatal "
        + "failures); keep one of them");
    }
  }

  private static <T> T nested(ConfigReader r, String key, Function<JsonObject, T> ctor) {
    JsonObject section = r.object(key, null);
    if (section == null) {
      return null;
    }
    try {
      return ctor.apply(section);
    } catch (ConfigException e) {
      throw e.within(null, r.path(key));
    }
  }

  private static Object checkFallback(Object fb, String path) {
    if (fb instanceof JsonObject || fb instanceof JsonArray || fb instanceof String || fb instanceof Boolean
      || fb instanceof Integer || fb instanceof Long || fb instanceof Double) {
      return fb;
    }
    if (fb instanceof Float) {
      return ((Float) fb).doubleValue();
    }
    throw new ConfigException(path, "must be a JSON object, array, string, boolean or a number that fits a "
      + "long or a double, got " + ConfigReader.show(fb));
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("address", address)
      .put("target", target)
      .put("timeoutMs", timeoutMs)
      .put("idempotent", idempotent)
      .put("minAttemptMs", minAttemptMs)
      .put("lateReplyWindowMs", lateReplyWindowMs);
    if (retry != null) {
      json.put("retry", retry.toJson());
    }
    if (hedge != null) {
      json.put("hedge", hedge.toJson());
    }
    if (circuitBreaker != null) {
      json.put("circuitBreaker", circuitBreaker.toJson());
    }
    json.put("retryBudget", retryBudget.toJson());
    if (fallback != null) {
      json.put("fallback", copy(fallback));
    }
    json.put("fallbackOn", fallbackOn.toJson());
    return json;
  }

  private static Object copy(Object v) {
    if (v instanceof JsonObject) {
      return ((JsonObject) v).copy();
    }
    if (v instanceof JsonArray) {
      return ((JsonArray) v).copy();
    }
    return v;
  }

  public String getAddress() {
    return address;
  }

  /** @param address where callers send (required) */
  public RouteOptions setAddress(String address) {
    this.address = address;
    return this;
  }

  public String getTarget() {
    return target;
  }

  /** @param target the guarded service's address (required, not {@code address}) */
  public RouteOptions setTarget(String target) {
    this.target = target;
    return this;
  }

  public long getTimeoutMs() {
    return timeoutMs;
  }

  /**
   * @param timeoutMs the route's own deadline, in [1, 3 600 000]; a caller's smaller
   * {@code loopkit-timeout-ms} budget wins
   */
  public RouteOptions setTimeoutMs(long timeoutMs) {
    this.timeoutMs = timeoutMs;
    return this;
  }

  public boolean isIdempotent() {
    return idempotent;
  }

  /** @param idempotent whether the target tolerates duplicates (required for hedging) */
  public RouteOptions setIdempotent(boolean idempotent) {
    this.idempotent = idempotent;
    return this;
  }

  public long getMinAttemptMs() {
    return minAttemptMs;
  }

  /**
   * @param minAttemptMs no attempt (the first included) starts with less budget left; a call whose budget
   * is already below it is answered 504 without calling the target; 0 lets any attempt start while
   * budget remains
   */
  public RouteOptions setMinAttemptMs(long minAttemptMs) {
    this.minAttemptMs = minAttemptMs;
    return this;
  }

  public long getLateReplyWindowMs() {
    return lateReplyWindowMs;
  }

  /**
   * @param lateReplyWindowMs how long the reply of an abandoned attempt is still awaited, only to count it
   * (late replies are dropped, never forwarded); 0 releases the reply consumer at once and counts nothing
   */
  public RouteOptions setLateReplyWindowMs(long lateReplyWindowMs) {
    this.lateReplyWindowMs = lateReplyWindowMs;
    return this;
  }

  /** @return the retry section, or {@code null} when retries are off */
  public RetryOptions getRetry() {
    return retry;
  }

  public RouteOptions setRetry(RetryOptions retry) {
    this.retry = retry;
    return this;
  }

  /** @return the hedge section, or {@code null} when hedging is off */
  public HedgeOptions getHedge() {
    return hedge;
  }

  public RouteOptions setHedge(HedgeOptions hedge) {
    this.hedge = hedge;
    return this;
  }

  /** @return the circuit breaker section, or {@code null} when the route has no breaker */
  public BreakerOptions getCircuitBreaker() {
    return circuitBreaker;
  }

  public RouteOptions setCircuitBreaker(BreakerOptions circuitBreaker) {
    this.circuitBreaker = circuitBreaker;
    return this;
  }

  public RetryBudgetOptions getRetryBudget() {
    return retryBudget;
  }

  public RouteOptions setRetryBudget(RetryBudgetOptions retryBudget) {
    this.retryBudget = retryBudget;
    return this;
  }

  /** @return the body replied instead of a failure in {@link #getFallbackOn()}, or {@code null} for none */
  public Object getFallback() {
    return fallback;
  }

  /** @param fallback a JSON object, array, string, boolean or number; {@code null} for none */
  public RouteOptions setFallback(Object fallback) {
    this.fallback = fallback == null ? null : checkFallback(fallback, "fallback");
    return this;
  }

  public FailureSet getFallbackOn() {
    return fallbackOn;
  }

  /** @param fallbackOn the failures the fallback replaces */
  public RouteOptions setFallbackOn(FailureSet fallbackOn) {
    this.fallbackOn = fallbackOn;
    return this;
  }
}
