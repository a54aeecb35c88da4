package dev.loopkit.bench.fetch;

import dev.loopkit.fetch.FetchEngine;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchReply;
import dev.loopkit.fetch.FetchRequest;
import dev.loopkit.fetch.FetchResult;
import dev.loopkit.fetch.FetchVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * loopkit as a peer of ../shared/bench/peers: {@code URL_TEMPLATE N C TIMEOUT_MS [WARMUP]}, one line
 * {@code peer=loopkit n= ok= failed= wall_ms= rps= p50_ms= p99_ms=} with the peers' definitions:
 * ok = status 200 with the body read; rps = ok / wall; latency from the moment a request gets its
 * concurrency permit until its body is read (the engine's per-result {@code elapsedMs}, which starts when
 * the request takes its place in the call's {@code concurrency}); p50/p99 nearest-rank over ok requests;
 * wall from the first dispatch to the last completion (measured by the caller around the whole call, so it
 * also counts the request's parsing and, on the bus path, both bus hops).
 *
 * <p>The N requests are ONE call ({@code urls} shorthand, {@code concurrency: C}, per-request timeout
 * TIMEOUT_MS) — how the verticle is meant to be used. System properties:
 * <ul>
 *   <li>{@code -Dpath=bus} (default: the FetchVerticle over the event bus, as users call it) or
 *   {@code engine} (the engine's Java API, no bus); the peer name is {@code loopkit} or
 *   {@code loopkit-engine};</li>
 *   <li>{@code -DeventLoops=N}: Vert.x event loops (default: Vert.x's own, 2 × cores); {@code -DpoolLoops=N}:
 *   the engine's {@code eventLoops} option and {@code -Dshards=N} its {@code shards} (default: the product's
 *   defaults, 0 and 0: one shard per event loop, each shard's connections on its own loop); {@code -Dpipelining=true};
 *   {@code -Dnative=true}: Netty's epoll transport (needs netty-transport-native-epoll on the class path).</li>
 * </ul>
 * The line ends with {@code cpu_ms=}: the process's CPU time (all threads, JIT compiler included) during the
 * measured call — steadier than wall time on a shared machine when comparing JVM flags. {@code -DthreadCpu=true}
 * also prints each thread's CPU time (whole process life) to stderr.
 * WARMUP requests go first, not measured, in calls of at most N requests each.
 * The limits are raised to fit the run: maxInFlight/maxPerHost = C, maxRequestsPerCall = N,
 * maxCallBytes = 8 KiB per request (a 20 000-request call keeps ~2 KiB per result: the default 32 MiB
 * would fail the last ~3 600 with PAYLOAD_TOO_LARGE; failures are counted by code on stderr).
 */
public final class FetchPeer {

  public static void main(String[] args) throws Exception {
    try {
      System.out.println(run(args, false));
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
    System.exit(0);
  }

  /** Runs one measurement and returns the peer line; {@code close}: close the Vert.x instance first. */
  static String run(String[] args, boolean close) throws Exception {
    PeerArgs a = PeerArgs.parse("FetchPeer", args);
    String tpl = a.template();
    int n = a.n();
    int c = a.concurrency();
    long timeoutMs = a.timeoutMs();
    int warmup = a.warmup();
    String host = a.host();
    int port = a.port();
    String path = System.getProperty("path", "bus");
    int loops = Integer.getInteger("eventLoops", VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE);

    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(Boolean.getBoolean("native")));
    if (Boolean.getBoolean("native") && !vertx.isNativeTransportEnabled()) {
      System.err.println("-Dnative=true but the native transport is not available: " + vertx.unavailableNativeTransportCause());
    }
    FetchOptions options = new FetchOptions()
      .setAllowedHosts(List.of(host + ":" + port))
      .setMaxInFlight(Math.max(c, FetchOptions.DEFAULT_MAX_IN_FLIGHT))
      .setMaxPerHost(c)
      .setMaxQueue(Math.max(c, FetchOptions.DEFAULT_MAX_QUEUE))
      .setMaxRequestsPerCall(Math.max(n, FetchOptions.DEFAULT_MAX_REQUESTS_PER_CALL))
      .setMaxCallBytes(Math.max(FetchOptions.DEFAULT_MAX_CALL_BYTES, 8192L * n))
      .setMaxTimeoutMs(600_000)
      .setTimeoutMs(600_000)
      .setRequestTimeoutMs(timeoutMs)
      .setConnectTimeoutMs((int) Math.min(Integer.MAX_VALUE, timeoutMs))
      .setEventLoops(Integer.getInteger("poolLoops", FetchOptions.DEFAULT_EVENT_LOOPS))
      .setShards(Integer.getInteger("shards", FetchOptions.DEFAULT_SHARDS))
      .setPipelining(Boolean.getBoolean("pipelining"));

    Runner runner;
    if (path.equals("engine")) {
      FetchEngine engine = FetchEngine.create(vertx, options);
      runner = (urls, conc) -> {
        FetchReply reply = engine.fetch(FetchRequest.of(urls).concurrency(conc)).await(10, TimeUnit.MINUTES);
        long[] out = new long[urls.size()];
        List<FetchResult> rs = reply.results();
        for (int i = 0; i < out.length; i++) {
          FetchResult r = rs.get(i);
          out[i] = r.ok() && r.status() == 200 ? Math.round(r.elapsedMs() * 1000) : -1;
          if (out[i] < 0) {
            failure(r.error() + " " + r.message());
          }
        }
        return out;
      };
    } else if (path.equals("bus")) {
      vertx.deployVerticle(new FetchVerticle(options), new DeploymentOptions()).await(30, TimeUnit.SECONDS);
      runner = (urls, conc) -> {
        JsonObject req = new JsonObject().put("urls", new JsonArray(new ArrayList<Object>(urls))).put("concurrency", conc);
        Message<JsonObject> m = vertx.eventBus().<JsonObject>request(options.getAddress(), req,
          new DeliveryOptions().setSendTimeout(TimeUnit.MINUTES.toMillis(10))).await(10, TimeUnit.MINUTES);
        JsonArray rs = m.body().getJsonArray("results");
        long[] out = new long[urls.size()];
        for (int i = 0; i < out.length; i++) {
          JsonObject r = rs.getJsonObject(i);
          out[i] = r.getBoolean("ok") && r.getInteger("status", 0) == 200 ? Math.round(r.getDouble("elapsedMs") * 1000) : -1;
          if (out[i] < 0) {
            JsonObject e = r.getJsonObject("error");
            failure(e == null ? "status " + r.getInteger("status") : e.getString("code") + " " + e.getString("message"));
          }
        }
        return out;
      };
    } else {
      throw new IllegalArgumentException("-Dpath must be bus or engine");
    }

    // the warm-up in calls of at most N requests, like the measured one (a steady service's calls, and no
    // 100 000-result call held in memory)
    for (int from = 0; from < warmup; from += n) {
      runner.run(urls(tpl, from, Math.min(n, warmup - from)), c);
    }
    List<String> urls = urls(tpl, warmup, n);
    com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    long[] latUs = runner.run(urls, c);
    double wallMs = (System.nanoTime() - t0) / 1e6;
    double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
    if (Boolean.getBoolean("threadCpu")) { // where the CPU went, per thread (whole process life)
      java.lang.management.ThreadMXBean tm = java.lang.management.ManagementFactory.getThreadMXBean();
      for (java.lang.management.ThreadInfo ti : tm.getThreadInfo(tm.getAllThreadIds())) {
        if (ti != null) {
          long t = tm.getThreadCpuTime(ti.getThreadId());
          if (t > 10_000_000L) {
            System.err.printf(Locale.ROOT, "thread-cpu %-40s %6.0f ms%n", ti.getThreadName(), t / 1e6);
          }
        }
      }
    }
    FAILURES.forEach((what, count) -> System.err.println("failed " + count + " × " + what));
    long[] okLat = Arrays.stream(latUs).filter(v -> v >= 0).sorted().toArray();
    int ok = okLat.length;
    String name = path.equals("engine") ? "loopkit-engine" : "loopkit";
    if (close) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    return String.format(Locale.ROOT, "peer=%s n=%d ok=%d failed=%d wall_ms=%.0f rps=%.0f p50_ms=%.2f p99_ms=%.2f cpu_ms=%.0f",
      name, n, ok, n - ok, wallMs, ok / (wallMs / 1000.0), PeerArgs.pctMs(okLat, 50), PeerArgs.pctMs(okLat, 99), cpuMs);
  }

  private static final java.util.Map<String, Integer> FAILURES = new java.util.TreeMap<>();

  /** Counts a failed request by its code and message (digits masked), printed to stderr at the end. */
  private static void failure(String what) {
    FAILURES.merge(what.replaceAll("[0-9]+", "#"), 1, Integer::sum);
  }

  private interface Runner {
    long[] run(List<String> urls, int concurrency) throws Exception;
  }

  private static List<String> urls(String tpl, int start, int count) {
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      out.add(tpl.replace("{n}", Integer.toString(start + i)));
    }
    return out;
  }
}
