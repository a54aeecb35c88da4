package dev.loopkit.bench.blocking;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import org.HdrHistogram.Histogram;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Detection latency at a 20 ms threshold: an event loop is blocked (sleep, then spin, alternately) for
 * 60 ms, N times; the latency is the time from the start of the stalled task (its first line) to the
 * moment a listener receives the {@code ongoing} record. Goal: p99 ≤ 30 ms.
 *
 * <p>Usage: {@code DetectionLatency [stalls=300] [thresholdMs=20]}
 */
public final class DetectionLatency {

  public static void main(String[] args) throws Exception {
    int stalls = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    long threshold = args.length > 1 ? Long.parseLong(args[1]) : 20;
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(threshold)
      .setLogStacks("never"));
    Map<Long, CompletableFuture<Long>> pending = new ConcurrentHashMap<>();
    AtomicLong current = new AtomicLong();
    AtomicLong lateFinal = new AtomicLong();
    Map<Long, Long> stallStartEpoch = new ConcurrentHashMap<>();
    checker.onIncident(i -> {
      if (i.isStrict()) {
        return;
      }
      long id = current.get();
      Long since = stallStartEpoch.get(id);
      CompletableFuture<Long> f = pending.get(id);
      // only a record about the current stall (started at or after its first line) counts
      if (f == null || since == null || java.time.Instant.parse(i.toJson().getString("startedAt")).toEpochMilli() < since - 2) {
        return;
      }
      if (f.complete(System.nanoTime()) && !i.ongoing() && id >= 30) {
        lateFinal.incrementAndGet();
      }
    });
    checker.ready().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.loopkit.blocking");
    log.setLevel(ch.qos.logback.classic.Level.ERROR);

    Histogram latency = new Histogram(10_000_000, 3);
    int warmup = 30;
    int missed = 0;
    for (int n = 0; n < warmup + stalls; n++) {
      long id = n;
      current.set(id);
      CompletableFuture<Long> detected = new CompletableFuture<>();
      pending.put(id, detected);
      CompletableFuture<Long> started = new CompletableFuture<>();
      boolean spin = (n & 1) == 1;
      vertx.runOnContext(v -> {
        long t0 = System.nanoTime();
        stallStartEpoch.put(id, System.currentTimeMillis());
        started.complete(t0);
        if (spin) {
          while (System.nanoTime() - t0 < 60_000_000L) {
            Thread.onSpinWait();
          }
        } else {
          try {
            Thread.sleep(60);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      });
      long t0 = started.get(5, TimeUnit.SECONDS);
      Long at;
      try {
        at = detected.get(2, TimeUnit.SECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        at = null;
      }
      pending.remove(id);
      if (n >= warmup) {
        if (at == null) {
          missed++;
        } else {
          latency.recordValue((at - t0) / 1_000);
        }
      }
      CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(40, TimeUnit.MILLISECONDS)).get();
    }
    System.out.printf(Locale.ROOT, "detection latency from stall start (threshold %d ms, %d stalls of 60 ms, sleep/spin alternating; "
      + "%d missed, %d seen only by the final record because the watchdog thread got no CPU in time):%n",
      threshold, stalls, missed, lateFinal.get());
    System.out.printf(Locale.ROOT, "  p50 %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms  (goal p99 <= %d ms)%n",
      latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(90) / 1000.0,
      latency.getValueAtPercentile(99) / 1000.0, latency.getMaxValue() / 1000.0, threshold + 10);
    checker.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
