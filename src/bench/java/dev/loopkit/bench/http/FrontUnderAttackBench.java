package dev.loopkit.bench.http;

import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Normal clients of the HTTP front while it is attacked (issue 9, deliver 3): the front runs in another
 * process — the real application (`java -jar` of the fat jar, default {@code http} options), started by
 * {@code bench/http.sh} — and this program drives it from 127.0.0.1.
 *
 * <p>Normal clients: {@code CLIENTS} keep-alive connections, each its own client with one connection opened
 * before any attack, each sending {@code POST /fetch} of one URL of the demo upstream (through the bus to the
 * fetch verticle and back) every {@code PERIOD_MS}; {@code REQUESTS} requests per phase (bounded to 60 s);
 * latency from the request's send to the end of its answer. Per round: a phase without attack, then the
 * attack is set up — {@code SLOW} slowloris connections (a request head at 1 byte per second, never finished),
 * then {@code IDLE} idle connections (connect, send nothing) opened in batches — and the same phase is measured
 * while they are held. Reported per round: p50/p99/max both ways and the ratio of the p99s; how many attack
 * connections the front accepted and how many it closed at once (its {@code maxConnections}), when it closed
 * the slowloris ones (time from their first byte), whether a new client could connect during the attack,
 * and failures of the normal clients. Every load is bounded in count and time; everything on 127.0.0.1.
 *
 * <p>usage: FrontUnderAttackBench PORT UPSTREAM_PORT [ROUNDS=3] [REQUESTS=6000] [CLIENTS=8] [PERIOD_MS=20]
 * [IDLE=5000] [SLOW=200]
 */
public final class FrontUnderAttackBench {

  private static final String HOST = "127.0.0.1";
  private static final long PHASE_LIMIT_MS = 60_000;

  private final Vertx normal = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  private final int port;
  private final Buffer body;
  private final List<HttpClient> clients = new ArrayList<>();

