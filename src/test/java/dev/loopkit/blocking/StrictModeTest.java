package dev.loopkit.blocking;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 2, strict mode: a strict finding is a call that blocks by nature, however short (here a 1 ms
 * sleep), never Netty's non-blocking socket writes and reads, console output, a class being initialised by
 * another thread on its first use, or the file reads of a {@code <clinit>}.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("strict mode reports calls that block by nature, not the platform's own I/O or warm-up")
class StrictModeTest {

  private BlockingChecker checker;
  private final Recorded recorded = new Recorded();

  @AfterEach
  void close() throws Exception {
    if (checker != null) {
      get(checker.close());
    }
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Initialised on a loop by its first use, slowly: another loop using it meanwhile waits for HotSpot's init lock. */
  static final class SlowInit {
    static final String VALUE;

    static {
      try {
        // a <clinit> that reads a file and takes a while, as class initialisers reading resources do
        java.nio.file.Files.readAllBytes(java.nio.file.Path.of(System.getProperty("java.home"), "release"));
        Thread.sleep(40);
      } catch (Exception e) {
        throw new ExceptionInInitializerError(e);
      }
      VALUE = "ready";
    }

    private SlowInit() {
    }
  }

  static void napOneMs() {
    try {
      Thread.sleep(1);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void only_genuinely_blocking_calls_are_findings(Vertx vertx) throws Exception {
    checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100).setStrict(true));
    checker.onIncident(recorded);
    get(checker.ready());

    // Netty's non-blocking socket writes and reads on the loops, and console output from the handler
    HttpServer server = get(vertx.createHttpServer().requestHandler(req -> {
      System.out.println("request " + req.uri());
      req.response().end("x".repeat(2048));
    }).listen(0, "127.0.0.1"));
    HttpClient client = vertx.createHttpClient();
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      calls.add(client.request(HttpMethod.GET, server.actualPort(), "127.0.0.1", "/" + i).compose(r -> r.send()).compose(r -> r.body()));
    }
    get(Future.all(calls));

    // two loops use SlowInit for the first time at once: one runs its <clinit>, the other waits for it
    List<Future<?>> inits = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
      vertx.getOrCreateContext().runOnContext(v -> {
        System.out.println(SlowInit.VALUE);
        p.complete();
      });
      inits.add(p.future());
    }
    get(Future.all(inits));

    // and one call that blocks by nature, however short
    get(vertx.executeBlocking(() -> "off the loop: not a finding").compose(s -> {
      io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
      vertx.runOnContext(v -> {
        napOneMs();
        p.complete();
      });
      return p.future();
    }));
    get(checker.drain());

    List<BlockingIncident> strict = recorded.matching(BlockingIncident::isStrict);
    assertThat(strict).as("strict findings").singleElement().satisfies(i -> {
      assertThat(i.culprit().method()).isEqualTo("napOneMs");
      assertThat(i.kind()).isEqualTo(BlockingKind.SLEEP);
      assertThat(i.toJson().getString("event")).isEqualTo("jdk.ThreadSleep");
    });
    JsonObject totals = checker.report().getJsonObject("totals");
    assertThat(totals.getLong("strictFindings")).isEqualTo(1);
    assertThat(totals.getLong("strictIgnored")).as("JFR events seen and set aside").isPositive();
  }
}
