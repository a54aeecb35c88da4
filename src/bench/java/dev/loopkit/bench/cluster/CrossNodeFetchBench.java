package dev.loopkit.bench.cluster;

import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A fetch through the event bus to a fetch verticle on another cluster node vs on the same node: two
 * clustered Vert.x nodes a and b in this JVM (Hazelcast over 127.0.0.1), b runs the FetchVerticle and a demo
 * upstream; the same closed loop of 100-URL calls is sent from b (same node) and from a (another node),
 * alternated round by round after a warm-up of both. Prints calls/s and URLs/s medians and the ratio
 * cross/same (issue 11 goal: ≥ 0.8).
 *
 * <p>usage: CrossNodeFetchBench [URLS=100] [CALLS=300] [IN_FLIGHT=8] [ROUNDS=5]
 */
public final class CrossNodeFetchBench {

  public static void main(String[] args) throws Exception {
    int urls = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 300;
    int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 8;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    String cluster = ClusterBenchSupport.clusterName();
    int seed = ClusterBenchSupport.freePort();
    Vertx a = ClusterBenchSupport.node(cluster, "a", seed, seed);
    Vertx b = ClusterBenchSupport.node(cluster, "b", seed + 1, seed);
    ClusterBenchSupport.waitMembers(a, 2);
    DemoUpstreamVerticle up = new DemoUpstreamVerticle();
    b.deployVerticle(up, new DeploymentOptions().setConfig(new JsonObject().put("port", 0))).await(30, TimeUnit.SECONDS);
    FetchOptions options = new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort()))
      .setMaxInFlight(Math.max(512, urls * inFlight)).setMaxPerHost(64).setMaxCalls(Math.max(64, inFlight * 2));
    b.deployVerticle(new FetchVerticle(options)).await(30, TimeUnit.SECONDS);
    ClusterBenchSupport.registered(a, options.getAddress(), 1);
    JsonArray list = new JsonArray();
    for (int i = 0; i < urls; i++) {
      list.add(up.baseUrl() + "/item/" + i);
    }
    JsonObject request = new JsonObject().put("urls", list);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(60_000);
    System.out.println(ClusterBenchSupport.fmt("# fetch through the bus, %d-URL calls, %d calls per round, %d in flight, %d rounds "
      + "(+2 warm-up), same node (b→b) and another node (a→b) alternated; medians", urls, calls, inFlight, rounds));
    double[] same = new double[rounds];
    double[] cross = new double[rounds];
    for (int r = -2; r < rounds; r++) {
      boolean crossFirst = (r & 1) == 1;
      double s = 0;
      double c = 0;
      for (int k = 0; k < 2; k++) {
        Vertx caller = (k == 0) == crossFirst ? a : b;
        double secs = ClusterBenchSupport.closedLoop(caller, calls, inFlight, () -> caller.eventBus().<JsonObject>request(
          options.getAddress(), request, delivery).map(m -> {
            if (m.body().getInteger("succeeded") != urls) {
              throw new IllegalStateException("not all URLs succeeded: " + m.body().getInteger("failed"));
            }
            return m;
          }));
        if (caller == a) {
          c = calls / secs;
        } else {
          s = calls / secs;
        }
      }
      if (r >= 0) {
        same[r] = s;
        cross[r] = c;
        System.out.println(ClusterBenchSupport.fmt("round %d: same node %.1f calls/s, another node %.1f calls/s (%.2f)", r, s, c, c / s));
      }
    }
    double sm = ClusterBenchSupport.median(same);
    double cm = ClusterBenchSupport.median(cross);
    System.out.println(ClusterBenchSupport.fmt("fetch-across-nodes urls=%d same_calls_per_s=%.1f (%.0f urls/s) cross_calls_per_s=%.1f "
      + "(%.0f urls/s) ratio=%.2f", urls, sm, sm * urls, cm, cm * urls, cm / sm));
    b.close().await(60, TimeUnit.SECONDS);
    a.close().await(60, TimeUnit.SECONDS);
    System.exit(0);
  }
}
