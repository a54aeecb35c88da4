package dev.loopkit.blocking.impl;

import io.micrometer.core.instrument.Timer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.HdrHistogram.Recorder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * A thread the watchdog watches: an event loop (with a heartbeat feeding its lag histogram) or a Vert.x
 * worker. Tracking fields belong to the watchdog thread; statistics are guarded by {@code this}.
 */
final class Watched {

  /** Largest lag the histogram tracks: one hour, in microseconds. */
  private static final long MAX_LAG_MICROS = 3_600_000_000L;

  final Thread thread;
  final long threadId;
  final String name;
  final boolean loop;
  final long thresholdNanos;
  final long sampleFromNanos;
  final long sampleIntervalNanos;

  // --- heartbeat (loops only): written on the loop, read by the watchdog and the reporter
  /** System.nanoTime() of the last heartbeat: release store on the loop (no fence on x86), acquire load. */
  private long lastBeat;
  /**
   * The longest recent gap between two heartbeats (more than two periods late; kept for
   * {@link #GAP_MEMORY_NANOS} unless a longer one comes): from the beat before it to the beat after it.
   * Written by the loop before {@link #lastBeat} (so an acquire load of it publishes them); tells a JVM-wide
   * pause (no loop beat during it) from a late watchdog (idle loops kept beating). Kept rather than
   * overwritten by the next long gap: right after a pause, a loop catching up on a busy machine may lag
   * again before the watchdog gets to look, and that short gap must not hide the pause.
   */
  private long gapFrom;
  private long gapTo;
  private static final long GAP_MEMORY_NANOS = 5_000_000_000L;
  /** Set once by the reporter thread (HdrHistogram is loaded off start-up's critical path); null until then. */
  private volatile Recorder lagRecorder;
  private Histogram lagInterval;
  private Histogram lagTotal;
  /** Lag recorded since the meters were last fed (guarded by this). */
  private Histogram lagForMeters;
  Timer lagTimer;
  private volatile ScheduledFuture<?> beat;

  // --- tracking (watchdog thread only)
  Incident incident;
  boolean idleAtLastTick = true;
  /** A heartbeat due time already found to be starvation of an idle loop (not re-sampled every tick). */
  long idleDue;
  /** The start of a task found to be the checker's own heartbeat stalled (not reported, not re-sampled). */
  long ownStart;

  // --- statistics (guarded by this)
  long incidents;
  long blockedNanos;
  long nearMisses;
  long longestNanos;

  private static final VarHandle LAST_BEAT;
  private static final VarHandle GAP_FROM;
  private static final VarHandle GAP_TO;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      LAST_BEAT = l.findVarHandle(Watched.class, "lastBeat", long.class);
      GAP_FROM = l.findVarHandle(Watched.class, "gapFrom", long.class);
      GAP_TO = l.findVarHandle(Watched.class, "gapTo", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @SuppressWarnings("deprecation")
  Watched(Thread thread, boolean loop, long thresholdNanos, long sampleIntervalNanos) {
    this.thread = thread;
    this.threadId = thread.getId();
    this.name = thread.getName();
    this.loop = loop;
    this.thresholdNanos = thresholdNanos;
    this.sampleFromNanos = loop ? thresholdNanos / 2 : thresholdNanos;
    this.sampleIntervalNanos = sampleIntervalNanos;
    LAST_BEAT.setRelease(this, System.nanoTime());
  }

  /** @return System.nanoTime() of the loop's last heartbeat */
  long lastBeatNanos() {
    return (long) LAST_BEAT.getAcquire(this);
  }

  /** @return the beat before the last long gap (read after {@link #lastBeatNanos()}), 0 when none yet */
  long gapFromNanos() {
    return (long) GAP_FROM.getOpaque(this);
  }

  /** @return the beat that ended the last long gap (read after {@link #lastBeatNanos()}), 0 when none yet */
  long gapToNanos() {
    return (long) GAP_TO.getOpaque(this);
  }

  /**
   * Starts the heartbeat on {@code executor}; runs on that loop's thread. One Netty task rescheduled with a
   * fixed delay (no allocation per beat); each beat is a release store and, once the reporter thread has
   * created it, one wait-free HdrHistogram record — nothing on the loop touches Micrometer.
   */
  void startHeartbeat(EventExecutor executor, long periodNanos) {
    LAST_BEAT.setRelease(this, System.nanoTime());
    beat = executor.scheduleWithFixedDelay(new Heartbeat(this, periodNanos), periodNanos, periodNanos, TimeUnit.NANOSECONDS);
  }

  /** Creates the lag recorder (reporter thread): heartbeats record into it from then on. */
  void createLagRecorder() {
    if (loop && lagRecorder == null) {
      lagRecorder = new Recorder(MAX_LAG_MICROS, 2);
    }
  }

  /** The heartbeat task; a named class so that the checker recognises its own frames on a stalled loop. */
  static final class Heartbeat implements Runnable {
    private final Watched w;
    private final long periodNanos;

    Heartbeat(Watched w, long periodNanos) {
      this.w = w;
      this.periodNanos = periodNanos;
    }

    @Override
    public void run() {
      long now = System.nanoTime();
      long prev = (long) LAST_BEAT.getOpaque(w);
      long lag = now - prev - periodNanos;
      if (lag > 2 * periodNanos && (now - prev >= w.gapTo - w.gapFrom || now - w.gapTo > GAP_MEMORY_NANOS)) {
        GAP_FROM.setOpaque(w, prev);
        GAP_TO.setOpaque(w, now);
      }
      LAST_BEAT.setRelease(w, now);
      Recorder r = w.lagRecorder;
      if (r != null) {
        r.recordValue(lag <= 0 ? 0 : Math.min(MAX_LAG_MICROS, lag / 1_000));
      }
    }
  }

  void stopHeartbeat() {
    ScheduledFuture<?> b = beat;
    if (b != null) {
      b.cancel(false);
    }
  }

  /** Moves what the heartbeat recorded since the last call into the totals (callers hold the lock). */
  private void drain() {
    Recorder r = lagRecorder;
    if (r == null) {
      return;
    }
    lagInterval = r.getIntervalHistogram(lagInterval);
    if (lagTotal == null) {
      lagTotal = new Histogram(MAX_LAG_MICROS, 2);
      lagForMeters = new Histogram(MAX_LAG_MICROS, 2);
    }
    lagTotal.add(lagInterval);
    lagForMeters.add(lagInterval);
  }

  /** @return the cumulative lag histogram (microseconds), optionally resetting it afterwards */
  synchronized Histogram lag(boolean reset) {
    drain();
    if (lagTotal == null) {
      return new Histogram(MAX_LAG_MICROS, 2);
    }
    Histogram copy = lagTotal.copy();
    if (reset) {
      lagTotal.reset();
    }
    return copy;
  }

  /**
   * Feeds the lag recorded since the last call into the Micrometer timer (reporter thread, about once a
   * second): the loop itself never records into Micrometer's percentile histograms.
   */
  synchronized void feedLagTimer() {
    Timer t = lagTimer;
    drain();
    if (t == null || lagForMeters == null || lagForMeters.getTotalCount() == 0) {
      return;
    }
    for (HistogramIterationValue v : lagForMeters.recordedValues()) {
      long micros = v.getValueIteratedTo();
      for (long i = 0; i < v.getCountAtValueIteratedTo(); i++) {
        t.record(micros, TimeUnit.MICROSECONDS);
      }
    }
    lagForMeters.reset();
  }

  synchronized void resetStats() {
    incidents = 0;
    blockedNanos = 0;
    nearMisses = 0;
    longestNanos = 0;
  }
}
