package dev.loopkit.bench.cluster;

import dev.loopkit.blocking.BlockingCheckerVerticle;
import dev.loopkit.bus.Addresses;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Blocking incident delivery to a consumer on another node vs on the same node: two clustered Vert.x nodes
 * in this JVM; b runs the blocking checker (threshold 20 ms) and a consumer of {@code loopkit.blocking}, a
 * runs another. b's event loop is stalled {@code STALLS} times (60 ms of spinning, one every 150 ms, on a
 * loop neither consumer uses); each record is timed on arrival at both consumers. Prints the arrival of
 * the first ({@code ongoing}) record after the stall began, locally and on the other node (p50/p99), and
 * the extra time per record on the other node (goal: ≤ 10 ms over the local figure).
 *
 * <p>usage: IncidentLatencyBench [STALLS=200]
 */
public final class IncidentLatencyBench {

  /** Records arrival times of incident records, keyed by record id and phase. */
  static final class Listener extends VerticleBase {
    final Map<String, Long> arrived = new ConcurrentHashMap<>();
    volatile String thread;

    @Override
    public io.vertx.core.Future<?> start() {
      thread = Thread.currentThread().getName();
      return vertx.eventBus().<JsonObject>consumer(Addresses.BLOCKING, m -> {
        arrived.putIfAbsent(m.body().getString("id") + "/" + m.body().getBoolean("ongoing"), System.nanoTime());
      }).completion();
    }
  }

  public static void main(String[] args) throws Exception {
    int stalls = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    String cluster = ClusterBenchSupport.clusterName();
    int seed = ClusterBenchSupport.freePort();
    Vertx a = ClusterBenchSupport.node(cluster, "a", seed, seed);
    Vertx b = ClusterBenchSupport.node(cluster, "b", seed + 1, seed);
    ClusterBenchSupport.waitMembers(a, 2);
    b.deployVerticle(new BlockingCheckerVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("thresholdMs", 20)))
      .await(30, TimeUnit.SECONDS);
    Listener local = new Listener();
    Listener remote = new Listener();
    b.deployVerticle(local).await(30, TimeUnit.SECONDS);
    a.deployVerticle(remote).await(30, TimeUnit.SECONDS);
    ClusterBenchSupport.registered(b, Addresses.BLOCKING, 2);
    // a context on another event loop of b than the local listener's (contexts take the loops in turn)
    Context staller = null;
    String[] stallThread = new String[1];
    for (int i = 0; i < 8 && (staller == null || stallThread[0].equals(local.thread)); i++) {
      staller = b.getOrCreateContext();
      Promise<Void> named = Promise.promise();
      staller.runOnContext(v -> {
        stallThread[0] = Thread.currentThread().getName();
        named.complete();
      });
      named.future().await(10, TimeUnit.SECONDS);
    }
    Context stalling = staller;
    System.out.println("# blocking incident delivery: " + stalls + " stalls of 60 ms on b (" + stallThread[0]
      + "), threshold 20 ms; consumers on b (same node) and on a (another node)");
    List<long[]> stallStarts = new ArrayList<>();
    for (int i = 0; i < stalls + 5; i++) {
      long[] started = new long[1];
      Promise<Void> done = Promise.promise();
      stalling.runOnContext(v -> {
        started[0] = System.nanoTime();
        long until = started[0] + TimeUnit.MILLISECONDS.toNanos(60);
        while (System.nanoTime() < until) {
          Thread.onSpinWait();
        }
        done.complete();
      });
      done.future().await(10, TimeUnit.SECONDS);
      if (i >= 5) { // the first stalls warm up the checker and the bus
        stallStarts.add(started);
      }
      a.timer(150).await(10, TimeUnit.SECONDS);
    }
    a.timer(500).await(10, TimeUnit.SECONDS);
    if (stallThread[0].equals(local.thread)) {
      System.out.println("warning: the local listener ran on the stalled loop; its figures include the stall");
    }
    // match each stall to the ongoing record that started after it, by order of arrival
    List<Long> localOngoing = new ArrayList<>();
    List<Long> extra = new ArrayList<>();
    List<Map.Entry<String, Long>> ongoing = new ArrayList<>();
    for (Map.Entry<String, Long> e : local.arrived.entrySet()) {
      if (e.getKey().endsWith("/true")) {
        ongoing.add(e);
      }
      Long r = remote.arrived.get(e.getKey());
      if (r != null) {
        extra.add(r - e.getValue());
      }
    }
    ongoing.sort(Map.Entry.comparingByValue());
    long[] localLat = new long[stallStarts.size()];
    long[] remoteLat = new long[stallStarts.size()];
    int matched = 0;
    int j = 0;
    for (long[] start : stallStarts) {
      while (j < ongoing.size() && ongoing.get(j).getValue() < start[0]) {
        j++;
      }
      if (j < ongoing.size()) {
        Long r = remote.arrived.get(ongoing.get(j).getKey());
        if (r != null) {
          localLat[matched] = ongoing.get(j).getValue() - start[0];
          remoteLat[matched] = r - start[0];
          matched++;
        }
        j++;
      }
    }
    long[] l = Arrays.copyOf(localLat, matched);
    long[] r = Arrays.copyOf(remoteLat, matched);
    long[] x = extra.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(l);
    Arrays.sort(r);
    Arrays.sort(x);
    System.out.println(ClusterBenchSupport.fmt("records: %d on b, %d on a, %d on both; stalls matched to their first record: %d of %d",
      local.arrived.size(), remote.arrived.size(), x.length, matched, stallStarts.size()));
    System.out.println(ClusterBenchSupport.fmt("incident-latency from stall start to the first record: same node p50=%.1f p99=%.1f ms; "
      + "other node p50=%.1f p99=%.1f ms; extra per record on the other node p50=%.2f p99=%.2f max=%.2f ms",
      pct(l, 50), pct(l, 99), pct(r, 50), pct(r, 99), pct(x, 50), pct(x, 99), x.length == 0 ? 0 : x[x.length - 1] / 1e6));
    b.close().await(60, TimeUnit.SECONDS);
    a.close().await(60, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static double pct(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)] / 1e6;
  }
}
