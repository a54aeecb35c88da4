package dev.loopkit.blocking;

import dev.loopkit.blocking.TestWatch.Watch;
import dev.loopkit.blocking.TestWatch.Window;
import dev.loopkit.blocking.impl.BlockingCheckerImpl;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
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
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * JUnit 5 extension, used next to {@code VertxExtension}: the test whose code blocks an event loop fails,
 * naming the culprit file:line, the kind of block, the verticle, the address or route, and the Vert.x
 * instance.
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
 *   <li><b>Which Vert.x instances</b>: every {@code Vertx} passed to a test, {@code @BeforeEach} or
 *   {@code @BeforeAll} method, every {@code Vertx} held in a field of the test instance or class once those
 *   methods ran (a test that builds its own, e.g. with metrics options), and any other one the test hands to
 *   {@link #watch(Vertx)}. A failure names the instance. Before the first test of a class a <b>canary</b>
 *   blocks one loop on purpose and must be detected, or the class fails with the reason detection is not
 *   live.</li>
 *   <li>A stall over the threshold fails the test through its {@code VertxTestContext} — on the incident's
 *   final record, or, while the loop is still blocked two thresholds after the ongoing record, on a fresh
 *   look at it — and again in {@code afterEach}; in strict mode short blocking calls found by JFR fail it too
 *   (see {@link BlockingCheckerOptions#setStrict} for which calls count).</li>
 *   <li><b>Never hangs</b>: waits are bounded, and a loop still blocked by the test's own code when the test
 *   ends (e.g. a self-deadlocking {@code get()}) is interrupted so that Vert.x can close.</li>
 *   <li>Not failed: blocks allowed by {@link AllowBlocking} (on the test, its class, or the blocking code)
 *   or {@link BlockingAttribution#allow}; JVM warm-up (no application frame, class loading or
 *   initialisation, call-site linking, a library's first use at a call site); GC and JVM pauses; CPU stalls
 *   during which the loop got less CPU time than the threshold (an overloaded machine, not the code).</li>
 *   <li>{@code -Dloopkit.blocking.strict=true|false} ({@link #STRICT_PROPERTY}) overrides
 *   {@link CheckBlocking#strict()} for the whole run.</li>
 * </ul>
 */
public class BlockingExtension implements BeforeEachCallback, AfterEachCallback, InvocationInterceptor {

  private static final Logger LOG = LoggerFactory.getLogger(BlockingExtension.class);
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(BlockingExtension.class);
  private static final Map<Vertx, BlockingChecker> CHECKERS = new IdentityHashMap<>();
  /** The context of the test running now, for {@link #watch(Vertx)} (tests of one class run one at a time). */
  private static volatile ExtensionContext running;

  /**
   * The system property that overrides {@link CheckBlocking#strict()} for every test of the JVM, e.g.
   * {@code -Dloopkit.blocking.strict=true} for a CI job that runs the whole suite in strict mode.
   */
  public static final String STRICT_PROPERTY = "loopkit.blocking.strict";

  /** @return the checker this extension runs on {@code vertx}, if any (for tests that want the report) */
  public static Optional<BlockingChecker> checker(Vertx vertx) {
    synchronized (CHECKERS) {
      return Optional.ofNullable(CHECKERS.get(vertx));
    }
  }

  /**
   * Watches {@code vertx}, a Vert.x instance the running test built itself and keeps in a local variable
   * (instances passed as parameters or held in fields are watched without this call): from now on, the
   * test fails when it blocks one of its loops. Call it from the test's thread, inside a
   * {@code @CheckBlocking} test.
   *
   * @return {@code vertx}
   * @throws IllegalStateException when no {@code @CheckBlocking} test is running
   */
  public static Vertx watch(Vertx vertx) {
    ExtensionContext ec = running;
    if (ec == null) {
      throw new IllegalStateException("BlockingExtension.watch(vertx): no @CheckBlocking test is running — call it "
        + "from a test method of a class annotated with @CheckBlocking");
    }
    new BlockingExtension().watch(vertx, ec, "the Vert.x instance passed to BlockingExtension.watch in " + ec.getDisplayName());
    return vertx;
  }

  // -------------------------------------------------------------------------------------- interception

  @Override
  public void interceptBeforeAllMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
    watchFields(ec);
  }

  @Override
  public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchArguments(ic, ec);
    invocation.proceed();
    watchFields(ec);
  }

  @Override
  public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchFields(ec);
    watchArguments(ic, ec);
    invocation.proceed();
  }

  @Override
  public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic, ExtensionContext ec) throws Throwable {
    watchFields(ec);
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
        watch((Vertx) arg, ec, "the Vertx parameter of " + ic.getExecutable().getName() + "()");
      } else if (arg instanceof VertxTestContext) {
        Window w = window(ec);
        if (w != null) {
          w.testContext = (VertxTestContext) arg;
        }
      }
    }
  }

  /** Watches the {@code Vertx} values of the test instance's fields and of the test class's static fields. */
  private void watchFields(ExtensionContext ec) {
    List<Object> instances = new ArrayList<>();
    ec.getTestInstances().ifPresent(t -> instances.addAll(t.getAllInstances()));
    Optional<Class<?>> type = ec.getTestClass();
    List<Class<?>> classes = new ArrayList<>();
    for (Class<?> c = type.orElse(null); c != null; c = c.getEnclosingClass()) {
      classes.add(c);
    }
    for (Class<?> c : classes) {
      for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
        for (Field f : k.getDeclaredFields()) {
          if (!Vertx.class.isAssignableFrom(f.getType())) {
            continue;
          }
          boolean isStatic = Modifier.isStatic(f.getModifiers());
          for (Object owner : isStatic ? java.util.Collections.singletonList(null) : instances) {
            if (owner != null && !k.isInstance(owner)) {
              continue;
            }
            Object value = read(f, owner);
            if (value instanceof Vertx) {
              watch((Vertx) value, ec, "the Vert.x instance in field " + k.getSimpleName() + "." + f.getName());
            }
          }
        }
      }
    }
  }

  private static Object read(Field f, Object owner) {
    try {
      f.setAccessible(true);
      return f.get(owner);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }

  // -------------------------------------------------------------------------------------- lifecycle

  @Override
  public void beforeEach(ExtensionContext ec) {
    Window w = new Window(ec.getDisplayName(), allowReason(ec));
    ec.getStore(NS).put(Window.class, w);
    running = ec;
    for (Watch watch : watches(ec)) {
      watch.current = w;
    }
  }

  @Override
  public void afterEach(ExtensionContext ec) throws Exception {
    if (running == ec) {
      running = null;
    }
    Window w = window(ec);
    if (w == null) {
      return;
    }
    List<Watch> watches = watches(ec);
    for (Watch watch : watches) {
      try {
        watch.checker.drain().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
      } catch (Exception e) {
        LOG.info("blocking check: could not wait for the last findings of {} ({}); reporting what arrived", ec.getDisplayName(), e.toString());
      }
      unblockStuckLoops(watch, w);
      watch.current = null;
    }
    w.closed = true;
    List<BlockingIncident> failing = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (BlockingIncident i : w.findings()) {
      String why = TestWatch.excused(i, w);
      if (why == null) {
        failing.add(i);
      } else {
        notes.add(i.summary() + " [not failing: " + why + "]");
      }
    }
    notes.forEach(n -> LOG.info("blocking check of {}: {}", ec.getDisplayName(), n));
    if (!failing.isEmpty()) {
      throw TestWatch.failure(failing);
    }
  }

  // ------------------------------------------------------------------------------------------ watching

  private void watch(Vertx vertx, ExtensionContext ec, String how) {
    ClassState state = classState(ec);
    int index;
    synchronized (state) {
      for (Watch w : state.watches) {
        if (w.vertx == vertx) {
          w.current = window(ec);
          return;
        }
      }
      index = ++state.instances;
    }
    CheckBlocking config = config(ec);
    BlockingCheckerOptions options = new BlockingCheckerOptions()
      .setThresholdMs(config == null ? 100 : config.thresholdMs())
      .setStrict(strict(config))
      .setRecentIncidents(0);
    BlockingChecker checker = BlockingChecker.create(vertx, options);
    Watch watch = new Watch(vertx, checker, options, "Vert.x #" + index + " (" + how + ")");
    watch.current = window(ec);
    checker.onIncident(watch::onRecord);
    await(checker.ready(), 30_000, "the blocking checker did not start");
    synchronized (CHECKERS) {
      CHECKERS.put(vertx, checker);
    }
    boolean runCanary;
    synchronized (state) {
      state.watches.add(watch);
      runCanary = (config == null || config.canary()) && !state.canaryDone;
      state.canaryDone |= runCanary;
    }
    if (runCanary) {
      try {
        BlockingIncident canary = await(checker.canary(), BlockingCheckerImpl.canaryBudgetMs(options.getThresholdMs()) + 5_000, "canary");
        LOG.debug("blocking check canary detected: {}", canary.summary());
      } catch (RuntimeException e) {
        throw new ExtensionConfigurationException("blocking detection is not live for " + ec.getRequiredTestClass().getName()
          + ": " + e.getMessage(), e);
      }
    }
  }

  private static boolean strict(CheckBlocking config) {
    String override = System.getProperty(STRICT_PROPERTY);
    if (override != null && !override.isBlank()) {
      return Boolean.parseBoolean(override.trim());
    }
    return config == null || config.strict();
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

  /**
   * A loop still blocked by the test's own code when the test ends cannot be closed by Vert.x: interrupt it
   * (sleeps, waits, parks end). A loop busy with framework work or JVM warm-up is left alone.
   */
  private static void unblockStuckLoops(Watch watch, Window w) {
    Map<String, BlockingIncident> open = new LinkedHashMap<>();
    for (BlockingIncident i : w.findings()) {
      if (!i.isStrict() && i.ongoing() && TestWatch.excused(i, w) == null) {
        open.put(i.id(), i);
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

  private static Window window(ExtensionContext ec) {
    return ec.getStore(NS).get(Window.class, Window.class);
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
    int instances;

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

}
