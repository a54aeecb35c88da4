package dev.loopkit.bench.timeout;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import org.HdrHistogram.Histogram;

import java.util.concurrent.TimeUnit;

/**
 * Lateness of 504 replies under load: {@code concurrency} callers keep requests in flight through a route
 * with {@code timeoutMs} whose target never replies, while {@code background} callers keep an echo route
 * busy. Each 504 is late by (reply time − send time − timeoutMs). For reference, the same load with a plain
 * event-bus request whose send timeout is {@code timeoutMs} (Vert.x's own reply timer).
 *
 * <p>Usage: {@code LatenessBench [timeoutMs=50] [concurrency=500] [background=32] [seconds=10]}
 */
public final class LatenessBench {

  public static void main(String[] args) throws Exception {
    long timeoutMs = args.length > 0 ? Long.parseLong(args[0]) : 50;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 500;
    int background = args.length > 2 ? Integer.parseInt(args[2]) : 32;
    long seconds = args.length > 3 ? Long.parseLong(args[3]) : 10;
    Vertx vertx = Vertx.vertx();
    try {
      vertx.eventBus().consumer("bench.never", m -> { });
      vertx.eventBus().consumer("bench.echo", m -> m.reply(m.body()));
      TimeoutOptions options = new TimeoutOptions()
        .addRoute(new RouteOptions().setAddress("bench.never.guarded").setTarget("bench.never").setTimeoutMs(timeoutMs)
          .setLateReplyWindowMs(0))
        .addRoute(new RouteOptions().setAddress("bench.echo.guarded").setTarget("bench.echo").setTimeoutMs(5_000));
      vertx.deployVerticle(() -> new TimeoutVerticle(options), new DeploymentOptions().setInstances(2))
        .await(10, TimeUnit.SECONDS);

      System.out.println(BenchSupport.fmt("# 504 lateness: route timeoutMs %d, %d requests kept in flight, %d background "
        + "echo callers, %d s per variant", timeoutMs, concurrency, background, seconds));
      System.out.println("(warm-up: 3 s of each variant, not reported)");
      run(vertx, null, "bench.never.guarded", new DeliveryOptions(), timeoutMs, concurrency, background, 3, true);
      run(vertx, null, "bench.never", new DeliveryOptions().setSendTimeout(timeoutMs), timeoutMs, concurrency,
        background, 3, false);
      run(vertx, "guarded route (TimeoutVerticle 504)", "bench.never.guarded", new DeliveryOptions(), timeoutMs,
        concurrency, background, seconds, true);
      run(vertx, "plain request, sendTimeout (bus TIMEOUT)", "bench.never",
        new DeliveryOptions().setSendTimeout(timeoutMs), timeoutMs, concurrency, background, seconds, false);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static void run(Vertx vertx, String label, String address, DeliveryOptions delivery, long timeoutMs,
                          int concurrency, int background, long seconds, boolean expect504) throws Exception {
    Histogram late = BenchSupport.micros();
    long[] wrong = {0};
    long durationMs = seconds * 1_000;
    long cpuBefore = BenchSupport.processCpuNanos();
    Future<BenchSupport.Run> bg = BenchSupport.closedLoop(vertx, 2, background, durationMs + 500, Long.MAX_VALUE,
      () -> vertx.eventBus().request("bench.echo.guarded", "ping"));
    BenchSupport.Run run = BenchSupport.closedLoop(vertx, 2, concurrency, durationMs, 5_000_000, () -> {
      long sent = System.nanoTime();
      return vertx.eventBus().request(address, "x", delivery).onComplete(ar -> {
        long lateMicros = (System.nanoTime() - sent) / 1_000 - timeoutMs * 1_000;
        boolean ok = ar.failed() && ar.cause() instanceof ReplyException
          && (expect504 ? FailureCode.of(ar.cause()) == FailureCode.TIMEOUT : true);
        synchronized (late) {
          if (ok) {
            late.recordValue(Math.max(0, lateMicros));
          } else {
            wrong[0]++;
          }
        }
      });
    }).await(seconds + 60, TimeUnit.SECONDS);
    BenchSupport.Run bgRun = bg.await(seconds + 60, TimeUnit.SECONDS);
    double cpuMicrosPerCall = (BenchSupport.processCpuNanos() - cpuBefore) / 1_000.0
      / Math.max(1, run.completed + run.failed + bgRun.completed + bgRun.failed);
    if (label == null) {
      return;
    }
    System.out.println(BenchSupport.fmt("%-42s late by %s; %.0f timeouts/s, background %.0f echo/s, unexpected %d, "
      + "process CPU %.1f µs per call", label, BenchSupport.percentilesMs(late), run.perSecond(), bgRun.perSecond(), wrong[0],
      cpuMicrosPerCall));
    if (expect504) {
      System.out.println("  route stats: " + vertx.eventBus().request("loopkit.timeout.stats",
        new io.vertx.core.json.JsonObject().put("route", address)).await(10, TimeUnit.SECONDS).body());
    }
  }
}
