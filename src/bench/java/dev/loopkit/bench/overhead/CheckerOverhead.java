package dev.loopkit.bench.overhead;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

import java.io.File;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The blocking checker's cost on an HTTP server: checker off (A) vs on (B), by {@link PairedRounds}.
 *
 * <p><b>Why one JVM, one server, the checker switched between rounds.</b> Both variants must differ in the
 * checker and in nothing else. Two server JVMs (the earlier "alternating" and "paired" methods) differ in
 * more: each JVM compiles the request path its own way (inlining, code layout) and that difference is
 * fixed for the JVM's life, so many rounds against the same two JVMs do not average it out — only many
 * JVMs would; and two servers loaded at once share the cores by the scheduler's whim, so their ratio
 * measures scheduling as much as cost. Here one JVM serves both variants through one server (two verticle
 * instances, 127.0.0.1, port 0) on the same sockets: one wrk process loads it without pause for the whole
 * run (keep-alive connections stay open), and between rounds the checker is created (B: default options,
 * and {@link BlockingAttribution#requests} around the handler) or closed (A: bare handler), then given
 * {@code settleMs} before the round is measured. The handler chooses bare or wrapped through one volatile
 * read in both variants. Costs of switching (the checker's start-up, deoptimisation) fall in the settle
 * time; {@code B=off} gives an A/A control that shows the method's own bias and noise.
 *
 * <p>Requests are counted in the server (not by wrk), over exactly the window the CPU is measured in.
 * Needs {@code wrk} on the PATH; the load is bounded by wrk's {@code -d} and the JVM's own time limit.
 *
 * <p>Usage: {@code CheckerOverhead [pairs=40] [roundMs=1000] [B=on|checker-only|off] [wrkThreads=2]
 * [connections=64] [warmupPairs=4] [settleMs=300]}
 */
public final class CheckerOverhead {

  public static void main(String[] args) throws Exception {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 40;
    long roundMs = args.length > 1 ? Long.parseLong(args[1]) : 1_000;
    String modeB = args.length > 2 ? args[2] : "on";
    int wrkThreads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    int connections = args.length > 4 ? Integer.parseInt(args[4]) : 64;
    int warmupPairs = args.length > 5 ? Integer.parseInt(args[5]) : 4;
    long settleMs = args.length > 6 ? Long.parseLong(args[6]) : 300;
    if (!List.of("on", "checker-only", "off").contains(modeB)) {
      throw new IllegalArgumentException("B must be on, checker-only or off, got " + modeB);
    }
    Vertx vertx = Vertx.vertx();
    Process wrk = null;
    try {
      Server server = new Server(vertx, modeB);
      int port = server.start();
      long loadMs = PairedRounds.durationMs(pairs, warmupPairs, roundMs, settleMs) + 10_000;
      // 10 s of load before the first warm-up pair: the JIT compiles the request path (and wrk's connections open)
      long warmMs = 10_000;
      wrk = new ProcessBuilder("wrk", "-t" + wrkThreads, "-c" + connections, "-d" + ((warmMs + loadMs) / 1000 + 1) + "s",
        "--timeout", "5s", "http://127.0.0.1:" + port + "/")
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(new File("/dev/stderr")).start();
      System.out.printf(Locale.ROOT, "# checker overhead over HTTP: one JVM, one server (2 verticle instances, %d event loops), "
        + "wrk -t%d -c%d for the whole run; A = checker off, B = %s%n", io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, wrkThreads,
        connections, modeB);
      Thread.sleep(warmMs);
      if (!wrk.isAlive() || server.served() == 0) {
        throw new IllegalStateException("wrk did not load the server (exit " + (wrk.isAlive() ? "-" : wrk.exitValue()) + ")");
      }
      PairedRounds rounds = new PairedRounds(server, "off", modeB, pairs, warmupPairs, roundMs, settleMs);
      rounds.run();
      server.use(false);
      rounds.summarize(modeB.equals("off") ? "control" : "checker", 0.98, 0.97);
    } finally {
      if (wrk != null) {
        wrk.destroy();
        wrk.waitFor(10, TimeUnit.SECONDS);
      }
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  /** The server and the switch. */
  static final class Server implements PairedRounds.Subject {
    private static final String BODY =
      "{\"id\":7,\"name\":\"item-7\",\"price_cents\":1999,\"tags\":[\"alpha\",\"beta\"],\"in_stock\":true,\"v\":1}\n";

    private final Vertx vertx;
    private final String modeB;
    private final LongAdder served = new LongAdder();
    private final Handler<HttpServerRequest> bare =
      req -> req.response().putHeader("content-type", "application/json").end(BODY);
    private final Handler<HttpServerRequest> wrapped = BlockingAttribution.requests(bare);
    private volatile boolean wrap;
    private BlockingChecker checker;
    private int port;

    Server(Vertx vertx, String modeB) {
      this.vertx = vertx;
      this.modeB = modeB;
    }

    int start() throws Exception {
      Handler<HttpServerRequest> dispatch = req -> {
        served.increment();
        (wrap ? wrapped : bare).handle(req);
      };
      // two instances share one port (Vert.x balances connections between them); Vert.x shares a server
      // only on an explicit port, so take a free one from the OS first
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      int listenPort = port;
      vertx.deployVerticle(() -> new VerticleBase() {
        @Override
        public Future<?> start() {
          return vertx.createHttpServer(new HttpServerOptions().setAcceptBacklog(4096)).requestHandler(dispatch)
            .listen(listenPort, "127.0.0.1");
        }
      }, new DeploymentOptions().setInstances(2)).await(10, TimeUnit.SECONDS);
      return port;
    }

    @Override
    public void use(boolean b) throws Exception {
      boolean on = b && !modeB.equals("off");
      if (on && checker == null) {
        checker = BlockingChecker.create(vertx, new BlockingCheckerOptions());
        checker.ready().await(10, TimeUnit.SECONDS);
      } else if (!on && checker != null) {
        checker.close().await(10, TimeUnit.SECONDS);
        checker = null;
      }
      wrap = on && modeB.equals("on");
    }

    @Override
    public long served() {
      return served.sum();
    }
  }
}
