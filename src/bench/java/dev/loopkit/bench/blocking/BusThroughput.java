package dev.loopkit.bench.blocking;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event-bus request/reply throughput with the checker off vs on (default options: 100 ms threshold,
 * 10 ms heartbeat, event-bus interceptor installed), in alternating rounds on fresh Vert.x instances;
 * prints the median of each and the ratio. Goal: on/off ≥ 0.98.
 *
 * <p>Usage: {@code BusThroughput [rounds=5] [seconds=4] [inFlight=256]}
 */
public final class BusThroughput {

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 4;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    List<Double> off = new ArrayList<>();
    List<Double> on = new ArrayList<>();
    run(false, seconds, inFlight);
    run(true, seconds, inFlight);
    run(false, seconds, inFlight);
    for (int r = 0; r < rounds; r++) {
      // alternate which goes first, so that drift (JIT, other load) does not favour one side
      if (r % 2 == 0) {
        off.add(run(false, seconds, inFlight));
        on.add(run(true, seconds, inFlight));
      } else {
        on.add(run(true, seconds, inFlight));
        off.add(run(false, seconds, inFlight));
      }
      System.out.printf(Locale.ROOT, "  round %d: off %.0f req/s, on %.0f req/s%n", r + 1, off.get(r), on.get(r));
    }
    double mOff = median(off);
    double mOn = median(on);
    System.out.printf(Locale.ROOT, "event-bus request/reply (%d in flight, %d x %d s): off %.0f req/s, on %.0f req/s, ratio %.3f (goal >= 0.98)%n",
      inFlight, rounds, seconds, mOff, mOn, mOn / mOff);
  }

  static double run(boolean checkerOn, int seconds, int inFlight) throws Exception {
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = checkerOn ? BlockingChecker.create(vertx, new BlockingCheckerOptions()) : null;
    if (checker != null) {
      checker.ready().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    EventBus bus = vertx.eventBus();
    bus.consumer("bench.echo", m -> m.reply(m.body())).completion().toCompletionStage().toCompletableFuture().get();
    AtomicLong done = new AtomicLong();
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    CompletableFuture<Void> finished = new CompletableFuture<>();
    AtomicLong active = new AtomicLong(inFlight);
    vertx.runOnContext(v -> {
      for (int i = 0; i < inFlight; i++) {
        loop(bus, done, end, finished, active);
      }
    });
    long t0 = System.nanoTime();
    finished.get(seconds + 30L, TimeUnit.SECONDS);
    double rate = done.get() / ((System.nanoTime() - t0) / 1e9);
    if (checker != null) {
      checker.close();
    }
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return rate;
  }

  private static void loop(EventBus bus, AtomicLong done, long end, CompletableFuture<Void> finished, AtomicLong active) {
    if (System.nanoTime() >= end) {
      if (active.decrementAndGet() == 0) {
        finished.complete(null);
      }
      return;
    }
    bus.request("bench.echo", "ping").onComplete(ar -> {
      done.incrementAndGet();
      loop(bus, done, end, finished, active);
    });
  }

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}
