package dev.loopkit.async;

import java.util.concurrent.TimeUnit;

/**
 * A point on the monotonic clock ({@link System#nanoTime()}) by which work must be done, or
 * {@link #NONE}. Immutable.
 *
 * <p>Deadlines only ever combine by taking the earliest ({@link #min(Deadline)}): a nested deadline can
 * shorten the time left, never extend it. A deadline may lie in the past; {@link #remainingMs()} is then
 * {@code 0} and {@link #expired()} is true. All durations are in milliseconds.
 */
public final class Deadline implements Comparable<Deadline> {

  /** No deadline: never expires; {@link #remainingMs()} is {@link Long#MAX_VALUE}. */
  public static final Deadline NONE = new Deadline(Long.MAX_VALUE, true);

  private final long nanoTime;
  private final boolean none;

  private Deadline(long nanoTime, boolean none) {
    this.nanoTime = nanoTime;
    this.none = none;
  }

  /** Longest duration a deadline can express: ten years (longer ones are clamped, never overflow). */
  public static final long MAX_MS = TimeUnit.DAYS.toMillis(3653);

  /**
   * @return the deadline {@code ms} milliseconds from now; zero or negative means already expired;
   * durations beyond {@link #MAX_MS} are clamped to it
   */
  public static Deadline in(long ms) {
    long clamped = Math.max(-MAX_MS, Math.min(ms, MAX_MS));
    return at(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(clamped));
  }

  /** @return the deadline at {@code nanoTime} on the {@link System#nanoTime()} clock */
  public static Deadline at(long nanoTime) {
    return new Deadline(nanoTime, false);
  }

  /** @return whether this is {@link #NONE} */
  public boolean isNone() {
    return none;
  }

  /** @return the {@link System#nanoTime()} value of this deadline ({@link Long#MAX_VALUE} for none) */
  public long nanoTime() {
    return nanoTime;
  }

  /** @return nanoseconds left, never negative; {@link Long#MAX_VALUE} for {@link #NONE} */
  public long remainingNanos() {
    if (none) {
      return Long.MAX_VALUE;
    }
    return Math.max(0, nanoTime - System.nanoTime());
  }

  /**
   * @return whole milliseconds left, rounded down (what may safely be promised to a downstream), never
   * negative; {@link Long#MAX_VALUE} for {@link #NONE}
   */
  public long remainingMs() {
    return none ? Long.MAX_VALUE : TimeUnit.NANOSECONDS.toMillis(remainingNanos());
  }

  /** @return whether the deadline has passed */
  public boolean expired() {
    return !none && nanoTime - System.nanoTime() <= 0;
  }

  /** @return the earlier of this and {@code other} */
  public Deadline min(Deadline other) {
    if (other == null || other.none) {
      return this;
    }
    if (none) {
      return other;
    }
    return nanoTime - other.nanoTime <= 0 ? this : other;
  }

  /** @return the earlier of this and {@code ms} from now */
  public Deadline shorten(long ms) {
    return min(in(ms));
  }

  @Override
  public int compareTo(Deadline o) {
    if (none || o.none) {
      return Boolean.compare(none, o.none);
    }
    return Long.signum(nanoTime - o.nanoTime);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Deadline && ((Deadline) o).none == none && ((Deadline) o).nanoTime == nanoTime;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(nanoTime) ^ Boolean.hashCode(none);
  }

  @Override
  public String toString() {
    return none ? "Deadline[none]" : "Deadline[in " + (nanoTime - System.nanoTime()) / 1_000_000 + " ms]";
  }
}