  private FrontUnderAttackBench(int port, int upstreamPort, int clientCount) {
    this.port = port;
    this.body = Buffer.buffer("{\"urls\":[\"http://127.0.0.1:" + upstreamPort + "/item/1\"]}");
    for (int i = 0; i < clientCount; i++) {
      clients.add(normal.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(600)
        .setDefaultHost(HOST).setDefaultPort(port), new PoolOptions().setHttp1MaxSize(1)));
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int upstreamPort = Integer.parseInt(args[1]);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int requests = args.length > 3 ? Integer.parseInt(args[3]) : 6000;
    int clientCount = args.length > 4 ? Integer.parseInt(args[4]) : 8;
    long periodMs = args.length > 5 ? Long.parseLong(args[5]) : 20;
    int idle = args.length > 6 ? Integer.parseInt(args[6]) : 5000;
    int slow = args.length > 7 ? Integer.parseInt(args[7]) : 200;
    FrontUnderAttackBench b = new FrontUnderAttackBench(port, upstreamPort, clientCount);
    System.out.println(fmt("# normal clients: %d keep-alive connections, POST /fetch (1 URL of the demo upstream) every %d ms "
      + "each, %d requests per phase; attack: %d slowloris connections (1 byte/s) then %d idle connections; %d rounds",
      clientCount, periodMs, requests, slow, idle, rounds));
    Phase warm = b.measure(Math.max(2000, requests / 2), 0);
    System.out.println(fmt("warm-up: %d requests, %d failed, p50 %.2f ms", warm.ok, warm.failed, warm.p(50)));
    double[] p99Base = new double[rounds];
    double[] p99Attack = new double[rounds];
    double[] p50Base = new double[rounds];
    double[] p50Attack = new double[rounds];
    double[] ratios = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      Phase base = b.measure(requests, periodMs);
      System.out.println(fmt("round %d without attack: %s", r + 1, base));
      Attack attack = new Attack(port, idle, slow);
      attack.open();
      System.out.println(fmt("round %d attack set up: %s", r + 1, attack.connections()));
      String probeDuring = probeNewClients(port, 10);
      System.out.println(fmt("round %d new clients during the attack: %s", r + 1, probeDuring));
      Phase under = b.measure(requests, periodMs);
      System.out.println(fmt("round %d with attack:    %s", r + 1, under));
      attack.slowlorisDeadlinePassed(HttpFrontOptions.DEFAULT_REQUEST_HEAD_TIMEOUT_MS);
      System.out.println(fmt("round %d after the phase: %s; slowloris: %s", r + 1, attack.connections(), attack.slowloris()));
      System.out.println(fmt("round %d new clients after the phase (slowloris closed, idle still held): %s", r + 1, probeNewClients(port, 10)));
      attack.close();
      b.waitFree();
      p99Base[r] = base.p(99);
      p99Attack[r] = under.p(99);
      p50Base[r] = base.p(50);
      p50Attack[r] = under.p(50);
      ratios[r] = under.p(99) / base.p(99);
      System.out.println(fmt("round %d p99 with / without attack: %.2f", r + 1, ratios[r]));
    }
    System.out.println(fmt("front-under-attack rounds=%d p50_base=%.2f p50_attack=%.2f p99_base=%.2f p99_attack=%.2f "
      + "ratio_of_medians=%.2f median_ratio=%.2f ratios=%s (goal <= 1.2)", rounds, median(p50Base), median(p50Attack),
      median(p99Base), median(p99Attack), median(p99Attack) / median(p99Base), median(ratios), Arrays.toString(round2(ratios))));
    b.normal.close().await(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  /** One measured phase: every client sends every {@code periodMs} (0: back to back) until {@code requests} are sent. */
  private Phase measure(int requests, long periodMs) throws Exception {
    Phase phase = new Phase(requests);
    AtomicInteger sent = new AtomicInteger();
    Promise<Void> done = Promise.promise();
    long start = System.nanoTime();
    AtomicInteger running = new AtomicInteger(clients.size());
    for (int i = 0; i < clients.size(); i++) {
      HttpClient client = clients.get(i);
      long offset = periodMs * 1_000_000L * i / clients.size();
      normal.runOnContext(v -> loop(client, phase, sent, requests, start + offset, periodMs, start, running, done));
    }
    done.future().await(PHASE_LIMIT_MS + 30_000, TimeUnit.MILLISECONDS);
    return phase;
  }

  private void loop(HttpClient client, Phase phase, AtomicInteger sent, int requests, long due, long periodMs,
      long start, AtomicInteger running, Promise<Void> done) {
    long now = System.nanoTime();
    if (sent.get() >= requests || now - start > PHASE_LIMIT_MS * 1_000_000L) {
      if (running.decrementAndGet() == 0) {
        done.tryComplete();
      }
      return;
    }
    long waitMs = (due - now) / 1_000_000L;
    if (waitMs >= 1) {
      normal.setTimer(waitMs, t -> loop(client, phase, sent, requests, due, periodMs, start, running, done));
      return;
    }
    sent.incrementAndGet();
    long t0 = System.nanoTime();
    client.request(HttpMethod.POST, "/fetch")
      .compose(req -> req.putHeader("content-type", "application/json").send(body))
      .compose(resp -> resp.body().map(b -> resp.statusCode()))
      .onComplete(ar -> {
        long t1 = System.nanoTime();
        if (ar.succeeded() && ar.result() == 200) {
          phase.record(t1 - t0);
        } else {
          phase.fail(ar.succeeded() ? "status " + ar.result() : String.valueOf(ar.cause()));
        }
        long next = periodMs == 0 ? t1 : Math.max(due + periodMs * 1_000_000L, t1);
        loop(client, phase, sent, requests, next, periodMs, start, running, done);
      });
  }

  /** Whether new clients can connect: {@code n} fresh connections, one {@code GET /health} each, one after another. */
  private static String probeNewClients(int port, int n) throws Exception {
    Vertx v = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    HttpClient c = v.createHttpClient(new HttpClientOptions().setKeepAlive(false).setConnectTimeout(2_000)
      .setIdleTimeout(3).setIdleTimeoutUnit(TimeUnit.SECONDS), new PoolOptions().setHttp1MaxSize(1));
    int served = 0;
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try {
        int status = c.request(HttpMethod.GET, port, HOST, "/health")
          .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
          .await(5, TimeUnit.SECONDS);
        if (status == 200) {
          served++;
        } else {
          failures.add("status " + status);
        }
      } catch (Exception e) {
        failures.add(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
    }
    v.close().await(30, TimeUnit.SECONDS);
    return fmt("%d of %d served%s", served, n, failures.isEmpty() ? "" : ", failures e.g. " + failures.get(0));
  }

  /** Waits (bounded) until a new client is served again after the attack's connections were closed. */
  private void waitFree() throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (System.nanoTime() < until) {
      if (probeNewClients(port, 1).startsWith("1 of 1")) {
        normal.timer(500).await(); // let the front finish closing the rest
        return;
      }
      normal.timer(100).await();
    }
    System.out.println("# WARNING: new clients still refused 20 s after the attack ended");
  }

  /** The attacker's connections: slowloris first, then the idle ones, on a Vert.x instance of their own. */
  private static final class Attack {
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    private final NetClient net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000));
    private final int port;
    private final int idle;
    private final int slow;
    private final List<Conn> idleConns = new ArrayList<>();
    private final List<Conn> slowConns = new ArrayList<>();
    private static final String HEAD = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    private long ticker = -1;
    private long setUpAt;
    private long firstBytesAt;

    Attack(int port, int idle, int slow) {
      this.port = port;
      this.idle = idle;
      this.slow = slow;
    }

