package dev.loopkit.bus;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * At most one log line per key per {@code intervalMs}: the lines that something a caller can repeat
 * (a request that trips a bug, a malformed message) would otherwise write once per request. The first
 * occurrence of a key is logged; repeats within the interval are only counted, and the next line logged
 * for that key says how many were left out. At most {@link #MAX_KEYS} keys are tracked; beyond, all
 * further keys share one, so a caller varying the key cannot grow the map or flood the log.
 */
public final class LogLimiter {

  /** Most distinct keys tracked at once. */
  public static final int MAX_KEYS = 1024;
  private static final String OVERFLOW = "\u0000overflow";

  private final long intervalNanos;
  private final Map<String, Window> windows = new ConcurrentHashMap<>();

  /** @param intervalMs how long after a logged line the same key stays quiet */
  public LogLimiter(long intervalMs) {
    this.intervalNanos = intervalMs * 1_000_000L;
  }

  /**
   * @return {@code -1} when a line for {@code key} must not be written now; otherwise how many lines for
   * it were left out since the last one written (0 the first time)
   */
  public long admit(String key) {
    String k = windows.size() >= MAX_KEYS && !windows.containsKey(key) ? OVERFLOW : key;
    Window w = windows.computeIfAbsent(k, x -> new Window());
    long now = System.nanoTime();
    synchronized (w) {
      if (w.loggedAt != 0 && now - w.loggedAt < intervalNanos) {
        w.suppressed.incrementAndGet();
        return -1;
      }
      w.loggedAt = now == 0 ? 1 : now;
      return w.suppressed.getAndSet(0);
    }
  }

  private static final class Window {
    long loggedAt;
    final AtomicLong suppressed = new AtomicLong();
  }
}
