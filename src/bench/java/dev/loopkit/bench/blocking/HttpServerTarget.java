package dev.loopkit.bench.blocking;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;

import java.util.concurrent.TimeUnit;

/**
 * The HTTP server the loopback load hits (bench/blocking.sh runs wrk against it): a 100-byte JSON reply
 * on 127.0.0.1, checker {@code on} (default options and {@link BlockingAttribution#requests} around the
 * handler) or {@code off}. Prints {@code READY <port>} and stops after {@code maxSeconds}.
 *
 * <p>Usage: {@code HttpServerTarget on|off|checker-only [port=0] [maxSeconds=120]} ({@code checker-only}: the
 * checker runs but the handler is not wrapped for route attribution)
 */
public final class HttpServerTarget {

  public static void main(String[] args) throws Exception {
    boolean on = args.length > 0 && (args[0].equals("on") || args[0].equals("checker-only"));
    boolean wrap = args.length > 0 && args[0].equals("on");
    int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
    int maxSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 120;
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = null;
    if (on) {
      BlockingCheckerOptions options = new BlockingCheckerOptions();
      Integer heartbeatMs = Integer.getInteger("heartbeatMs");   // -DheartbeatMs=N: the heartbeat's cost under load
      if (heartbeatMs != null) {
        options.setHeartbeatMs(heartbeatMs);
      }
      checker = BlockingChecker.create(vertx, options);
      checker.ready().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
    String body = "{\"id\":7,\"name\":\"item-7\",\"price_cents\":1999,\"tags\":[\"alpha\",\"beta\"],\"in_stock\":true,\"v\":1}\n";
    if (port == 0) {
      try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
    }
    int listenPort = port;
    vertx.deployVerticle(() -> new io.vertx.core.VerticleBase() {
      @Override
      public io.vertx.core.Future<?> start() {
        io.vertx.core.Handler<io.vertx.core.http.HttpServerRequest> handler =
          req -> req.response().putHeader("content-type", "application/json").end(body);
        return vertx.createHttpServer(new HttpServerOptions().setAcceptBacklog(4096))
          .requestHandler(wrap ? BlockingAttribution.requests(handler) : handler)
          .listen(listenPort, "127.0.0.1");
      }
    }, new io.vertx.core.DeploymentOptions().setInstances(2)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.out.println("READY " + listenPort);
    System.out.flush();
    BlockingChecker watching = checker;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      if (watching != null) {
        System.out.println("checker totals: " + watching.report().getJsonObject("totals").encode());
        System.out.flush();
      }
    }));
    Thread.sleep(maxSeconds * 1000L);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    System.exit(0);
  }
}
