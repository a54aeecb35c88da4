package dev.loopkit.blocking;

import dev.loopkit.blocking.impl.Sample;
import dev.loopkit.blocking.impl.StackAnalyzer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * JUnit 5 extension, used next to {@code VertxExtension}: the test whose code blocks an event loop fails,
 * naming the culprit file:line, the kind of block, the verticle and the address or route.
 *
 * <pre>{@code
 * @ExtendWith(VertxExtension.class)
 * @CheckBlocking                       // registers this extension; thresholdMs, strict, canary
 * class PricesVerticleTest {
 *   @BeforeEach void deploy(Vertx vertx, VertxTestContext tc) { ... }      // watched from here on
 *   @Test void fast(Vertx vertx, VertxTestContext tc) { ... }               // fails if it blocks
 *   @Test @AllowBlocking("legacy driver, LOOP-12") void legacy(...) { ... } // a known block, allowed
 * }
 * }</pre>
 *
 * <ul>
 *   <li>Every {@code Vertx} passed to a test, {@code @BeforeEach} or {@code @BeforeAll} method is watched by
 *   a {@link BlockingChecker}; before the first test of a class a <b>canary</b> blocks one loop on purpose
 *   and must be detected, or the class fails with the reason detection is not live.</li>
 *   <li>A stall over the threshold fails the test <b>at once</b> through its {@code VertxTestContext} (no
 *   waiting for the 30 s timeout), and again in {@code afterEach}; in strict mode short blocking calls
 *   found by JFR fail it too.</li>
 *   <li><b>Never hangs</b>: waits are bounded, and a loop still blocked when the test ends (e.g. a
 *   self-deadlocking {@code get()}) is interrupted so that Vert.x can close.</li>
 *   <li>Not failed: blocks allowed by {@link AllowBlocking} (on the test, its class, or the blocking code)
 *   or {@link BlockingAttribution#allow}; stalls with no application frame on the stack (framework
 *   warm-up), class loading, GC pauses, and CPU-kind stalls during which the loop got under 30% of a CPU
 *   (an overloaded machine, not the code).</li>
 * </ul>
 */
public class BlockingExtension implements BeforeEachCallback, AfterEachCallback, InvocationInterceptor {

