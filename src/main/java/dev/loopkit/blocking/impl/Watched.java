package dev.loopkit.blocking.impl;

import io.micrometer.core.instrument.Timer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

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

  // --- heartbeat (loops only): written on the loop, read by the watchdog
  volatile long lastBeatNanos;
  private final Recorder lagRecorder;
  private Histogram lagInterval;
  private Histogram lagTotal;
  Timer lagTimer;
  private volatile ScheduledFuture<?> beat;
  private volatile boolean beating;

  // --- tracking (watchdog thread only)
  Incident incident;
  boolean idleAtLastTick = true;
  /** A heartbeat due time already found to be starvation of an idle loop (not re-sampled every tick). */
  long idleDue;

  // --- statistics (guarded by this)
  long incidents;
  long blockedNanos;
  long nearMisses;
  long longestNanos;

  @SuppressWarnings("deprecation")
  Watched(Thread thread, boolean loop, long thresholdNanos, long sampleIntervalNanos) {
    this.thread = thread;
    this.threadId = thread.getId();
    this.name = thread.getName();
    this.loop = loop;
    this.thresholdNanos = thresholdNanos;
    this.sampleFromNanos = loop ? thresholdNanos / 2 : thresholdNanos;
    this.sampleIntervalNanos = sampleIntervalNanos;
    this.lagRecorder = loop ? new Recorder(MAX_LAG_MICROS, 2) : null;
    this.lastBeatNanos = System.nanoTime();
  }

  /** Starts the heartbeat on {@code loop}; runs on that loop's thread. */
  void startHeartbeat(EventExecutor executor, long periodNanos) {
    beating = true;
    Runnable[] task = new Runnable[1];
    long[] due = {System.nanoTime() + periodNanos};
    task[0] = () -> {
      if (!beating) {
        return;
      }
      long now = System.nanoTime();
      long lag = Math.max(0, now - due[0]);
      lastBeatNanos = now;
      lagRecorder.recordValue(Math.min(MAX_LAG_MICROS, lag / 1_000));
      Timer t = lagTimer;
      if (t != null) {
        t.record(lag, TimeUnit.NANOSECONDS);
      }
      due[0] = now + periodNanos;
      try {
        beat = executor.schedule(task[0], periodNanos, TimeUnit.NANOSECONDS);
      } catch (RuntimeException e) {
        beating = false;
      }
    };
    lastBeatNanos = System.nanoTime();
    beat = executor.schedule(task[0], periodNanos, TimeUnit.NANOSECONDS);
  }

  void stopHeartbeat() {
    beating = false;
    ScheduledFuture<?> b = beat;
    if (b != null) {
      b.cancel(false);
    }
  }

  /** @return the cumulative lag histogram (microseconds), optionally resetting it afterwards */
  synchronized Histogram lag(boolean reset) {
    if (lagRecorder == null) {
      return new Histogram(MAX_LAG_MICROS, 2);
    }
    lagInterval = lagRecorder.getIntervalHistogram(lagInterval);
    if (lagTotal == null) {
      lagTotal = new Histogram(MAX_LAG_MICROS, 2);
    }
    lagTotal.add(lagInterval);
    Histogram copy = lagTotal.copy();
    if (reset) {
      lagTotal.reset();
    }
    return copy;
  }

  synchronized void resetStats() {
    incidents = 0;
    blockedNanos = 0;
    nearMisses = 0;
    longestNanos = 0;
  }
}
