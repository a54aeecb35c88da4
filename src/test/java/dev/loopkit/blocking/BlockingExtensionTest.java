package dev.loopkit.blocking;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The JUnit extension as users write tests with it: fixture test classes (below, run only through the
 * JUnit Platform launcher by this test) next to {@code VertxExtension}, and what JUnit reports for them.
 */
@DisplayName("BlockingExtension")
class BlockingExtensionTest {

  static final String FIXTURES = "loopkit.blocking.fixtures";

  /** Runs {@code fixture} and returns display name → result (failure message, or "passed"). */
  static Map<String, String> run(Class<?> fixture) {
    Map<String, String> results = new ConcurrentHashMap<>();
    System.setProperty(FIXTURES, "true");
    try {
      LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture)).build();
      Launcher launcher = LauncherFactory.create();
      launcher.execute(request, new TestExecutionListener() {
        final Map<String, Long> started = new ConcurrentHashMap<>();

        @Override
        public void executionStarted(TestIdentifier id) {
          started.put(id.getUniqueId(), System.nanoTime());
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
          System.out.println("fixture " + id.getDisplayName() + " took " + (System.nanoTime() - started.getOrDefault(id.getUniqueId(), 0L)) / 1_000_000 + " ms");
          if (id.isTest() || result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
            results.put(id.getDisplayName(), result.getStatus() == TestExecutionResult.Status.SUCCESSFUL ? "passed"
              : result.getThrowable().map(t -> t.getClass().getSimpleName() + ": " + t.getMessage()).orElse("failed"));
          }
        }
      });
    } finally {
      System.clearProperty(FIXTURES);
    }
    return results;
  }

  static void sleepyHandler(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @EnabledIfSystemProperty(named = FIXTURES, matches = "true")
  @ExtendWith(VertxExtension.class)
  @CheckBlocking(thresholdMs = 100, strict = false)
  static class WatchdogFixture {

    @BeforeEach
    void deploy(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().consumer("fixture.slow", m -> {
        sleepyHandler(300);
        m.reply("ok");
      });
      vertx.eventBus().consumer("fixture.fast", m -> vertx.setTimer(5, t -> m.reply("ok")));
      vertx.eventBus().consumer("fixture.deadlock", m -> {
        try {
          vertx.timer(10).toCompletionStage().toCompletableFuture().get();
        } catch (Exception e) {
          m.reply("interrupted");
        }
      });
      tc.completeNow();
    }

    @Test
    void blocks(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("fixture.slow", null).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void clean(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("fixture.fast", null).onComplete(tc.succeedingThenComplete());
    }

    @Test
    @AllowBlocking("fixture: a known legacy call")
    void allowed(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("fixture.slow", null).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void deadlocks(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("fixture.deadlock", null).onComplete(tc.succeedingThenComplete());
    }
  }

  @Test
  @DisplayName("fails the test that blocked, naming the culprit; passes clean and allowed tests; a self-deadlock fails fast and does not hang")
  void watchdog_fixture() {
    long t0 = System.nanoTime();
    Map<String, String> results = run(WatchdogFixture.class);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(results.get("blocks(Vertx, VertxTestContext)"))
      .contains("AssertionError: the test blocked an event loop (1 finding):")
      .contains("BlockingExtensionTest.sleepyHandler(BlockingExtensionTest.java:")
      .contains("[sleep]")
      .contains("while handling 'fixture.slow'")
      .contains("@AllowBlocking");
    assertThat(results.get("clean(Vertx, VertxTestContext)")).isEqualTo("passed");
    assertThat(results.get("allowed(Vertx, VertxTestContext)")).isEqualTo("passed");
    assertThat(results.get("deadlocks(Vertx, VertxTestContext)"))
      .contains("the test blocked an event loop")
      .contains("deadlock")
      .contains("[park]");
    assertThat(ms).as("the fixture class ran without hanging").isLessThan(25_000);
  }

  @EnabledIfSystemProperty(named = FIXTURES, matches = "true")
  @ExtendWith(VertxExtension.class)
  @CheckBlocking(thresholdMs = 100, strict = true)
  static class StrictFixture {

    @Test
    void short_sleep(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().consumer("strict.nap", m -> {
        sleepyHandler(2);
        m.reply("ok");
      });
      vertx.eventBus().request("strict.nap", null).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void clean(Vertx vertx, VertxTestContext tc) {
      vertx.setTimer(5, t -> tc.completeNow());
    }
  }

  @Test
  @DisplayName("strict mode fails a test for a 2 ms Thread.sleep on an event loop, with the call site")
  void strict_fixture() {
    Map<String, String> results = run(StrictFixture.class);
    assertThat(results.get("short_sleep(Vertx, VertxTestContext)"))
      .contains("AssertionError: the test blocked an event loop")
      .contains("blocking call on event loop")
      .contains("BlockingExtensionTest.sleepyHandler(BlockingExtensionTest.java:")
      .contains("[sleep, jdk.ThreadSleep]");
    assertThat(results.get("clean(Vertx, VertxTestContext)")).isEqualTo("passed");
  }

  @EnabledIfSystemProperty(named = FIXTURES, matches = "true")
  @ExtendWith(VertxExtension.class)
  @CheckBlocking(thresholdMs = 100, strict = false)
  static class OwnVertxFixture {

    /** Built by the test itself (e.g. with metrics options), kept in a field: watched too. */
    Vertx own;

    @BeforeEach
    void build() {
      own = Vertx.vertx();
    }

    @org.junit.jupiter.api.AfterEach
    void close() throws Exception {
      own.close().toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    }

    @Test
    void field(VertxTestContext tc) {
      own.eventBus().consumer("own.slow", m -> {
        sleepyHandler(300);
        m.reply("ok");
      });
      own.eventBus().request("own.slow", null).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void local(VertxTestContext tc) {
      Vertx mine = BlockingExtension.watch(Vertx.vertx());
      mine.eventBus().consumer("mine.slow", m -> {
        sleepyHandler(300);
        m.reply("ok");
      });
      mine.eventBus().request("mine.slow", null).onComplete(ar -> mine.close().onComplete(tc.succeedingThenComplete()));
    }
  }

  @Test
  @DisplayName("a Vert.x the test builds itself is watched (a field, or BlockingExtension.watch), and the failure says which")
  void own_vertx_fixture() {
    Map<String, String> results = run(OwnVertxFixture.class);
    assertThat(results.get("field(VertxTestContext)"))
      .contains("the test blocked an event loop (1 finding)")
      .contains("while handling 'own.slow'")
      .contains("[on Vert.x #1 (the Vert.x instance in field OwnVertxFixture.own)]");
    assertThat(results.get("local(VertxTestContext)"))
      .contains("the test blocked an event loop (1 finding)")
      .contains("while handling 'mine.slow'")
      .contains("the Vert.x instance passed to BlockingExtension.watch in local(VertxTestContext)");
  }
}
