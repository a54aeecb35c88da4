package dev.loopkit.bench.overhead;

import dev.loopkit.async.CancelScope;
import dev.loopkit.timeout.RouteGuard;
import dev.loopkit.timeout.RouteOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-process {@link RouteGuard}'s cost: a direct event-bus request (A: {@code request} with a send
 * timeout, one Vert.x timer) vs the same request through {@code RouteGuard.call} under a fresh
 * {@link CancelScope} (B), by {@link PairedRounds}, for two targets: {@code echo} (replies at once — the
 * guard's cost at its worst) and {@code cpu} (about 40 µs of hashing per request; 43.5 µs of loop CPU
 * per direct request measured).
 *
 * <p>One JVM, one target verticle, one set of callers (a closed loop of {@code concurrency} workers on two
 * caller verticles, each on its own event loop) running without pause for the whole measurement; each
 * worker reads one volatile flag per call to pick direct or guarded, and the flag is flipped between
 * rounds. So both variants run on the same loops, the same target and the same JIT-compiled code, and
 * differ only in the guard. Public API only ({@code RouteGuard}, {@code RouteOptions}, {@code CancelScope}).
 * Bounded in time (the run's length) and in count ({@code maxCalls}).
 *
 * <p>Usage: {@code GuardOverhead [pairs=40] [roundMs=1000] [targets=echo,cpu] [concurrency=128]
 * [warmupPairs=4] [settleMs=100]}
 */
public final class GuardOverhead {

  private static final long MAX_CALLS = 500_000_000L;

  public static void main(String[] args) throws Exception {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    long roundMs = args.length > 1 ? Long.parseLong(args[1]) : 1_000;
    String[] targets = (args.length > 2 ? args[2] : "echo,cpu").split(",");
    int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 128;
    int warmupPairs = args.length > 4 ? Integer.parseInt(args[4]) : 4;
    long settleMs = args.length > 5 ? Long.parseLong(args[5]) : 100;
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new dev.loopkit.bench.timeout.ThroughputBench.Targets()).await(10, TimeUnit.SECONDS);
      for (String t : targets) {
        if (!t.equals("echo") && !t.equals("cpu")) {
          throw new IllegalArgumentException("targets are echo and cpu, got " + t);
        }
        measure(vertx, t, pairs, roundMs, concurrency, warmupPairs, settleMs);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static void measure(Vertx vertx, String t, int pairs, long roundMs, int concurrency, int warmupPairs,
                              long settleMs) throws Exception {
    String target = "bench." + t; // ThroughputBench.Targets: bench.echo, bench.cpu
    RouteGuard guard = RouteGuard.create(vertx, new RouteOptions().setAddress(target + ".guarded").setTarget(target)
      .setTimeoutMs(5_000));
    Load load = new Load(vertx, target, guard, concurrency);
    long warmMs = 5_000;
    long endNanos = System.nanoTime()
      + (warmMs + PairedRounds.durationMs(pairs, warmupPairs, roundMs, settleMs) + 5_000) * 1_000_000L;
    String deployment = vertx.deployVerticle(() -> new Caller(load, endNanos), new DeploymentOptions().setInstances(2))
      .await(10, TimeUnit.SECONDS);
    System.out.printf(Locale.ROOT, "# guard overhead, target %s: closed loop, %d callers on 2 caller loops, target on its own loop; "
      + "A = direct request, B = in-process RouteGuard%n", t, concurrency);
    Thread.sleep(warmMs);   // JIT: both variants' paths compile during the warm-up pairs that follow
    PairedRounds rounds = new PairedRounds(load, "direct", "guard", pairs, warmupPairs, roundMs, settleMs);
    rounds.run();
    load.stop = true;
    vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
    guard.close().await(10, TimeUnit.SECONDS);
    rounds.summarize("guard/" + t, t.equals("echo") ? 0.95 : 1.0, 0);
    System.out.printf(Locale.ROOT, "guard/%s failed calls: %d (expect 0)%n", t, load.failed.sum());
  }

  /** The callers' shared state and the switch. */
  static final class Load implements PairedRounds.Subject {
    final Vertx vertx;
    final String target;
    final RouteGuard guard;
    final int concurrency;
    final JsonObject body = new JsonObject().put("sku", 7).put("qty", 2);
    final LongAdder ok = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder started = new LongAdder();
    volatile boolean guarded;
    volatile boolean stop;

    Load(Vertx vertx, String target, RouteGuard guard, int concurrency) {
      this.vertx = vertx;
      this.target = target;
      this.guard = guard;
      this.concurrency = concurrency;
    }

    Future<?> call() {
      if (guarded) {
        CancelScope scope = CancelScope.create(vertx);
        return guard.call(scope, body).onComplete(ar -> scope.close());
      }
      return vertx.eventBus().request(target, body, new DeliveryOptions().setSendTimeout(5_000));
    }

    @Override
    public void use(boolean b) {
      guarded = b;
    }

    @Override
    public long served() {
      return ok.sum() + failed.sum();
    }
  }

  /** Half of the closed loop, on its own event loop; completes its undeploy once its workers stopped. */
  static final class Caller extends VerticleBase {
    private final Load load;
    private final long endNanos;
    private final Promise<Void> stopped = Promise.promise();
    private int running;

    Caller(Load load, long endNanos) {
      this.load = load;
      this.endNanos = endNanos;
    }

    @Override
    public Future<?> start() {
      running = load.concurrency / 2;
      for (int i = 0; i < load.concurrency / 2; i++) {
        next();
      }
      return Future.succeededFuture();
    }

    private void next() {
      if (load.stop || System.nanoTime() - endNanos > 0 || load.started.sum() >= MAX_CALLS) {
        if (--running == 0) {
          stopped.tryComplete();
        }
        return;
      }
      load.started.increment();
      Future<?> f;
      try {
        f = load.call();
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      f.onComplete(ar -> {
        (ar.succeeded() ? load.ok : load.failed).increment();
        next();
      });
    }

    @Override
    public Future<?> stop() {
      return stopped.future();
    }
  }
}