  private static final Logger LOG = LoggerFactory.getLogger(BlockingExtension.class);
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BlockingExtension.class);
  private static final Map<Vertx, BlockingChecker> CHECKERS = new IdentityHashMap<>();

  /** @return the checker this extension runs on {@code vertx}, if any (for tests that want the report) */
  public static Optional<BlockingChecker> checker(Vertx vertx) {
    synchronized (CHECKERS) {
      return Optional.ofNullable(CHECKERS.get(vertx));
    }
  }

  // -------------------------------------------------------------------------------------- interception

  @Override
  public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
  }

  @Override
  public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
  }

  @Override
  public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
  }

  @Override
  public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
  }

  @Override
  public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
  }

  private void watchArguments(ReflectiveInvocationContext<Method> ic, ExtensionContext ec) {
    for (Object arg : ic.getArguments()) {
      if (arg instanceof Vertx) {
        watch((Vertx) arg, ec);
      } else if (arg instanceof VertxTestContext) {
        TestWindow w = window(ec);
        if (w != null) {
          w.testContext = (VertxTestContext) arg;
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------- lifecycle

  @Override
  public void beforeEach(ExtensionContext ec) {
    TestWindow w = new TestWindow(ec.getDisplayName(), allowReason(ec));
    ec.getStore(NS).put(TestWindow.class, w);
    for (Watch watch : watches(ec)) {
      watch.current = w;
    }
  }

  @Override
  public void afterEach(ExtensionContext ec) throws Exception {
    TestWindow w = window(ec);
    if (w == null) {
      return;
    }
    List<Watch> watches = watches(ec);
    for (Watch watch : watches) {
      try {
        watch.checker.drain().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.warn("blocking check: could not wait for the last findings of {} ({}); reporting what arrived", ec.getDisplayName(), e.toString());
      }
      unblockStuckLoops(watch, w);
      watch.current = null;
    }
    w.closed = true;
    List<BlockingIncident> failing = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (BlockingIncident i : w.findings()) {
      String why = excused(i, w);
      if (why == null) {
        failing.add(i);
      } else {
        notes.add(i.summary() + " [not failing: " + why + "]");
      }
    }
    notes.forEach(n -> LOG.info("blocking check of {}: {}", ec.getDisplayName(), n));
    if (!failing.isEmpty()) {
      throw failure(failing);
    }
  }

  // ------------------------------------------------------------------------------------------ watching

  private void watch(Vertx vertx, ExtensionContext ec) {
    ClassState state = classState(ec);
    synchronized (state) {
      for (Watch w : state.watches) {
        if (w.vertx == vertx) {
          w.current = window(ec);
          return;
        }
      }
    }
    CheckBlocking config = config(ec);
    BlockingCheckerOptions options = new BlockingCheckerOptions()
      .setThresholdMs(config == null ? 100 : config.thresholdMs())
      .setStrict(config == null || config.strict())
      .setRecentIncidents(0);
    BlockingChecker checker = BlockingChecker.create(vertx, options);
    Watch watch = new Watch(vertx, checker, options);
    watch.current = window(ec);
    checker.onIncident(watch::onRecord);
    await(checker.ready(), 15_000, "the blocking checker did not start");
    synchronized (CHECKERS) {
      CHECKERS.put(vertx, checker);
    }
    boolean runCanary = (config == null || config.canary()) && !state.canaryDone;
    synchronized (state) {
      state.watches.add(watch);
    }
    if (runCanary) {
      state.canaryDone = true;
      try {
        BlockingIncident canary = await(checker.canary(), 2 * options.getThresholdMs() + 10_000, "canary");
        LOG.debug("blocking check canary detected: {}", canary.summary());
      } catch (RuntimeException e) {
        throw new ExtensionConfigurationException("blocking detection is not live for " + ec.getRequiredTestClass().getName()
          + ": " + e.getMessage(), e);
      }
    }
  }

  private static <T> T await(Future<T> f, long ms, String what) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(ms, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(what + ": " + e.getCause().getMessage(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(what + ": no answer within " + ms + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(what + ": interrupted");
    }
  }

  /** A loop still blocked when the test ends cannot be closed by Vert.x: interrupt it (sleeps, waits, parks end). */
  private static void unblockStuckLoops(Watch watch, TestWindow w) {
    Map<String, BlockingIncident> open = new LinkedHashMap<>();
    for (BlockingIncident i : w.findings()) {
      if (i.isStrict()) {
        continue;
      }
      if (i.ongoing()) {
        open.put(i.id(), i);
      } else {
        open.remove(i.id());
      }
    }
    if (open.isEmpty()) {
      return;
    }
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      for (BlockingIncident i : open.values()) {
        if (t.getName().equals(i.thread()) && watch.checker.isWatching(t)) {
          LOG.warn("blocking check: {} is still blocked at the end of the test ({}); interrupting it so that Vert.x can close",
            t.getName(), i.culprit());
          t.interrupt();
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------- verdict

  /** @return why {@code i} does not fail the test, or {@code null} when it does */
  private static String excused(BlockingIncident i, TestWindow w) {
    if (w.allowReason != null) {
      return "test allows blocking: " + w.allowReason;
    }
    if (i.allowed() != null) {
      return "allowed: " + i.allowed();
    }
    if (i.kind() == BlockingKind.GC) {
      return "a GC pause";
    }
    if (i.culprit() == null) {
      return "no application frame on the stack (framework warm-up)";
    }
    List<StackFrame> stack = i.stack();
    if (StackAnalyzer.loadingClass(stack, stack.indexOf(i.culprit()))) {
      return "class loading (JVM warm-up)";
    }
    Integer cpu = i.toJson().getInteger("cpuPercent");
    if (i.kind() == BlockingKind.CPU && cpu != null && cpu < 30) {
      return "the loop got only " + cpu + "% of a CPU: the machine is overloaded, not blocked by code";
    }
    return null;
  }

  private static AssertionError failure(List<BlockingIncident> failing) {
    StringBuilder sb = new StringBuilder("the test blocked an event loop (" + failing.size() + " finding"
      + (failing.size() > 1 ? "s" : "") + "):");
    int n = 1;
    for (BlockingIncident i : failing) {
      sb.append("\n  ").append(n++).append(". ").append(i.summary());
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

  // ------------------------------------------------------------------------------------------ state

  private static String allowReason(ExtensionContext ec) {
    for (Optional<? extends AnnotatedElement> e : List.of(ec.getTestMethod(), ec.getTestClass())) {
      if (e.isPresent()) {
        AllowBlocking a = e.get().getAnnotation(AllowBlocking.class);
        if (a != null) {
          return a.value();
        }
      }
    }
    return null;
  }

  private static CheckBlocking config(ExtensionContext ec) {
    for (Optional<? extends AnnotatedElement> e : List.of(ec.getTestMethod(), ec.getTestClass())) {
      if (e.isPresent()) {
        CheckBlocking c = e.get().getAnnotation(CheckBlocking.class);
        if (c != null) {
          return c;
        }
      }
    }
    Optional<ExtensionContext> parent = ec.getParent();
    return parent.isPresent() && parent.get().getTestClass().isPresent() && parent.get() != ec ? config(parent.get()) : null;
  }

  private static TestWindow window(ExtensionContext ec) {
    return ec.getStore(NS).get(TestWindow.class, TestWindow.class);
  }

  private static ClassState classState(ExtensionContext ec) {
    ExtensionContext root = ec;
    while (root.getParent().isPresent() && root.getParent().get().getTestClass().isPresent()) {
      root = root.getParent().get();
    }
    return root.getStore(NS).getOrComputeIfAbsent(ClassState.class, k -> new ClassState(), ClassState.class);
  }

  private static List<Watch> watches(ExtensionContext ec) {
    ClassState state = classState(ec);
    synchronized (state) {
      return new ArrayList<>(state.watches);
    }
  }

  /** Per test class: the Vert.x instances watched, closed with the class. */
  @SuppressWarnings("deprecation")
  static final class ClassState implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    final List<Watch> watches = new ArrayList<>();
    boolean canaryDone;

    @Override
    public void close() {
      List<Watch> all;
      synchronized (this) {
        all = new ArrayList<>(watches);
        watches.clear();
      }
      for (Watch w : all) {
        synchronized (CHECKERS) {
          CHECKERS.remove(w.vertx);
        }
        w.checker.close();
      }
    }
  }

  /** One watched Vert.x instance and the test currently running against it. */
  static final class Watch {
    final Vertx vertx;
    final BlockingChecker checker;
    final BlockingCheckerOptions options;
    final StackAnalyzer analyzer;
    volatile TestWindow current;

    Watch(Vertx vertx, BlockingChecker checker, BlockingCheckerOptions options) {
      this.vertx = vertx;
      this.checker = checker;
      this.options = options;
      this.analyzer = new StackAnalyzer(options.getFrameworkPackages());
    }

    void onRecord(BlockingIncident i) {
      if (i.allowed() != null && i.allowed().startsWith("loopkit canary #")) {
        return;
      }
      TestWindow w = current;
      if (w == null || w.closed) {
        return;
      }
      w.records.add(i);
      VertxTestContext tc = w.testContext;
      if (tc != null && !i.isStrict() && excused(i, w) == null && !tc.completed()) {
        tc.failNow(failure(List.of(i)));
      } else if (i.ongoing() && !i.isStrict() && excusedForNow(i, w)) {
        // The stall began in framework or JVM code (no application frame, or a class being loaded, when the
        // ongoing record was made, so it is excused); if it goes on, look again: a test whose handler then
        // blocks (e.g. a self-deadlocking get()) must fail fast with that frame, not at the test's timeout.
        FOLLOW_UPS.schedule(() -> lookAgain(i, w, 1), options.getThresholdMs(), TimeUnit.MILLISECONDS);
      }
    }

    /** Still blocked in the same incident? Then sample the loop's stack and fail the test if code of the test's own is on it. */
    private void lookAgain(BlockingIncident ongoing, TestWindow w, int attempt) {
      VertxTestContext tc = w.testContext;
      if (w.closed || current != w || tc == null || tc.completed() || ended(ongoing, w)) {
        return;
      }
      for (Thread t : Thread.getAllStackTraces().keySet()) {
        if (!t.getName().equals(ongoing.thread()) || !checker.isWatching(t)) {
          continue;
        }
        JsonObject look = Sample.lookNow(t, analyzer, options.getMaxStackDepth());
        if (look != null && !ended(ongoing, w)) {
          long elapsedMs = Math.max(ongoing.durationMs(), java.time.Duration.between(
            java.time.Instant.parse(ongoing.toJson().getString("startedAt")), java.time.Instant.now()).toMillis());
          BlockingIncident now = new BlockingIncident(ongoing.toJson().copy().mergeIn(look)
            .put("durationMs", elapsedMs)
            .put("lookedAgain", true));
          w.records.add(now);
          tc.failNow(failure(List.of(now)));
          return;
        }
      }
      if (attempt < FOLLOW_UP_LOOKS) {
        FOLLOW_UPS.schedule(() -> lookAgain(ongoing, w, attempt + 1), options.getThresholdMs(), TimeUnit.MILLISECONDS);
      }
    }

    /** @return whether {@code i} is excused only by what its first look saw, which a later look may not see */
    private static boolean excusedForNow(BlockingIncident i, TestWindow w) {
      if (w.allowReason != null || i.allowed() != null || i.kind() == BlockingKind.GC) {
        return false;
      }
      return i.culprit() == null || StackAnalyzer.loadingClass(i.stack(), i.stack().indexOf(i.culprit()));
    }

    private static boolean ended(BlockingIncident ongoing, TestWindow w) {
      for (BlockingIncident r : w.records) {
        if (!r.ongoing() && ongoing.id().equals(r.id())) {
          return true;
        }
      }
      return false;
    }
  }

  /** How many times a stall that began in framework code is looked at again (one threshold apart). */
  private static final int FOLLOW_UP_LOOKS = 50;

  /** Runs the looks again; a daemon thread, never an event loop. */
  private static final java.util.concurrent.ScheduledExecutorService FOLLOW_UPS =
    java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "loopkit-blocking-check-follow-up");
      t.setDaemon(true);
      return t;
    });

  /** What one test produced. */
  static final class TestWindow {
    final String name;
    final String allowReason;
    final List<BlockingIncident> records = new CopyOnWriteArrayList<>();
    volatile VertxTestContext testContext;
    volatile boolean closed;

    TestWindow(String name, String allowReason) {
      this.name = name;
      this.allowReason = allowReason;
    }

    /** @return runtime incidents (the last record of each) and strict findings not already covered by one */
    List<BlockingIncident> findings() {
      Map<String, BlockingIncident> byId = new LinkedHashMap<>();
      for (BlockingIncident i : records) {
        if (i.isStrict() && i.toJson().getString("incident") != null && byId.containsKey(i.toJson().getString("incident"))) {
          continue;
        }
        byId.put(i.id(), i);
      }
      return new ArrayList<>(byId.values());
    }
  }
}
