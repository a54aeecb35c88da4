package dev.loopkit.bench.timeout;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import org.HdrHistogram.Histogram;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** Closed-loop load and histogram formatting shared by the timeout benchmarks. */
final class BenchSupport {

  private BenchSupport() {
  }

  /** Result of one closed-loop run. */
  static final class Run {
    final long completed;
    final long failed;
    final long elapsedNanos;

    Run(long completed, long failed, long elapsedNanos) {
      this.completed = completed;
      this.failed = failed;
      this.elapsedNanos = elapsedNanos;
    }

    double perSecond() {
      return (completed + failed) * 1e9 / elapsedNanos;
    }
  }

  /**
   * Runs {@code concurrency} workers spread over {@code contexts} event-loop contexts; each calls
   * {@code call} again as soon as the previous call completes, until {@code durationMs} has passed or
   * {@code maxCalls} calls were started. Bounded in count and time.
   */
  static Future<Run> closedLoop(Vertx vertx, int contexts, int concurrency, long durationMs, long maxCalls,
                                Supplier<Future<?>> call) {
    if (concurrency <= 0) {
      return Future.succeededFuture(new Run(0, 0, 1));
    }
    List<Context> ctxs = new ArrayList<>();
    for (int i = 0; i < contexts; i++) {
      ctxs.add(((VertxInternal) vertx).createEventLoopContext());
    }
    AtomicLong started = new AtomicLong();
    AtomicLong ok = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong running = new AtomicLong(concurrency);
    long start = System.nanoTime();
    long end = start + durationMs * 1_000_000;
    Promise<Run> done = Promise.promise();
    for (int w = 0; w < concurrency; w++) {
      Context ctx = ctxs.get(w % ctxs.size());
      ctx.runOnContext(v -> next(call, started, ok, failed, running, end, maxCalls, start, done));
    }
    return done.future();
  }

  private static void next(Supplier<Future<?>> call, AtomicLong started, AtomicLong ok, AtomicLong failed,
                           AtomicLong running, long end, long maxCalls, long start, Promise<Run> done) {
    if (System.nanoTime() - end > 0 || started.incrementAndGet() > maxCalls) {
      if (running.decrementAndGet() == 0) {
        done.complete(new Run(ok.get(), failed.get(), System.nanoTime() - start));
      }
      return;
    }
    Future<?> f;
    try {
      f = call.get();
    } catch (Throwable t) {
      f = Future.failedFuture(t);
    }
    f.onComplete(ar -> {
      (ar.succeeded() ? ok : failed).incrementAndGet();
      next(call, started, ok, failed, running, end, maxCalls, start, done);
    });
  }

  /** @return a histogram of microseconds up to 60 s, 3 significant digits */
  static Histogram micros() {
    return new Histogram(60_000_000L, 3);
  }

  /** @return {@code p50 / p90 / p99 / p99.9 / max} in milliseconds */
  static String percentilesMs(Histogram h) {
    return String.format(Locale.ROOT, "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (n=%d)",
      h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0, h.getValueAtPercentile(99) / 1000.0,
      h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0, h.getTotalCount());
  }

  /** @return CPU time used by this process so far, in nanoseconds (all threads) */
  static long processCpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
    }
    return 0;
  }

  static String fmt(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
