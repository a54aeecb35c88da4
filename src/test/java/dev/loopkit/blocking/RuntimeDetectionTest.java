package dev.loopkit.blocking;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The watchdog on real event loops: reported while still blocked, the frame that started the stall,
 * phases, near misses and lag for short stalls, attribution for timers and workers, allowed blocks,
 * contained listener failures, GC pauses, a debugger-suspended thread, and Vert.x's own log replaced.
 * The test thread waits on futures only; event loops block only inside the code under test.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("runtime detection")
class RuntimeDetectionTest {

  private BlockingChecker checker;
  private final Recorded recorded = new Recorded();

  private BlockingChecker start(Vertx vertx, BlockingCheckerOptions options) throws Exception {
    checker = BlockingChecker.create(vertx, options);
    checker.onIncident(recorded);
    get(checker.ready());
    return checker;
  }

  @AfterEach
  void close() throws Exception {
    if (checker != null) {
      get(checker.close());
    }
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** Treated as framework code ({@code frameworkPackages}), so the culprit is the method that naps. */
  static final class Nap {
    static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static BlockingCheckerOptions options(long thresholdMs) {
    return new BlockingCheckerOptions().setThresholdMs(thresholdMs).setFrameworkPackages(List.of(Nap.class.getName()));
  }

  /** A verticle whose consumers and timers block on purpose. */
  /** The line of {@code Nap.sleep(400)} in Blocker's {@code blocker.timer} handler (marked there). */
  static final int NAP_IN_TIMER_LINE = markedLine("// NAP_IN_TIMER_LINE");

  /** @return the 1-based line of this source file that ends with {@code marker} */
  private static int markedLine(String marker) {
    try {
      List<String> lines = java.nio.file.Files.readAllLines(
        java.nio.file.Path.of("src/test/java/dev/loopkit/blocking/RuntimeDetectionTest.java"));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).endsWith(marker) && !lines.get(i).contains("\"")) {
          return i + 1;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no line ends with " + marker);
  }

  static class Blocker extends VerticleBase {
    static final AtomicBoolean RETURNED = new AtomicBoolean();

    @Override
    public Future<?> start() {
      vertx.eventBus().consumer("blocker.phases", m -> {
        sleepPhase(250);
        spinPhase(250);
        m.reply("ok");
      });
      vertx.eventBus().consumer("blocker.timer", m -> {
        vertx.setTimer(1, t -> {
          RETURNED.set(false);
          Nap.sleep(400); // NAP_IN_TIMER_LINE
          RETURNED.set(true);
        });
        m.reply("armed");
      });
      vertx.eventBus().consumer("blocker.short", m -> shortStalls(20, m::reply));
      vertx.eventBus().consumer("blocker.allowed", m -> {
        allowedByAnnotation();
        m.reply("ok");
      });
      vertx.eventBus().consumer("blocker.allowed-scope", m -> {
        BlockingAttribution.allow("known slow SDK, LOOP-1", () -> Nap.sleep(200));
        m.reply("ok");
      });
      return vertx.eventBus().consumer("blocker.sleep", m -> {
        Nap.sleep(m.body() == null ? 200 : ((Number) m.body()).longValue());
        m.reply("ok");
      }).completion();
    }

    static void sleepPhase(long ms) {
      Nap.sleep(ms);
    }

    static void spinPhase(long ms) {
      long end = System.nanoTime() + ms * 1_000_000;
      double x = 1;
      while (System.nanoTime() < end) {
        x += Math.sqrt(x);
      }
      if (x < 0) {
        throw new IllegalStateException();
      }
    }

    @AllowBlocking("warms a legacy cache at start, LOOP-2")
    static void allowedByAnnotation() {
      Nap.sleep(200);
    }

    /** {@code n} stalls of 60 ms, 20 ms apart, on this loop. */
    void shortStalls(int n, java.util.function.Consumer<Object> done) {
      if (n == 0) {
        done.accept("ok");
        return;
      }
      vertx.setTimer(20, t -> {
        shortStall();
        shortStalls(n - 1, done);
      });
    }

    static void shortStall() {
      Nap.sleep(60);
    }
  }

  @Test
  @DisplayName("a stall is reported while the loop is still blocked, then once more when it ends; timer attribution")
  void reported_while_still_blocked(Vertx vertx) throws Exception {
    start(vertx, options(100));
    String id = get(vertx.deployVerticle(new Blocker()));
    AtomicReference<Boolean> returnedAtReport = new AtomicReference<>();
    CompletableFuture<BlockingIncident> ongoing = recorded.first(i -> "timer".equals(i.source()) && i.ongoing());
    ongoing.thenAccept(i -> returnedAtReport.set(Blocker.RETURNED.get()));
    get(vertx.eventBus().request("blocker.timer", null));
    BlockingIncident live = Recorded.await(ongoing, 10_000, "ongoing");
    BlockingIncident done = Recorded.await(recorded.first(i -> live.id().equals(i.id()) && !i.ongoing()), 10_000, "final");

    assertThat(returnedAtReport.get()).as("the handler had not returned when the ongoing record came").isFalse();
    assertThat(live.durationMs()).isBetween(100L, 399L);
    assertThat(done.durationMs()).isGreaterThanOrEqualTo(350L);
    // the timer lambda in Blocker.start (javac 17 and 25 number lambdas differently: match the shape, then
    // use the exact name everywhere else)
    String timerLambda = done.culprit().method();
    assertThat(timerLambda).matches("lambda\\$start\\$\\d+");
    assertThat(done.culprit().line()).isEqualTo(NAP_IN_TIMER_LINE);
    assertThat(done.timer()).isEqualTo(Blocker.class.getName() + "." + timerLambda);
    assertThat(done.verticle()).isEqualTo(Blocker.class.getName());
    assertThat(done.deploymentId()).isEqualTo(id);
    assertThat(done.kind()).isEqualTo(BlockingKind.SLEEP);
    assertThat(done.summary()).contains("in timer handler " + Blocker.class.getName() + "." + timerLambda);
    get(checker.drain());
    assertThat(recorded.matching(i -> live.id().equals(i.id()))).hasSize(2);
    JsonObject report = checker.report();
    assertThat(report.getJsonObject("totals").getLong("incidents")).isEqualTo(1);
    assertThat(report.getJsonArray("topCulprits").getJsonObject(0).getString("frame")).contains(timerLambda);
    assertThat(report.getJsonArray("topCulprits").getJsonObject(0).getLong("maxMs")).isGreaterThanOrEqualTo(350L);
  }

  @Test
  @DisplayName("the culprit is the frame that started the stall; phases show the sleep, then the spin")
  void culprit_is_what_started_the_stall(Vertx vertx) throws Exception {
    start(vertx, options(100));
    get(vertx.deployVerticle(new Blocker()));
    get(vertx.eventBus().request("blocker.phases", null));
    BlockingIncident done = Recorded.await(recorded.first(i -> "blocker.phases".equals(i.address()) && !i.ongoing()), 10_000, "final");
    assertThat(done.culprit().method()).isEqualTo("sleepPhase");
    assertThat(done.kind()).isEqualTo(BlockingKind.SLEEP);
    assertThat(done.phases()).hasSizeGreaterThanOrEqualTo(2);
    JsonObject last = done.phases().getJsonObject(done.phases().size() - 1);
    assertThat(last.getJsonObject("culprit").getString("method")).isEqualTo("spinPhase");
    assertThat(last.getString("kind")).isEqualTo("cpu");
    assertThat(last.getLong("fromMs")).isBetween(150L, 400L);
    assertThat(done.summary()).contains("sleepPhase").contains("then cpu in").contains("spinPhase");
  }

  @Test
  @DisplayName("20 stalls of 60 ms below a 100 ms threshold: no incident, but visible in lag and near misses")
  void short_stalls_stay_visible(Vertx vertx) throws Exception {
    start(vertx, options(100));
    get(vertx.deployVerticle(new Blocker()));
    get(vertx.eventBus().request("blocker.short", null));
    get(checker.drain());
    assertThat(recorded.matching(i -> i.culprit() != null && i.culprit().method().equals("shortStall"))).isEmpty();
    JsonObject report = checker.report();
    JsonObject loop = report.getJsonArray("loops").stream().map(JsonObject.class::cast)
      .filter(l -> l.getLong("nearMisses") > 0).findFirst().orElseThrow(() -> new AssertionError("no near misses: " + report.encodePrettily()));
    assertThat(loop.getLong("nearMisses")).as(loop.encode()).isGreaterThanOrEqualTo(10);
    assertThat(loop.getJsonObject("lag").getDouble("maxMs")).as(loop.encode()).isGreaterThanOrEqualTo(40.0);
    assertThat(loop.getJsonObject("lag").getDouble("p99Ms")).as(loop.encode()).isGreaterThanOrEqualTo(20.0);
    assertThat(loop.getLong("longestStallMs")).isBetween(50L, 99L);
    assertThat(loop.getLong("incidents")).isZero();
    JsonObject top = report.getJsonArray("topNearMisses").getJsonObject(0);
    assertThat(top.getString("frame")).contains("shortStall");
    assertThat(top.getLong("count")).isGreaterThanOrEqualTo(10);
    JsonObject reset = checker.report(true);
    assertThat(reset.getJsonObject("totals").getLong("nearMisses")).isGreaterThanOrEqualTo(10);
    assertThat(checker.report().getJsonObject("totals").getLong("nearMisses")).isZero();
  }

  @Test
  @DisplayName("an allowed block (@AllowBlocking, BlockingAttribution.allow) is reported with its reason, logged at INFO")
  void allowed_blocks_carry_their_reason(Vertx vertx) throws Exception {
    start(vertx, options(100));
    get(vertx.deployVerticle(new Blocker()));
    get(vertx.eventBus().request("blocker.allowed", null));
    get(vertx.eventBus().request("blocker.allowed-scope", null));
    get(checker.drain());
    List<BlockingIncident> finals = recorded.matching(i -> i.address() != null && i.address().startsWith("blocker.allowed") && !i.ongoing());
    assertThat(finals).extracting(BlockingIncident::allowed)
      .containsExactly("warms a legacy cache at start, LOOP-2", "known slow SDK, LOOP-1");
    assertThat(finals.get(0).summary()).contains("(allowed: warms a legacy cache");
    assertThat(checker.report().getJsonObject("totals").getLong("allowed")).isEqualTo(2);
  }

  @Test
  @DisplayName("a listener that throws is contained: others still get every record, the checker keeps running")
  void listener_failures_are_contained(Vertx vertx) throws Exception {
    BlockingChecker c = start(vertx, options(50));
    AtomicInteger thrown = new AtomicInteger();
    AtomicInteger sleepRecords = new AtomicInteger();
    c.onIncident(i -> {
      thrown.incrementAndGet();
      if ("blocker.sleep".equals(i.address())) {
        sleepRecords.incrementAndGet();
      }
      throw new IllegalStateException("listener bug");
    });
    get(vertx.deployVerticle(new Blocker()));
    for (int n = 0; n < 2; n++) {
      get(vertx.eventBus().request("blocker.sleep", 120));
    }
    get(c.drain());
    assertThat(recorded.matching(i -> "blocker.sleep".equals(i.address()) && !i.ongoing())).hasSize(2);
    // every record reached the throwing listener too (2 incidents: ongoing + final each, or final only on a
    // starved machine; other records, e.g. a class-loading stall while deploying, may come too), and each
    // throw was counted
    assertThat(sleepRecords.get()).isBetween(2, 4);
    assertThat(c.report().getJsonObject("totals").getLong("sinkErrors")).isEqualTo(thrown.get());
  }

  @Test
  @DisplayName("a stop-the-world GC pause is labelled gc, never blamed on code")
  void gc_pauses_are_labelled_gc(Vertx vertx) throws Exception {
    start(vertx, options(1));
    CompletableFuture<BlockingIncident> gc = recorded.first(i -> i.kind() == BlockingKind.GC);
    Object[] garbage = new Object[200_000];
    for (int i = 0; i < garbage.length; i++) {
      garbage[i] = new int[16];
    }
    System.gc();
    BlockingIncident pause = Recorded.await(gc, 10_000, "gc pause");
    assertThat(pause.thread()).isEqualTo("*");
    assertThat(pause.culprit()).isNull();
    assertThat(pause.verticle()).isNull();
    assertThat(pause.ongoing()).isFalse();
    assertThat(pause.summary()).contains("stop-the-world GC pause").contains("not your code");
    assertThat(garbage[garbage.length - 1]).isNotNull();
  }

  /** A Vert.x worker verticle busy past the worker threshold. */
  static class SlowWorker extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer("worker.slow", m -> {
        Nap.sleep(400);
        m.reply("ok");
      }).completion();
    }
  }

