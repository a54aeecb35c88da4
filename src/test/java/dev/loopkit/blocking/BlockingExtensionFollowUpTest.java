package dev.loopkit.blocking;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stall whose ongoing record names no application frame (it began in framework or JVM code) is looked
 * at again while it lasts: when the test's own code shows up on the blocked loop (here a latch that never
 * opens), the test fails at once naming it, instead of at the test's timeout.
 */
@DisplayName("BlockingExtension: a stall that began in framework code is looked at again")
class BlockingExtensionFollowUpTest {

  /** Outside the class it releases: touching that class would wait for its initialisation. */
  private static final CountDownLatch INITIALISER_RELEASE = new CountDownLatch(1);
  private final CountDownLatch release = new CountDownLatch(1);
  private Vertx vertx;
  private BlockingChecker checker;
  private TestWatch.Watch watch;

  @AfterEach
  void close() throws Exception {
    release.countDown();
    INITIALISER_RELEASE.countDown();
    if (checker != null) {
      checker.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_framework_only_ongoing_record_is_followed_until_the_tests_code_shows_up() throws Exception {
    TestWatch.Window window = watching();
    VertxTestContext tc = window.testContext;
    String thread = blockLoop(this::waitForever);

    // what the checker publishes when its samples up to the threshold saw framework frames only
    watch.onRecord(new BlockingIncident(new JsonObject()
      .put("id", "blk-framework-first")
      .put("thread", thread)
      .put("durationMs", 143)
      .put("thresholdMs", 100)
      .put("ongoing", true)
      .put("kind", "cpu")
      .put("startedAt", window.openedAt.toString())));

    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).as("the test failed before its timeout").isTrue();
    assertThat(tc.failed()).isTrue();
    assertThat(tc.causeOfFailure())
      .hasMessageContaining("the test blocked an event loop (1 finding)")
      .hasMessageContaining("BlockingExtensionFollowUpTest.waitForever(BlockingExtensionFollowUpTest.java:")
      .hasMessageContaining("[park]");
    assertThat(window.findings()).extracting(BlockingIncident::id).containsExactly("blk-framework-first");
  }

  @Test
  @DisplayName("a stall first seen inside a library (a first use) is followed too: the test's own park fails it fast")
  void a_stall_first_seen_in_a_library_is_followed() throws Exception {
    TestWatch.Window window = watching();
    String thread = blockLoop(this::waitForever);
    // what the checker publishes when its first samples saw the loop inside Vert.x, on a library's first use
    // (the full suite on a loaded machine: this used to leave a self-deadlocked test to its 30 s timeout)
    watch.onRecord(new BlockingIncident(ongoing("blk-library-first", thread, window)
      .put("inLibrary", true).put("warmUp", true).put("firstUse", true)));

    VertxTestContext tc = window.testContext;
    assertThat(tc.awaitCompletion(10, TimeUnit.SECONDS)).as("the test failed before its timeout").isTrue();
    assertThat(tc.causeOfFailure())
      .hasMessageContaining("the test blocked an event loop (1 finding)")
      .hasMessageContaining("BlockingExtensionFollowUpTest.waitForever(BlockingExtensionFollowUpTest.java:")
      .hasMessageContaining("[park]");
    assertThat(TestWatch.excused(window.findings().get(0), window)).as("the later look's record is not excused").isNull();
  }

  @Test
  @DisplayName("a park that lasts seconds fails the test even inside a class initialiser (warm-up excuses short stalls only)")
  void a_long_park_is_not_warm_up() throws Exception {
    TestWatch.Window window = watching();
    String thread = blockLoop(ParksInItsInitialiser::touch);
    watch.onRecord(new BlockingIncident(ongoing("blk-clinit", thread, window).put("warmUp", true)));

    VertxTestContext tc = window.testContext;
    assertThat(tc.awaitCompletion(TestWatch.LONG_WAIT_MS + 10_000, TimeUnit.MILLISECONDS)).as("the test failed before its timeout").isTrue();
    assertThat(tc.causeOfFailure())
      .hasMessageContaining("ParksInItsInitialiser.<clinit>(BlockingExtensionFollowUpTest.java:")
      .hasMessageContaining("[park]");
    assertThat(window.findings().get(window.findings().size() - 1).durationMs()).as("only after the long wait")
      .isGreaterThanOrEqualTo(TestWatch.LONG_WAIT_MS);
  }

  /** A checker and a watch on a new Vert.x, with a window open for one test. */
  private TestWatch.Window watching() throws Exception {
    vertx = Vertx.vertx();
    BlockingCheckerOptions options = new BlockingCheckerOptions().setThresholdMs(100).setStrict(false).setRecentIncidents(0);
    checker = BlockingChecker.create(vertx, options);
    checker.ready().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    TestWatch.Watch watch = new TestWatch.Watch(vertx, checker, options, null);
    TestWatch.Window window = new TestWatch.Window("fixture", null);
    window.testContext = new VertxTestContext();
    this.watch = watch;
    watch.current = window;
    return window;
  }

  /** Blocks an event loop of {@code vertx} with {@code block}; returns the loop thread's name. */
  private String blockLoop(Runnable block) throws Exception {
    CompletableFuture<String> loop = new CompletableFuture<>();
    vertx.getOrCreateContext().runOnContext((Void v) -> {
      loop.complete(Thread.currentThread().getName());
      block.run();
    });
    return loop.get(10, TimeUnit.SECONDS);
  }

  private static JsonObject ongoing(String id, String thread, TestWatch.Window window) {
    return new JsonObject()
      .put("id", id)
      .put("thread", thread)
      .put("durationMs", 120)
      .put("thresholdMs", 100)
      .put("ongoing", true)
      .put("kind", "cpu")
      .put("culprit", new JsonObject().put("class", BlockingExtensionFollowUpTest.class.getName()).put("method", "blockLoop")
        .put("file", "BlockingExtensionFollowUpTest.java").put("line", 1))
      .put("startedAt", window.openedAt.toString());
  }

  /** Its static initialiser parks the loop until the test ends: class initialisation that never finishes. */
  static final class ParksInItsInitialiser {
    static {
      try {
        INITIALISER_RELEASE.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    static void touch() {
    }
  }

  private void waitForever() {
    try {
      release.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void the_verdict_is_taken_on_the_final_record_when_the_stall_ends_soon() throws Exception {
    TestWatch.Window window = watching();
    VertxTestContext tc = window.testContext;
    JsonObject ongoing = new JsonObject()
      .put("id", "blk-first-request")
      .put("thread", "vert.x-eventloop-thread-0")
      .put("durationMs", 104)
      .put("thresholdMs", 100)
      .put("ongoing", true)
      .put("kind", "cpu")
      .put("culprit", new JsonObject().put("class", "com.acme.Api").put("method", "lambda$start$0").put("file", "Api.java").put("line", 12))
      .put("startedAt", window.openedAt.toString());
    // at the threshold the first request's class initialisation was not on the stack yet...
    watch.onRecord(new BlockingIncident(ongoing));
    // ...the final record, a moment later, shows it: JVM warm-up, which never fails a test (issue 10: strict=false
    // runs failed on warm-up because the verdict was taken on the ongoing record)
    watch.onRecord(new BlockingIncident(ongoing.copy().put("ongoing", false).put("durationMs", 180).put("warmUp", true)
      .put("classLoading", true)));
    assertThat(tc.awaitCompletion(500, TimeUnit.MILLISECONDS)).as("the test was not failed").isFalse();
    assertThat(TestWatch.excused(window.findings().get(0), window)).startsWith("JVM warm-up");
    tc.completeNow();
  }
}
