package dev.loopkit.bench.blocking;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up cost: time from {@code BlockingChecker.create} to {@code ready()} (every loop watched, report
 * consumer registered): the first one in a fresh JVM (cold: class loading included) and the median of
 * 20 more on fresh Vert.x instances (warm). Goal ≤ 50 ms. Strict mode (JFR) is measured separately.
 *
 * <p>Usage: {@code StartupCost [loops=0 (Vert.x default)] [strict=true]} (bench/blocking.sh runs it in several
 * fresh JVMs and takes the median of the cold numbers)
 */
public final class StartupCost {

  public static void main(String[] args) throws Exception {
    int loops = args.length > 0 ? Integer.parseInt(args[0]) : 0;
    boolean measureStrict = args.length <= 1 || Boolean.parseBoolean(args[1]);
    List<Double> warm = new ArrayList<>();
    double cold = -1;
    for (int i = 0; i < 21; i++) {
      Vertx vertx = loops > 0 ? Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops)) : Vertx.vertx();
      vertx.runOnContext(v -> { });
      long t0 = System.nanoTime();
      BlockingChecker c = BlockingChecker.create(vertx, new BlockingCheckerOptions());
      c.ready().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      double ms = (System.nanoTime() - t0) / 1e6;
      if (i == 0) {
        cold = ms;
      } else {
        warm.add(ms);
      }
      c.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    double strictMs = -1;
    if (measureStrict) {
      Vertx vertx = Vertx.vertx();
      long t0 = System.nanoTime();
      BlockingChecker strict = BlockingChecker.create(vertx, new BlockingCheckerOptions().setStrict(true));
      strict.ready().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      strictMs = (System.nanoTime() - t0) / 1e6;
      strict.close();
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    System.out.printf(Locale.ROOT, "start-up (create -> ready, %s event loops): cold %.1f ms, warm median %.1f ms (goal <= 50 ms)%s%n",
      loops > 0 ? String.valueOf(loops) : "default", cold, BusThroughput.median(warm),
      measureStrict ? String.format(Locale.ROOT, "; strict mode (JFR stream start, first in JVM) %.0f ms", strictMs) : "");
    System.exit(0);
  }
}
