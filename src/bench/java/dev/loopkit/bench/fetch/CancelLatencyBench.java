package dev.loopkit.bench.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchEngine;
import dev.loopkit.fetch.FetchMode;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchRequest;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * How long after loopkit decides to stop a request does the upstream see its connection closed (the goal:
 * within 50 ms)? Three triggers, each repeated {@code ROUNDS} times against the in-process demo upstream
 * on 127.0.0.1 (one request on the wire at a time, so each close is attributable):
 * <ul>
 *   <li>{@code cancel}: the caller cancels the call's scope while the request hangs (waiting for headers);</li>
 *   <li>{@code loser}: mode any, the winner answers after 20 ms, the loser is hanging;</li>
 *   <li>{@code timeout}: the request's own 30 ms timeout fires while it trickles its body;</li>
 *   <li>{@code body-cap}: a chunked 100 MB body passes maxBodyBytes (64 KiB).</li>
 * </ul>
 * Latency = the upstream's connection close handler time minus the trigger time (cancel call, winner's
 * arrival at the engine, timeout due time, cap-crossing time ≈ the result time), same JVM, same clock.
 * Prints one line per trigger: {@code reset=<trigger> n= p50_ms= p99_ms= max_ms=}.
 *
 * <p>usage: CancelLatencyBench [ROUNDS=200]
 */
public final class CancelLatencyBench {

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    DemoUpstreamVerticle up = new DemoUpstreamVerticle();
    vertx.deployVerticle(up, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0)))
      .await(30, TimeUnit.SECONDS);
    String base = up.baseUrl();
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort()))
      .setMaxBodyBytes(64 * 1024));

    long[] cancel = new long[rounds];
    long[] loser = new long[rounds];
    long[] timeout = new long[rounds];
    long[] cap = new long[rounds];
    for (int i = 0; i < rounds; i++) {
      // cancel
      long closedBefore = up.connectionsClosed();
      CancelScope scope = CancelScope.create(vertx);
      Future<?> call = engine.fetch(FetchRequest.of(base + "/item/" + i + "?fault=hang"), scope);
      await(vertx, () -> up.activeRequests() == 1);
      long t0 = System.nanoTime();
      scope.cancel("bench");
      await(vertx, () -> up.connectionsClosed() > closedBefore);
      cancel[i] = up.lastConnectionClosedNanos() - t0;
      call.transform(ar -> Future.succeededFuture()).await(10, TimeUnit.SECONDS);
      scope.close();

      // loser in mode any: the winner arrives ~20 ms in; the loser's connection must close right after
      long closedBefore2 = up.connectionsClosed();
      long[] winnerAt = {0};
      engine.fetch(FetchRequest.of(base + "/item/1?fault=hang", base + "/item/2?delay_ms=20").mode(FetchMode.ANY), null,
        r -> {
          if (r.ok() && winnerAt[0] == 0) {
            winnerAt[0] = System.nanoTime();
          }
        }).await(10, TimeUnit.SECONDS);
      await(vertx, () -> up.connectionsClosed() > closedBefore2);
      loser[i] = up.lastConnectionClosedNanos() - winnerAt[0];

      // own timeout while the body trickles in
      long closedBefore3 = up.connectionsClosed();
      long start = System.nanoTime();
      engine.fetch(new FetchRequest().add(FetchRequest.Item.get(base + "/item/3?fault=trickle&bytes=1000&interval_ms=5").timeoutMs(30)))
        .await(10, TimeUnit.SECONDS);
      await(vertx, () -> up.connectionsClosed() > closedBefore3);
      timeout[i] = up.lastConnectionClosedNanos() - (start + TimeUnit.MILLISECONDS.toNanos(30));

      // body cap crossed mid-stream
      long closedBefore4 = up.connectionsClosed();
      long[] resultAt = {0};
      engine.fetch(FetchRequest.of(base + "/item/4?bytes=100000000&chunked=true"), null, r -> resultAt[0] = System.nanoTime())
        .await(10, TimeUnit.SECONDS);
      await(vertx, () -> up.connectionsClosed() > closedBefore4);
      cap[i] = up.lastConnectionClosedNanos() - resultAt[0];
    }
    print("cancel", cancel);
    print("loser", loser);
    print("timeout", timeout);
    print("body-cap", cap);
    System.out.println("engine " + engine.stats().encode() + " upstream open=" + up.openConnections());
    engine.close().await(10, TimeUnit.SECONDS);
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static void await(Vertx vertx, BooleanSupplier condition) throws Exception {
    Promise<Void> p = Promise.promise();
    poll(vertx, condition, p, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    p.future().await(15, TimeUnit.SECONDS);
  }

  private static void poll(Vertx vertx, BooleanSupplier condition, Promise<Void> p, long until) {
    if (condition.getAsBoolean()) {
      p.complete();
    } else if (System.nanoTime() > until) {
      p.fail("condition not met within 10 s");
    } else {
      vertx.setTimer(1, t -> poll(vertx, condition, p, until));
    }
  }

  private static void print(String name, long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    System.out.println(String.format(Locale.ROOT, "reset=%s n=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f", name, s.length,
      pct(s, 50), pct(s, 99), s[s.length - 1] / 1e6));
  }

  private static double pct(long[] sorted, double p) {
    int k = Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[k] / 1e6;
  }
}
