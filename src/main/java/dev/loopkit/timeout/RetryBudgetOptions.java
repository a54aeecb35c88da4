package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * A route's {@code retryBudget}: the token bucket that caps the extra load retries and hedges can add
 * (the idea of gRPC's retry throttling, with Finagle's deposit accounting). Every call through the route
 * that sends its first attempt deposits {@link #getRatio() ratio} tokens, up to
 * {@link #getMaxTokens() maxTokens}; every retry or hedge copy takes one whole token, and without one it
 * is not sent. The bucket starts full. So over any period, extra sends ≤ {@code ratio × calls sent +
 * maxTokens}: with the defaults, a failing target sees at most 20 % more load than without retries, never
 * 3× (the retry storm).
 *
 * <p>What callers can do to the bucket: calls shed on arrival (budget spent or below {@code minAttemptMs})
 * and calls refused by an open circuit deposit nothing, so a flood of cheap calls cannot refill it; no retry
 * or hedge copy starts with less than {@code minAttemptMs} of the caller's budget left, so a short budget
 * cannot make the route spend a token on a send that cannot finish. A token spent on a send that is later
 * abandoned (deadline, caller gone, another copy won) is not refunded: the load reached the target.
 *
 * <pre>{@code "retryBudget": { "ratio": 0.2, "maxTokens": 10 } }</pre>
 */
public final class RetryBudgetOptions {

  /** Default tokens deposited per call: 0.2, i.e. at most 20 % extra load in the long run. */
  public static final double DEFAULT_RATIO = 0.2;
  /** Default bucket size: bursts of up to 10 extra sends. */
  public static final int DEFAULT_MAX_TOKENS = 10;

  private double ratio = DEFAULT_RATIO;
  private int maxTokens = DEFAULT_MAX_TOKENS;

  public RetryBudgetOptions() {
  }

  public RetryBudgetOptions(RetryBudgetOptions other) {
    this.ratio = other.ratio;
    this.maxTokens = other.maxTokens;
  }

  /** @throws ConfigException on unknown keys, wrong types or out-of-range values (paths relative to the section) */
  public RetryBudgetOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    ratio = r.number("ratio", DEFAULT_RATIO, 0, 10);
    maxTokens = r.integer("maxTokens", DEFAULT_MAX_TOKENS, 1, 1_000_000);
    r.done();
  }

  public JsonObject toJson() {
    return new JsonObject().put("ratio", ratio).put("maxTokens", maxTokens);
  }

  public double getRatio() {
    return ratio;
  }

  /** @param ratio tokens deposited per call, in [0, 10]; 0 allows only the initial {@code maxTokens} extra sends */
  public RetryBudgetOptions setRatio(double ratio) {
    this.ratio = ratio;
    return this;
  }

  public int getMaxTokens() {
    return maxTokens;
  }

  /** @param maxTokens bucket size (and initial content), at least 1 */
  public RetryBudgetOptions setMaxTokens(int maxTokens) {
    this.maxTokens = maxTokens;
    return this;
  }
}
