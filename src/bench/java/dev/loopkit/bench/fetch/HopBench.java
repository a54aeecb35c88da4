package dev.loopkit.bench.fetch;

import dev.loopkit.fetch.FetchEngine;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchReply;
import dev.loopkit.fetch.FetchRequest;
import dev.loopkit.fetch.FetchVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The cost of the event-bus hop, in one JVM: the same call (N urls, concurrency C) through the engine's Java
 * API and through the FetchVerticle (JSON request, JSON reply), alternated ROUNDS times after a warm-up of
 * both, so JIT state, thread placement and the upstream's state are the same for both paths. Both use the
 * verticle's own engine, so the only difference is the hop (JSON in, bus delivery, JSON out). Prints {@code hop engine_rps= bus_rps= ratio=} (ratio = bus/engine) over the medians.
 *
 * <p>usage: HopBench URL_TEMPLATE [N=20000] [C=256] [ROUNDS=5]
 */
public final class HopBench {

  public static void main(String[] args) throws Exception {
    String tpl = args[0];
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    int c = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 5;
    URI probe = URI.create(tpl.replace("{n}", "0"));
    if (!"127.0.0.1".equals(probe.getHost())) {
      System.err.println("refusing non-loopback host " + probe.getHost());
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    FetchOptions options = new FetchOptions()
      .setAllowedHosts(List.of("127.0.0.1:" + probe.getPort()))
      .setMaxInFlight(Math.max(c, 512)).setMaxPerHost(c).setMaxRequestsPerCall(Math.max(n, 10_000)).setMaxCallBytes(8192L * Math.max(n, 10_000))
      .setMaxTimeoutMs(600_000).setTimeoutMs(600_000).setRequestTimeoutMs(5_000).setEventLoops(2);
    FetchVerticle verticle = new FetchVerticle(options);
    vertx.deployVerticle(verticle).await(30, TimeUnit.SECONDS);
    FetchEngine engine = verticle.engine(); // the very engine behind the bus address: only the hop differs
    List<String> urls = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      urls.add(tpl.replace("{n}", Integer.toString(i)));
    }
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(600_000);
    double[] engineRps = new double[rounds];
    double[] busRps = new double[rounds];
    for (int r = -2; r < rounds; r++) { // two warm-up rounds
      long t0 = System.nanoTime();
      FetchReply reply = engine.fetch(FetchRequest.of(urls).concurrency(c)).await(10, TimeUnit.MINUTES);
      double e = reply.succeeded() / ((System.nanoTime() - t0) / 1e9);
      t0 = System.nanoTime();
      JsonObject req = new JsonObject().put("urls", new JsonArray(new ArrayList<Object>(urls))).put("concurrency", c);
      JsonObject body = vertx.eventBus().<JsonObject>request(options.getAddress(), req, delivery).await(10, TimeUnit.MINUTES).body();
      double b = body.getInteger("succeeded") / ((System.nanoTime() - t0) / 1e9);
      if (r >= 0) {
        engineRps[r] = e;
        busRps[r] = b;
      }
    }
    Arrays.sort(engineRps);
    Arrays.sort(busRps);
    double em = engineRps[rounds / 2];
    double bm = busRps[rounds / 2];
    System.out.println(String.format(Locale.ROOT, "hop n=%d c=%d rounds=%d engine_rps=%.0f bus_rps=%.0f ratio=%.2f",
      n, c, rounds, em, bm, bm / em));
    System.exit(0);
  }
}
