package dev.loopkit.bench.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Replies;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import dev.loopkit.timeout.HedgeOptions;
import dev.loopkit.timeout.RetryBudgetOptions;
import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hedging against a long tail: the target answers in 2 ms, except {@code slowPercent} % of requests
 * that take 150 ms. Latency with and without hedging, and the measured extra load (target requests per
 * call − 1) under the route's retry budget; losers are stopped by cancel notices (the target serves
 * with {@link Budget#serve}).
 *
 * <p>Usage: {@code HedgeBench [calls=3000] [concurrency=20] [slowPercent=5]}
 */
public final class HedgeBench {

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 3_000;
    int concurrency = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    int slowPercent = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    Vertx vertx = Vertx.vertx();
    AtomicLong served = new AtomicLong();
    AtomicLong stopped = new AtomicLong();
    try {
      Registration listening = CancelNotices.listen(vertx);
      vertx.eventBus().consumer("tail.svc", Replies.guarded("tail.svc", msg -> {
        served.incrementAndGet();
        CancelScope scope = Budget.serve(vertx, msg, 10_000);
        if (scope == null) {
          return;
        }
        long ms = ThreadLocalRandom.current().nextInt(100) < slowPercent ? 150 : 2;
        long timer = vertx.setTimer(ms, t -> {
          scope.close();
          msg.reply(new JsonObject().put("ms", ms));
        });
        scope.onCancel(reason -> {
          if (vertx.cancelTimer(timer)) {
            stopped.incrementAndGet();
          }
          scope.close();
          Replies.fail(msg, FailureCode.CANCELLED, "stopped");
        });
      }));
      TimeoutOptions options = new TimeoutOptions()
        .addRoute(new RouteOptions().setAddress("tail.plain").setTarget("tail.svc").setTimeoutMs(1_000))
        .addRoute(new RouteOptions().setAddress("tail.hedged").setTarget("tail.svc").setTimeoutMs(1_000)
          .setIdempotent(true).setLateReplyWindowMs(0).setHedge(new HedgeOptions().setDelayMs(20).setMaxExtra(1))
          .setRetryBudget(new RetryBudgetOptions().setRatio(0.1).setMaxTokens(10)))
        .addRoute(new RouteOptions().setAddress("tail.hedged.tight").setTarget("tail.svc").setTimeoutMs(1_000)
          .setIdempotent(true).setLateReplyWindowMs(0).setHedge(new HedgeOptions().setDelayMs(20).setMaxExtra(1))
          .setRetryBudget(new RetryBudgetOptions().setRatio(0.02).setMaxTokens(5)));
      vertx.deployVerticle(new TimeoutVerticle(options)).await(10, TimeUnit.SECONDS);
      System.out.println(BenchSupport.fmt("# hedging: %d calls, %d concurrent, %d %% of requests take 150 ms (else 2 ms); "
        + "hedge after 20 ms", calls, concurrency, slowPercent));
      for (String route : new String[] {"tail.plain", "tail.hedged", "tail.hedged.tight"}) {
        served.set(0);
        stopped.set(0);
        Histogram latency = BenchSupport.micros();
        BenchSupport.closedLoop(vertx, 2, concurrency, 120_000, calls, () -> {
          long sent = System.nanoTime();
          return vertx.eventBus().request(route, "q").onComplete(ar -> {
            synchronized (latency) {
              latency.recordValue((System.nanoTime() - sent) / 1_000);
            }
          });
        }).await(180, TimeUnit.SECONDS);
        vertx.timer(200).await(10, TimeUnit.SECONDS);
        JsonObject stats = vertx.eventBus().<JsonObject>request("loopkit.timeout.stats", new JsonObject().put("route", route))
          .await(10, TimeUnit.SECONDS).body();
        System.out.println(BenchSupport.fmt("%-18s %s; extra load %.3f (target requests %d for %d calls), "
            + "hedges %d, hedge wins %d, budget denied %d, losers stopped %d", route, BenchSupport.percentilesMs(latency),
          served.get() / (double) calls - 1, served.get(), calls, stats.getLong("hedges"), stats.getLong("hedgeWins"),
          stats.getLong("retryBudgetDenied"), stopped.get()));
      }
      listening.remove();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }
}
