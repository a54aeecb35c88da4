package dev.loopkit.blocking;

import dev.loopkit.blocking.impl.BlockingCheckerImpl;
import dev.loopkit.blocking.impl.Sample;
import dev.loopkit.blocking.impl.StackAnalyzer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@link BlockingExtension}'s machinery: one watched Vert.x instance ({@link Watch}), what one test produced
 * ({@link Window}) and the verdict on each record. The verdict is taken on an incident's <b>final</b>
 * record, or — while the loop is still blocked two thresholds after the {@code ongoing} record — on a fresh
 * look at the loop: a stall that turns out to be JVM warm-up, an overloaded machine or a library's first use
 * never fails a test, and one that goes on in the test's own code fails it before the test's timeout.
 */
final class TestWatch {

  /** How many times a stall is looked at again (one threshold apart) while it lasts. */
  static final int FOLLOW_UP_LOOKS = 50;

  /**
   * A stall this long that is still waiting (parked, in {@code wait}, blocked on a monitor) in the test's
   * code fails the test even when its first looks saw warm-up or a library at work (see {@code Sample.lookNow}).
   */
  static final long LONG_WAIT_MS = 2_000;

  /** Runs the looks again; a daemon thread, never an event loop. */
  private static final ScheduledExecutorService FOLLOW_UPS = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "loopkit-blocking-check-follow-up");
    t.setDaemon(true);
    return t;
  });

  private TestWatch() {
  }

  /** @return why {@code i} does not fail the test, or {@code null} when it does */
  static String excused(BlockingIncident i, Window w) {
    if (w.allowReason != null) {
      return "test allows blocking: " + w.allowReason;
    }
    if (i.allowed() != null) {
      return "allowed: " + i.allowed();
    }
    if (i.kind() == BlockingKind.GC) {
      return "a GC pause";
    }
    if (i.kind() == BlockingKind.PAUSE) {
      return "the whole JVM was paused";
    }
    if (i.culprit() == null) {
      return "no application frame on the stack (framework warm-up)";
    }
    JsonObject json = i.toJson();
    List<StackFrame> stack = i.stack();
    if (json.getBoolean("warmUp", false) || StackAnalyzer.loadingClass(stack, stack.indexOf(i.culprit()))) {
      return "JVM warm-up: " + BlockingCheckerImpl.warmUpReason(json);
    }
    if (json.getBoolean("console", false)) {
      return "writing to the console (its reader is slow), not the code blocking";
    }
    if (json.getBoolean("inLibrary", false)) {
      return "spent inside Vert.x/Netty/Jackson/logging/metrics code on the code's behalf, not a blocking call it made";
    }
    if (json.getBoolean("overloaded", false)) {
      return "the loop used only " + json.getValue("cpuPercent") + "% of a CPU: it was waiting to run (an overloaded machine, "
        + "or the JVM: another thread initialising a class, a safepoint), not running code that blocks";
    }
    return null;
  }

  /**
   * @return whether {@code i} is excused only by what its first looks saw, which a later look may not see:
   * warm-up, a library at work, no application frame yet, an overloaded machine. Not an allowed, GC or
   * JVM-wide pause, nor writing to a slow console (its stack does show the test's code, and is no verdict).
   */
  static boolean excusedForNow(BlockingIncident i, Window w) {
    if (w.allowReason != null || i.allowed() != null || i.kind() == BlockingKind.GC || i.kind() == BlockingKind.PAUSE) {
      return false;
    }
    return !i.toJson().getBoolean("console", false);
  }

  static AssertionError failure(List<BlockingIncident> failing) {
    StringBuilder sb = new StringBuilder("the test blocked an event loop (" + failing.size() + " finding"
      + (failing.size() > 1 ? "s" : "") + "):");
    int n = 1;
    for (BlockingIncident i : failing) {
      sb.append("\n  ").append(n++).append(". ").append(i.summary());
      String vertx = i.toJson().getString("vertx");
      if (vertx != null) {
        sb.append(" [on ").append(vertx).append(']');
      }
    }
    sb.append("\nIf a block is known and accepted, say why: @AllowBlocking(\"reason\") on the test or the blocking method, "
      + "or BlockingAttribution.allow(\"reason\", ...) around the call.");
    AssertionError error = new AssertionError(sb.toString());
    List<StackFrame> stack = failing.get(0).stack();
    if (!stack.isEmpty()) {
      StackTraceElement[] elements = new StackTraceElement[stack.size()];
      for (int k = 0; k < stack.size(); k++) {
        StackFrame f = stack.get(k);
        elements[k] = new StackTraceElement(f.className(), f.method(), f.file(), f.line());
      }
      error.setStackTrace(elements);
    }
    return error;
  }

  /** One watched Vert.x instance and the test currently running against it. */
  static final class Watch {
    final Vertx vertx;
    final BlockingChecker checker;
    final BlockingCheckerOptions options;
    final StackAnalyzer analyzer;
    /** Which instance, for failure messages: e.g. {@code Vert.x #2 (field MyTest.vertx)}. */
    final String label;
    volatile Window current;

    Watch(Vertx vertx, BlockingChecker checker, BlockingCheckerOptions options, String label) {
      this.vertx = vertx;
      this.checker = checker;
      this.options = options;
      this.analyzer = new StackAnalyzer(options.getFrameworkPackages());
      this.label = label;
    }

    void onRecord(BlockingIncident record) {
      if (record.allowed() != null && record.allowed().startsWith("loopkit canary #")) {
        return;
      }
      Window w = current;
      if (w == null || w.closed) {
        return;
      }
      if (startedBefore(record, w)) {
        // a stall that began before this test (its final record came late): not this test's
        return;
      }
      BlockingIncident i = label == null ? record : new BlockingIncident(record.toJson().put("vertx", label));
      w.records.add(i);
      VertxTestContext tc = w.testContext;
      if (i.isStrict()) {
        // JFR delivers strict findings in batches: they are judged when the test ends
        return;
      }
      if (!i.ongoing()) {
        if (tc != null && excused(i, w) == null && !tc.completed()) {
          tc.failNow(failure(List.of(i)));
        }
        return;
      }
      long threshold = options.getThresholdMs();
      if (excused(i, w) == null) {
        // the loop is still blocked: decide on the final record if the stall ends soon; if it goes on, look
        // at the loop again before failing (a first look can miss warm-up that a later one shows)
        FOLLOW_UPS.schedule(() -> lookAgain(i, w, 1), 2 * threshold, TimeUnit.MILLISECONDS);
      } else if (excusedForNow(i, w)) {
        // the stall began in framework or JVM code; if it goes on, look again: a test whose code then
        // blocks (e.g. a self-deadlocking get()) must fail fast with that frame, not at the test's timeout
        FOLLOW_UPS.schedule(() -> lookAgain(i, w, 1), threshold, TimeUnit.MILLISECONDS);
      }
    }

    /**
     * Still blocked in the same incident? Then sample the loop's stack and fail the test when the test's own
     * code blocks there (an application frame, not warm-up, not inside a library); else look again later.
     */
    void lookAgain(BlockingIncident ongoing, Window w, int attempt) {
      VertxTestContext tc = w.testContext;
      if (w.closed || current != w || tc == null || tc.completed() || ended(ongoing, w)) {
        return;
      }
      JsonObject json = ongoing.toJson();
      long elapsedMs = Math.max(ongoing.durationMs(),
        Duration.between(Instant.parse(json.getString("startedAt")), Instant.now()).toMillis());
      boolean longWait = elapsedMs >= LONG_WAIT_MS;
      // an overloaded machine's loop may show the test's code while it waits for a CPU: only a long wait counts
      boolean judge = longWait || !json.getBoolean("overloaded", false);
      for (Thread t : judge ? Thread.getAllStackTraces().keySet() : Set.<Thread>of()) {
        if (!t.getName().equals(ongoing.thread()) || !checker.isWatching(t)) {
          continue;
        }
        JsonObject look = Sample.lookNow(t, analyzer, options.getMaxStackDepth(), longWait);
        if (look != null && !ended(ongoing, w)) {
          // this look supersedes what the first ones saw (and excused)
          for (String firstLook : List.of("warmUp", "firstUse", "classLoading", "inLibrary", "overloaded")) {
            json.remove(firstLook);
          }
          BlockingIncident now = new BlockingIncident(json.mergeIn(look)
            .put("durationMs", elapsedMs)
            .put("lookedAgain", true));
          w.records.add(now);
          tc.failNow(failure(List.of(now)));
          return;
        }
      }
      if (attempt < FOLLOW_UP_LOOKS || elapsedMs <= LONG_WAIT_MS) {
        FOLLOW_UPS.schedule(() -> lookAgain(ongoing, w, attempt + 1), options.getThresholdMs(), TimeUnit.MILLISECONDS);
      }
    }

    private static boolean startedBefore(BlockingIncident record, Window w) {
      String at = record.toJson().getString("startedAt");
      try {
        return at != null && Instant.parse(at).isBefore(w.openedAt.minusMillis(50));
      } catch (RuntimeException e) {
        return false;
      }
    }

    private static boolean ended(BlockingIncident ongoing, Window w) {
      for (BlockingIncident r : w.records) {
        if (!r.ongoing() && ongoing.id().equals(r.id())) {
          return true;
        }
      }
      return false;
    }
  }

  /** What one test produced. */
  static final class Window {
    final String name;
    final String allowReason;
    final List<BlockingIncident> records = new CopyOnWriteArrayList<>();
    /** When the test began: records of stalls that began before it belong to an earlier test. */
    final Instant openedAt = Instant.now();
    volatile VertxTestContext testContext;
    volatile boolean closed;

    Window(String name, String allowReason) {
      this.name = name;
      this.allowReason = allowReason;
    }

    /**
     * @return runtime incidents (the last record of each: the final one when the stall ended) and strict
     * findings not already covered by one
     */
    List<BlockingIncident> findings() {
      Map<String, BlockingIncident> byId = new LinkedHashMap<>();
      for (BlockingIncident i : records) {
        String linked = i.toJson().getString("incident");
        if (i.isStrict() && linked != null && byId.containsKey(linked)) {
          continue;
        }
        BlockingIncident prev = byId.get(i.id());
        if (prev != null && !prev.ongoing() && i.ongoing()) {
          continue;
        }
        byId.put(i.id(), i);
      }
      return new ArrayList<>(byId.values());
    }
  }
}
