package dev.loopkit.blocking.child;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@code JvmPauseTest}: Vert.x with the checker (threshold 100 ms), an HTTP server and a
 * client looping requests, and periodic timers on every loop — so that a SIGSTOP finds loops both idle and
 * mid-task. Prints every record as {@code RECORD <json>}, {@code READY} when traffic flows; on the stdin
 * line {@code drain}, prints {@code REPORT <json>}. Exits when stdin closes.
 */
public final class PausedJvmMain {

  private PausedJvmMain() {
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100).setRecentIncidents(0));
    checker.onIncident(i -> System.out.println("RECORD " + i.toJson().copy().put("stack", (Object) null).encode()));
    checker.ready().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    HttpServer server = vertx.createHttpServer().requestHandler(req -> req.response().end("ok"))
      .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    HttpClient client = vertx.createHttpClient();
    int port = server.actualPort();
    // every loop is mid-task most of the time (10 ms of work every 35 ms), so that
    // the stop is likely to catch tasks running and no loop idle
    for (int i = 0; i < 4; i++) {
      vertx.getOrCreateContext().runOnContext(v -> vertx.setPeriodic(35, t -> work(10)));
    }
    loop(client, port);
    // a few requests done: the loops are warm
    vertx.timer(500).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.out.println("READY");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      if (line.equals("drain")) {
        checker.drain().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        System.out.println("REPORT " + checker.report().encode());
      }
    }
    System.exit(0);
  }

  private static void work(long ms) {
    long end = System.nanoTime() + ms * 1_000_000L;
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }

  private static void loop(HttpClient client, int port) {
    client.request(HttpMethod.GET, port, "127.0.0.1", "/")
      .compose(req -> req.send())
      .compose(resp -> resp.body())
      .onComplete(ar -> loop(client, port));
  }
}
