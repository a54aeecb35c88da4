package dev.loopkit.bench.fetch;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The warm floor of a Vert.x client on this machine: a bare {@link io.vertx.core.http.HttpClient} (keep-alive
 * pool of C connections, C workers spread over the event loops, each sending its next request when its last
 * body is in) — no engine, no limits, no results kept, no JSON parsed. What loopkit's warm throughput is
 * compared with, next to the wrk ceiling (which no JVM client on 2 shared cores reaches: bench/compare.sh).
 *
 * <p>usage: {@code VertxFloor URL_TEMPLATE N C TIMEOUT_MS [WARMUP]} ({@code {n}} = the request index;
 * 127.0.0.1 / localhost only), the peers' arguments: WARMUP requests first (same client, same pool, not
 * measured), then N measured. Prints {@code peer=vertx-floor n= ok= failed= wall_ms= rps= p50_ms= p99_ms=
 * cpu_ms=} with the peers' definitions: ok = status 200 with the body read; latency from a request's send
 * to its body's last byte; wall from the first send to the last completion; cpu = the process's CPU time
 * during the measured requests. Each request has an idle timeout of TIMEOUT_MS.
 */
public final class VertxFloor {

  public static void main(String[] args) throws Exception {
    PeerArgs a;
    try {
      a = PeerArgs.parse("VertxFloor", args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    String tpl = a.template();
    int n = a.n();
    int c = a.concurrency();
    long timeoutMs = a.timeoutMs();
    int warmup = a.warmup();
    Vertx vertx = Vertx.vertx();
    HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true),
      new PoolOptions().setHttp1MaxSize(c));
    Context[] loops = new Context[c];
    for (int i = 0; i < c; i++) {
      loops[i] = vertx.getOrCreateContext();   // off a Vert.x thread: a new event-loop context each time
    }
    String host = a.host();
    int port = a.port();
    if (warmup > 0) {
      new Run(client, loops, tpl, host, port, timeoutMs, 0, warmup).start().await(10, TimeUnit.MINUTES);
    }
    com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    long[] latUs = new Run(client, loops, tpl, host, port, timeoutMs, warmup, n).start().await(10, TimeUnit.MINUTES);
    double wallMs = (System.nanoTime() - t0) / 1e6;
    double cpuMs = (os.getProcessCpuTime() - cpu0) / 1e6;
    long[] ok = Arrays.stream(latUs).filter(v -> v >= 0).sorted().toArray();
    System.out.println(String.format(Locale.ROOT,
      "peer=vertx-floor n=%d ok=%d failed=%d wall_ms=%.0f rps=%.0f p50_ms=%.2f p99_ms=%.2f cpu_ms=%.0f",
      n, ok.length, n - ok.length, wallMs, ok.length / (wallMs / 1000.0), PeerArgs.pctMs(ok, 50), PeerArgs.pctMs(ok, 99), cpuMs));
    System.exit(0);
  }

  /** {@code count} requests from index {@code first}, C at a time; latencies in µs, -1 for a failure. */
  private static final class Run {
    final HttpClientAgent client;
    final Context[] loops;
    /** The template's path and query: {@code /item/{n}?delay_ms=1000}. */
    final String uriTpl;
    final String host;
    final int port;
    final long timeoutMs;
    final int first;
    final long[] latUs;
    final AtomicInteger next = new AtomicInteger();
    final AtomicInteger done = new AtomicInteger();
    final Promise<long[]> finished = Promise.promise();

    Run(HttpClientAgent client, Context[] loops, String tpl, String host, int port, long timeoutMs, int first, int count) {
      this.client = client;
      this.loops = loops;
      int path = tpl.indexOf('/', tpl.indexOf("//") + 2);
      this.uriTpl = path < 0 ? "/" : tpl.substring(path);
      this.host = host;
      this.port = port;
      this.timeoutMs = timeoutMs;
      this.first = first;
      this.latUs = new long[count];
    }

    Future<long[]> start() {
      for (Context loop : loops) {
        loop.runOnContext(v -> sendNext());
      }
      return finished.future();
    }

    private void sendNext() {
      int i = next.getAndIncrement();
      if (i >= latUs.length) {
        return;
      }
      long t0 = System.nanoTime();
      RequestOptions req = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port)
        .setURI(uriTpl.replace("{n}", Integer.toString(first + i)))
        .setIdleTimeout(timeoutMs);
      client.request(req)
        .compose(r -> r.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
        .onComplete(ar -> {
          latUs[i] = ar.succeeded() && ar.result() == 200 ? (System.nanoTime() - t0) / 1000 : -1;
          if (done.incrementAndGet() == latUs.length) {
            finished.complete(latUs);
          }
          sendNext();
        });
    }
  }
}
