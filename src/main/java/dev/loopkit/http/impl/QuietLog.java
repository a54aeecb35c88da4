package dev.loopkit.http.impl;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A WARN that a flood cannot multiply: at most one line per {@code intervalMs}; the lines suppressed in
 * between are counted and the count is given on the next line that is written. Everything else the
 * front logs about a client goes to DEBUG.
 */
public final class QuietLog {

  private final Logger log;
  private final long intervalNanos;
  private final AtomicLong nextAt = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  public QuietLog(Logger log, long intervalMs) {
    this.log = log;
    this.intervalNanos = intervalMs * 1_000_000L;
  }

  /** Logs {@code line} at WARN unless one was logged less than the interval ago (then counts it). */
  public void warn(String line) {
    long now = System.nanoTime();
    long next = nextAt.get();
    if ((next == Long.MIN_VALUE || now - next >= 0) && nextAt.compareAndSet(next, now + intervalNanos)) {
      long skipped = suppressed.getAndSet(0);
      log.warn(skipped == 0 ? line : line + " (" + skipped + " more like it not logged)");
    } else {
      suppressed.incrementAndGet();
      if (log.isDebugEnabled()) {
        log.debug(line);
      }
    }
  }
}
