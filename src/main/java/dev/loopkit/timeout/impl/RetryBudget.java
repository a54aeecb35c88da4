package dev.loopkit.timeout.impl;

import dev.loopkit.timeout.RetryBudgetOptions;

/**
 * The token bucket of {@link RetryBudgetOptions}: calls deposit {@code ratio}, extra sends withdraw one.
 * Thread-safe.
 */
final class RetryBudget {

  private final double ratio;
  private final double max;
  private double tokens;

  RetryBudget(RetryBudgetOptions options) {
    this.ratio = options.getRatio();
    this.max = options.getMaxTokens();
    this.tokens = max;
  }

  synchronized void deposit() {
    tokens = Math.min(max, tokens + ratio);
  }

  synchronized boolean tryWithdraw() {
    if (tokens >= 1) {
      tokens -= 1;
      return true;
    }
    return false;
  }

  synchronized void refund() {
    tokens = Math.min(max, tokens + 1);
  }

  synchronized double tokens() {
    return tokens;
  }
}