  @Test
  @DisplayName("a worker busy past workerThresholdMs is reported as a worker incident")
  void slow_worker_is_reported(Vertx vertx) throws Exception {
    start(vertx, options(100).setWorkerThresholdMs(150));
    String id = get(vertx.deployVerticle(new SlowWorker(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    get(vertx.eventBus().request("worker.slow", null));
    BlockingIncident w = Recorded.await(recorded.first(i -> i.isWorker() && !i.ongoing()), 10_000, "worker incident");
    assertThat(w.thread()).startsWith("vert.x-worker-thread-");
    assertThat(w.culprit().className()).isEqualTo(SlowWorker.class.getName());
    assertThat(w.verticle()).isEqualTo(SlowWorker.class.getName());
    assertThat(w.deploymentId()).isEqualTo(id);
    assertThat(w.address()).isEqualTo("worker.slow");
    assertThat(w.summary()).startsWith("worker thread vert.x-worker-thread-");
    assertThat(recorded.matching(i -> !i.isWorker() && "worker.slow".equals(i.address()))).isEmpty();
  }

  @Test
  @EnabledForJreRange(max = JRE.JAVA_19)
  @SuppressWarnings("removal")
  @DisplayName("a loop suspended by a debugger is not reported (Thread.suspend stands in for JDWP, JDK < 20)")
  void debugger_suspended_loop_is_not_reported(Vertx vertx) throws Exception {
    start(vertx, options(100));
    CountDownLatch inHandler = new CountDownLatch(1);
    AtomicReference<Thread> loop = new AtomicReference<>();
    vertx.eventBus().consumer("debugged", m -> {
      loop.set(Thread.currentThread());
      inHandler.countDown();
      Nap.sleep(20);
      m.reply("ok");
    });
    Future<?> reply = vertx.eventBus().request("debugged", null);
    assertThat(inHandler.await(10, TimeUnit.SECONDS)).isTrue();
    loop.get().suspend();
    try {
      CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(400, TimeUnit.MILLISECONDS)).get();
    } finally {
      loop.get().resume();
    }
    get(reply);
    get(checker.drain());
    assertThat(recorded.matching(i -> "debugged".equals(i.address()))).isEmpty();
    assertThat(checker.report().getJsonObject("totals").getLong("debuggerHolds")).isGreaterThanOrEqualTo(1);
  }

  @Test
  @DisplayName("Vert.x's own blocked-thread log is replaced while the checker runs, and restored after")
  void vertx_log_is_replaced_while_installed() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setBlockedThreadCheckInterval(10).setMaxEventLoopExecuteTime(50)
      .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    Logger vertxLog = (Logger) LoggerFactory.getLogger("io.vertx.core.impl.BlockedThreadChecker");
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    vertxLog.addAppender(appender);
    try {
      start(vertx, options(50));
      get(vertx.deployVerticle(new Blocker()));
      get(vertx.eventBus().request("blocker.sleep", 200));
      get(checker.drain());
      assertThat(recorded.matching(i -> "blocker.sleep".equals(i.address()))).hasSize(2);
      assertThat(appender.list).as("Vert.x lines while loopkit watches").isEmpty();

      get(checker.close());
      checker = null;
      get(vertx.eventBus().request("blocker.sleep", 200));
      assertThat(appender.list).as("Vert.x lines after loopkit closed").isNotEmpty();
      assertThat(appender.list.get(0).getFormattedMessage()).contains("has been blocked for");
    } finally {
      vertxLog.detachAppender(appender);
      get(vertx.close());
    }
  }

  @Test
  @DisplayName("close releases everything: watchdog and reporter threads, report consumer, event-bus hook, heartbeats")
  void close_releases_everything(Vertx vertx) throws Exception {
    java.util.Set<Thread> before = loopkitThreads();
    BlockingChecker c = BlockingChecker.create(vertx, options(50));
    c.onIncident(recorded);
    get(c.ready());
    java.util.Set<Thread> mine = loopkitThreads();
    mine.removeAll(before);
    assertThat(mine).as("this checker's watchdog and reporter").hasSize(2);
    get(c.close());
    get(c.close());
    for (int i = 0; i < 100 && mine.stream().anyMatch(Thread::isAlive); i++) {
      get(vertx.timer(20));
    }
    assertThat(mine).as("threads still alive after close").noneMatch(Thread::isAlive);
    Throwable noHandlers = vertx.eventBus().request("loopkit.blocking.report", null).transform(ar -> Future.succeededFuture(ar.cause()))
      .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertThat(noHandlers).isNotNull().hasMessageContaining("No handlers");
    // nothing watches this loop any more: a stall is not reported
    vertx.eventBus().consumer("after.close", m -> {
      Nap.sleep(120);
      m.reply("ok");
    });
    get(vertx.eventBus().request("after.close", null));
    assertThat(recorded.all()).isEmpty();
  }

  private static java.util.Set<Thread> loopkitThreads() {
    return Thread.getAllStackTraces().keySet().stream()
      .filter(t -> t.getName().equals("loopkit-blocking-watchdog") || t.getName().equals("loopkit-blocking-reporter"))
      .collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
  }

  @Test
  @DisplayName("Micrometer: lag timer per loop, incidents and blocked time by verticle and kind; removed on close")
  void meters(Vertx vertx) throws Exception {
    BlockingChecker c = start(vertx, options(100));
    get(vertx.deployVerticle(new Blocker()));
    get(vertx.eventBus().request("blocker.sleep", 200));
    get(c.drain());
    io.micrometer.core.instrument.MeterRegistry registry = dev.loopkit.metrics.Meters.registry(vertx);
    String verticle = Blocker.class.getName();
    assertThat(registry.find("loopkit.blocking.incidents").tags("verticle", verticle, "kind", "sleep", "detection", "runtime")
      .counter()).isNotNull().extracting(io.micrometer.core.instrument.Counter::count).isEqualTo(1.0);
    io.micrometer.core.instrument.Timer blocked = registry.find("loopkit.blocking.blocked").tags("verticle", verticle, "kind", "sleep").timer();
    assertThat(blocked).isNotNull();
    assertThat(blocked.count()).isEqualTo(1);
    assertThat(blocked.totalTime(TimeUnit.MILLISECONDS)).isGreaterThanOrEqualTo(150.0);
    for (String loop : c.watchedLoops()) {
      assertThat(registry.find("loopkit.blocking.lag").tag("loop", loop).timer()).as("lag timer of " + loop).isNotNull();
    }
    get(c.close());
    get(c.drain());
    for (int i = 0; i < 50 && registry.find("loopkit.blocking.blocked").tags("verticle", verticle).timer() != null; i++) {
      get(vertx.timer(20));
    }
    assertThat(registry.find("loopkit.blocking.blocked").tags("verticle", verticle).timer()).as("removed on close").isNull();
    checker = null;
  }

  /** Blocks in start(). */
  static class SlowStart extends VerticleBase {
    @Override
    public Future<?> start() {
      Nap.sleep(200);
      return vertx.createHttpServer().requestHandler(r -> r.response().end()).listen(0, "127.0.0.1");
    }
  }

  @Test
  @DisplayName("a verticle blocking in start() is attributed to the deployment")
  void blocking_start_is_attributed_to_deploy(Vertx vertx) throws Exception {
    start(vertx, options(100));
    String id = get(vertx.deployVerticle(new SlowStart()));
    get(checker.drain());
    BlockingIncident done = Recorded.await(recorded.first(i -> !i.ongoing() && i.culprit() != null
      && i.culprit().className().equals(SlowStart.class.getName())), 10_000, "start() stall");
    assertThat(done.source()).isEqualTo("deploy");
    assertThat(done.verticle()).isEqualTo(SlowStart.class.getName());
    assertThat(done.deploymentId()).isEqualTo(id);
    assertThat(done.culprit().method()).isEqualTo("start");
    assertThat(done.summary()).contains("while deploying in " + SlowStart.class.getName());
  }

  @Test
  @DisplayName("the canary proves detection is live")
  void canary_proves_detection(Vertx vertx) throws Exception {
    start(vertx, options(50));
    BlockingIncident canary = get(checker.canary());
    assertThat(canary.allowed()).startsWith("loopkit canary #");
    assertThat(canary.kind()).isEqualTo(BlockingKind.SLEEP);
    assertThat(canary.durationMs()).isGreaterThanOrEqualTo(50L);
  }
}
