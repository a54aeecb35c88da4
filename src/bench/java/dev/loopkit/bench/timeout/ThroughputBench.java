package dev.loopkit.bench.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.timeout.RouteGuard;
import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * Throughput of a guarded hop (caller → TimeoutVerticle route → target) against a direct request
 * (caller → target), closed loop, for three targets: {@code echo} (replies at once: the guard's overhead
 * at its worst), {@code cpu} (about 50 µs of work per request), {@code wait} (replies after a 2 ms timer).
 * A fourth variant calls the target through an in-process {@link RouteGuard} (the same guard used as a
 * library by the caller: no extra hop).
 *
 * <p>Usage: {@code ThroughputBench [concurrency=128] [seconds=3] [instances=2]}
 */
public final class ThroughputBench {

  public static void main(String[] args) throws Exception {
    int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    long seconds = args.length > 1 ? Long.parseLong(args[1]) : 3;
    int instances = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new Targets()).await(10, TimeUnit.SECONDS);
      TimeoutOptions options = new TimeoutOptions();
      for (String t : new String[] {"echo", "cpu", "wait"}) {
        options.addRoute(new RouteOptions().setAddress("bench." + t + ".guarded").setTarget("bench." + t)
          .setTimeoutMs(5_000));
      }
      vertx.deployVerticle(() -> new TimeoutVerticle(options), new DeploymentOptions().setInstances(instances))
        .await(10, TimeUnit.SECONDS);
      JsonObject body = new JsonObject().put("sku", 7).put("qty", 2);
      System.out.println(BenchSupport.fmt("# throughput, closed loop: %d callers on 2 contexts, TimeoutVerticle ×%d instances; "
        + "%d rounds of %d s per variant, interleaved (each after 1 s warm-up); medians", concurrency, instances, ROUNDS, seconds));
      for (String t : new String[] {"echo", "cpu", "wait"}) {
        String target = "bench." + t;
        double[] direct = new double[ROUNDS];
        double[] scoped = new double[ROUNDS];
        double[] guarded = new double[ROUNDS];
        double[] inProcess = new double[ROUNDS];
        RouteGuard guard = RouteGuard.create(vertx, new RouteOptions().setAddress("bench." + t + ".inprocess")
          .setTarget(target).setTimeoutMs(5_000));
        for (int r = 0; r < ROUNDS; r++) {
          direct[r] = measure(vertx, concurrency, seconds,
            () -> vertx.eventBus().request(target, body, new DeliveryOptions().setSendTimeout(5_000)));
          scoped[r] = measure(vertx, concurrency, seconds, () -> {
            CancelScope scope = CancelScope.withTimeout(vertx, 5_000);
            return BusRequest.request(scope, target, body).onComplete(ar -> scope.close());
          });
          guarded[r] = measure(vertx, concurrency, seconds,
            () -> vertx.eventBus().request(target + ".guarded", body, new DeliveryOptions().setSendTimeout(10_000)));
          inProcess[r] = measure(vertx, concurrency, seconds, () -> {
            CancelScope scope = CancelScope.create(vertx);
            return guard.call(scope, body).onComplete(ar -> scope.close());
          });
        }
        guard.close().await(10, TimeUnit.SECONDS);
        double d = median(direct);
        double g = median(guarded);
        double ip = median(inProcess);
        System.out.println(BenchSupport.fmt("%-5s direct %8.0f/s   BusRequest+scope %8.0f/s   guarded %8.0f/s   guarded/direct %.2f×"
          + "   in-process RouteGuard %8.0f/s (%.2f×)", t, d, median(scoped), g, g / d, ip, ip / d));
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static double measure(Vertx vertx, int concurrency, long seconds,
                                java.util.function.Supplier<Future<?>> call) throws Exception {
    BenchSupport.closedLoop(vertx, 2, concurrency, 1_000, 10_000_000, call).await(120, TimeUnit.SECONDS);
    BenchSupport.Run run = BenchSupport.closedLoop(vertx, 2, concurrency, seconds * 1_000, 50_000_000, call)
      .await(seconds + 120, TimeUnit.SECONDS);
    if (run.failed > 0) {
      System.out.println("  (" + run.failed + " failed calls)");
    }
    return run.perSecond();
  }

  private static final int ROUNDS = 3;

  private static double median(double[] values) {
    double[] v = values.clone();
    java.util.Arrays.sort(v);
    return v[v.length / 2];
  }

  /** The three targets, on a context of their own (also GuardOverhead's). */
  public static final class Targets extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.eventBus().consumer("bench.echo", m -> m.reply(m.body()));
      vertx.eventBus().<JsonObject>consumer("bench.cpu", m -> m.reply(new JsonObject().put("h", work(m.body()))));
      vertx.eventBus().consumer("bench.wait", m -> vertx.setTimer(2, t -> m.reply(m.body())));
      return Future.succeededFuture();
    }

    /** About 40–50 µs of hashing (43.5 µs of loop CPU per request measured by GuardOverhead). */
    private static long work(JsonObject body) {
      long h = body.hashCode();
      for (int i = 0; i < 20_000; i++) {
        h = h * 31 + (h >>> 7) + i;
      }
      return h;
    }
  }
}
