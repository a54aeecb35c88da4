package dev.loopkit.timeout.impl;

import dev.loopkit.timeout.RetryOptions;

import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter ({@code full}, {@code equal}, {@code none}), overflow-safe. */
final class Backoff {

  private Backoff() {
  }

  /**
   * @param retry 1 for the first retry (the second attempt), 2 for the next, ...
   * @return the wait before that retry, in milliseconds
   */
  static long delayMs(RetryOptions options, int retry) {
    long cap = ceiling(options.getBackoffMs(), options.getMaxBackoffMs(), retry);
    switch (options.getJitter()) {
      case "none":
        return cap;
      case "equal":
        return cap / 2 + ThreadLocalRandom.current().nextLong(cap - cap / 2 + 1);
      default:
        return ThreadLocalRandom.current().nextLong(cap + 1);
    }
  }

  /** @return {@code min(max, base × 2^(retry-1))} */
  static long ceiling(long base, long max, int retry) {
    long cap = Math.min(base, max);
    for (int i = 1; i < retry && cap < max; i++) {
      cap = cap > max / 2 ? max : Math.min(max, cap * 2);
    }
    return cap;
  }
}
