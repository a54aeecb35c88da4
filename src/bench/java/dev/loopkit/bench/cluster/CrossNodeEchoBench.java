package dev.loopkit.bench.cluster;

import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * A guarded echo across nodes vs a direct request across nodes: the caller and the TimeoutVerticle on node
 * a, the echo on node b (two clustered Vert.x in this JVM). Direct: a → b. Guarded: a → route on a → b.
 * Closed loop, alternated round by round after a warm-up; medians and the ratio guarded/direct.
 *
 * <p>usage: CrossNodeEchoBench [REQUESTS=20000] [IN_FLIGHT=128] [ROUNDS=5]
 */
public final class CrossNodeEchoBench {

  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 128;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    String cluster = ClusterBenchSupport.clusterName();
    int seed = ClusterBenchSupport.freePort();
    Vertx a = ClusterBenchSupport.node(cluster, "a", seed, seed);
    Vertx b = ClusterBenchSupport.node(cluster, "b", seed + 1, seed);
    ClusterBenchSupport.waitMembers(a, 2);
    b.eventBus().<JsonObject>consumer("bench.echo", m -> m.reply(m.body())).completion().await(10, TimeUnit.SECONDS);
    a.deployVerticle(new TimeoutVerticle(new TimeoutOptions().addRoute(new RouteOptions().setAddress("bench.echo.guarded")
      .setTarget("bench.echo").setTimeoutMs(10_000)))).await(30, TimeUnit.SECONDS);
    ClusterBenchSupport.registered(a, "bench.echo", 1);
    JsonObject body = new JsonObject().put("sku", 7).put("qty", 2);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(30_000);
    System.out.println(ClusterBenchSupport.fmt("# echo across nodes (caller and route on a, echo on b): %d requests per round, %d in flight, "
      + "%d rounds (+2 warm-up), direct and guarded alternated; medians", requests, inFlight, rounds));
    double[] direct = new double[rounds];
    double[] guarded = new double[rounds];
    for (int r = -2; r < rounds; r++) {
      double d = 0;
      double g = 0;
      for (int k = 0; k < 2; k++) {
        boolean viaRoute = (k == 0) == ((r & 1) == 1);
        String address = viaRoute ? "bench.echo.guarded" : "bench.echo";
        double secs = ClusterBenchSupport.closedLoop(a, requests, inFlight, () -> a.eventBus().request(address, body, delivery));
        if (viaRoute) {
          g = requests / secs;
        } else {
          d = requests / secs;
        }
      }
      if (r >= 0) {
        direct[r] = d;
        guarded[r] = g;
        System.out.println(ClusterBenchSupport.fmt("round %d: direct %.0f rps, guarded %.0f rps (%.2f)", r, d, g, g / d));
      }
    }
    double dm = ClusterBenchSupport.median(direct);
    double gm = ClusterBenchSupport.median(guarded);
    System.out.println(ClusterBenchSupport.fmt("echo-across-nodes direct_rps=%.0f guarded_rps=%.0f ratio=%.2f", dm, gm, gm / dm));
    b.close().await(60, TimeUnit.SECONDS);
    a.close().await(60, TimeUnit.SECONDS);
    System.exit(0);
  }
}