    void open() throws Exception {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < slow; i++) {
        Conn c = new Conn();
        slowConns.add(c);
        all.add(c.connect(net, port));
      }
      Future.join(all).otherwiseEmpty().await(30, TimeUnit.SECONDS);
      // 1 byte per second on every slowloris connection; a request head that never ends
      ticker = vertx.setPeriodic(0, 1_000, t -> {
        long now = System.nanoTime();
        for (Conn c : slowConns) {
          if (c.socket != null && c.closedAt == 0) {
            int k = c.bytesSent;
            char ch = k < HEAD.length() ? HEAD.charAt(k) : 'a';
            if (k == 0) {
              c.firstByteAt = now;
              if (firstBytesAt == 0) {
                firstBytesAt = now;
              }
            }
            c.bytesSent++;
            c.socket.write(String.valueOf(ch));
          }
        }
      });
      all.clear();
      for (int i = 0; i < idle; i += 250) {
        for (int j = i; j < Math.min(idle, i + 250); j++) {
          Conn c = new Conn();
          idleConns.add(c);
          all.add(c.connect(net, port));
        }
        vertx.timer(25).await();
      }
      Future.join(all).otherwiseEmpty().await(30, TimeUnit.SECONDS);
      vertx.timer(1_000).await(); // the front closes a refused connection as soon as it accepts it
      setUpAt = System.nanoTime();
    }

    /** Waits (bounded) until the slowloris connections' head deadline (10 s by default) has surely passed. */
    void slowlorisDeadlinePassed(long headTimeoutMs) throws Exception {
      long until = firstBytesAt + (headTimeoutMs + 3_000) * 1_000_000L;
      long left = (until - System.nanoTime()) / 1_000_000L;
      if (left > 0) {
        vertx.timer(left).await();
      }
    }

    String connections() {
      return fmt("idle: %s; slowloris: %s", count(idleConns), count(slowConns));
    }

    private String count(List<Conn> conns) {
      int failed = 0;
      int refused = 0;
      int closedLater = 0;
      int open = 0;
      for (Conn c : conns) {
        if (c.failed != null) {
          failed++;
        } else if (c.closedAt == 0) {
          open++;
        } else if (c.closedAt - setUpAt < 0) {
          refused++;
        } else {
          closedLater++;
        }
      }
      return fmt("%d tried, %d held open, %d closed by the front during set-up, %d closed after it, %d connects failed",
        conns.size(), open, refused, closedLater, failed);
    }

    /** When the front closed the slowloris connections that it had accepted, from their first byte. */
    String slowloris() {
      List<Double> delays = new ArrayList<>();
      int bytes = 0;
      for (Conn c : slowConns) {
        if (c.firstByteAt != 0 && c.closedAt != 0) {
          delays.add((c.closedAt - c.firstByteAt) / 1e6);
          bytes = Math.max(bytes, c.bytesSent);
        }
      }
      if (delays.isEmpty()) {
        return "none accepted and closed later";
      }
      double[] d = delays.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      int open = (int) slowConns.stream().filter(c -> c.socket != null && c.closedAt == 0).count();
      return fmt("%d closed %.0f–%.0f ms after their first byte (median %.0f ms; at most %d bytes sent), %d still open",
        d.length, d[0], d[d.length - 1], median(d), bytes, open);
    }

    void close() throws Exception {
      if (ticker >= 0) {
        vertx.cancelTimer(ticker);
      }
      vertx.close().await(60, TimeUnit.SECONDS);
    }
  }

  private static final class Conn {
    NetSocket socket;
    long connectedAt;
    volatile long closedAt;
    long firstByteAt;
    int bytesSent;
    String failed;

    Future<?> connect(NetClient net, int port) {
      return net.connect(port, HOST).onSuccess(s -> {
        socket = s;
        connectedAt = System.nanoTime();
        s.handler(b -> { });
        s.exceptionHandler(t -> { });
        s.closeHandler(v -> closedAt = System.nanoTime());
      }).onFailure(t -> failed = String.valueOf(t));
    }
  }

  /** Latencies of one phase. */
  private static final class Phase {
    private final long[] nanos;
    private int ok;
    private int failed;
    private String firstFailure;

    Phase(int capacity) {
      nanos = new long[capacity];
    }

    void record(long n) {
      if (ok < nanos.length) {
        nanos[ok] = n;
      }
      ok++;
    }

    void fail(String why) {
      if (failed++ == 0) {
        firstFailure = why;
      }
    }

    double p(double pct) {
      int n = Math.min(ok, nanos.length);
      if (n == 0) {
        return Double.NaN;
      }
      long[] s = Arrays.copyOf(nanos, n);
      Arrays.sort(s);
      int idx = (int) Math.min(n - 1, Math.ceil(pct / 100.0 * n) - 1);
      return s[Math.max(0, idx)] / 1e6;
    }

    @Override
    public String toString() {
      return fmt("%d ok, %d failed%s; p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms", ok, failed,
        failed == 0 ? "" : " (first: " + firstFailure + ")", p(50), p(90), p(99), p(100));
    }
  }

  private static double median(double[] values) {
    double[] s = values.clone();
    Arrays.sort(s);
    int n = s.length;
    return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  private static double[] round2(double[] values) {
    double[] r = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      r[i] = Math.round(values[i] * 100) / 100.0;
    }
    return r;
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
