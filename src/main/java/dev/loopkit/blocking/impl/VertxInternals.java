package dev.loopkit.blocking.impl;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadChecker;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * <b>The only class of loopkit that touches Vert.x internals.</b> Everything the blocking checker needs
 * that Vert.x 5.0.7 does not offer as public API is here, each with a fallback, and
 * {@code VertxInternalsTest} exercises every hook so that a Vert.x upgrade that changes one fails that
 * test loudly instead of silently degrading detection.
 *
 * <ul>
 *   <li>{@link #eventLoops(Vertx)}: the Netty event loops ({@code VertxInternal.eventLoopGroup()}); public
 *   API cannot enumerate them.</li>
 *   <li>{@link #dispatchStartNanos(Thread)}: when the task now running on a Vert.x thread started
 *   ({@code io.vertx.core.impl.VertxThread#startTime()}, public method of an internal class; the same
 *   clock Vert.x's own checker reads). 0 when idle.</li>
 *   <li>{@link #contextOf(Thread)}: the context a Vert.x thread is running right now (the package-private
 *   field {@code VertxThread.context}, read through a private-lookup {@link VarHandle}; works on the class
 *   path, degrades to {@code null} on the module path). Used once per incident, never per task.</li>
 *   <li>{@link #verticleClass(Context)}: the verticle class of a context's deployment
 *   ({@code ContextInternal.deployment()}).</li>
 *   <li>{@link #replaceBlockedThreadLog(Vertx, Predicate)}: replaces Vert.x's own blocked-thread WARN log
 *   ({@code VertxInternal.blockedThreadChecker().setThreadBlockedHandler}) for the threads loopkit
 *   watches; restored when the last loopkit checker of that Vert.x instance closes.</li>
 *   <li>{@link #addCloseHook(Vertx, Runnable)}: close the checker with its Vert.x instance
 *   ({@code VertxInternal.addCloseHook}).</li>
 *   <li>{@link #requestContext(Object)}: the context an HTTP server request runs on
 *   ({@code HttpServerRequestInternal.context()}), to tell which request a stalled loop is handling; the
 *   request itself comes from the public metrics SPI.</li>
 *   <li>{@link #addAttributionMetrics}: {@code BlockingAttributionProvider} wraps the metrics of a Vert.x
 *   instance being built ({@code VertxBootstrapImpl.metrics()}, the type the SPI's own default code uses).</li>
 * </ul>
 */
public final class VertxInternals {

  private static final Logger LOG = LoggerFactory.getLogger(VertxInternals.class);
  /** Vert.x's own logger for blocked threads, kept so that existing logger configs keep working. */
  private static final Logger VERTX_CHECKER_LOG = LoggerFactory.getLogger(BlockedThreadChecker.LOGGER_NAME);

  private static final VarHandle THREAD_CONTEXT = contextHandle();
  private static final Map<Vertx, LogReplacement> REPLACED = new IdentityHashMap<>();

  private VertxInternals() {
  }

  private static VarHandle contextHandle() {
    try {
      MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(VertxThread.class, MethodHandles.lookup());
      return lookup.findVarHandle(VertxThread.class, "context", ContextInternal.class);
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.info("Vert.x thread context is not readable ({}); blocking incidents will name the verticle only "
        + "for event-bus and HTTP work (interceptors) — expected on the module path", e.toString());
      return null;
    }
  }

  /** @return whether Vert.x's per-task timing is switched off ({@code -Dvertx.disableContextTimings=true}) */
  public static boolean timingsDisabled() {
    return Boolean.getBoolean("vertx.disableContextTimings");
  }

  /** @return the event loops of {@code vertx} (Netty executors), in pool order */
  public static List<EventExecutor> eventLoops(Vertx vertx) {
    List<EventExecutor> loops = new ArrayList<>();
    Iterator<EventExecutor> it = ((VertxInternal) vertx).eventLoopGroup().iterator();
    while (it.hasNext()) {
      loops.add(it.next());
    }
    return loops;
  }

  /** @return whether the event loop group of {@code vertx} is shutting down (Vert.x is closing) */
  public static boolean shuttingDown(Vertx vertx) {
    return ((VertxInternal) vertx).eventLoopGroup().isShuttingDown();
  }

  /** @return whether {@code t} is a Vert.x thread whose tasks Vert.x times */
  public static boolean isTimed(Thread t) {
    return t instanceof VertxThread && !timingsDisabled();
  }

  /** @return whether {@code t} is a Vert.x worker thread */
  public static boolean isWorker(Thread t) {
    return t instanceof VertxThread && ((VertxThread) t).isWorker();
  }

  /**
   * @return {@link System#nanoTime()} at which the task now running on {@code t} started, 0 when the
   * thread is idle, -1 when {@code t} is not a Vert.x thread
   */
  public static long dispatchStartNanos(Thread t) {
    if (t instanceof VertxThread) {
      return ((VertxThread) t).startTime();
    }
    return -1;
  }

  /** @return the context {@code t} is running now, or {@code null} (idle, unknown, or not readable) */
  public static Context contextOf(Thread t) {
    if (THREAD_CONTEXT == null || !(t instanceof VertxThread)) {
      return null;
    }
    try {
      return (Context) THREAD_CONTEXT.getOpaque((VertxThread) t);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** @return whether {@link #contextOf(Thread)} can work in this JVM */
  public static boolean contextReadable() {
    return THREAD_CONTEXT != null;
  }

  /**
   * @return the context an HTTP server request runs on (its own duplicated context, also used by its
   * continuations), from the request the metrics SPI was given ({@code HttpServerRequestInternal.context()}),
   * or {@code null}
   */
  public static Context requestContext(Object request) {
    try {
      return request instanceof HttpServerRequestInternal ? ((HttpServerRequestInternal) request).context() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** @return the class name of the verticle that owns {@code context}, or {@code null} */
  public static String verticleClass(Context context) {
    if (!(context instanceof ContextInternal)) {
      return null;
    }
    try {
      DeploymentContext deployment = ((ContextInternal) context).deployment();
      if (deployment == null || deployment.deployment() == null) {
        return null;
      }
      for (Deployable d : deployment.deployment().instances()) {
        return d.getClass().getName();
      }
      String id = deployment.deployment().identifier();
      return id == null ? null : id.replaceFirst("^java:", "");
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Replaces Vert.x's blocked-thread log for the threads {@code watched} accepts (loopkit reports those,
   * sooner and once per incident); events for other threads are still logged exactly as Vert.x does.
   * Reference-counted per Vert.x instance: the default handler comes back when every replacement is
   * {@linkplain Runnable#run() undone}.
   *
   * @return the undo action (idempotent)
   */
  public static Runnable replaceBlockedThreadLog(Vertx vertx, Predicate<Thread> watched) {
    BlockedThreadChecker checker = ((VertxInternal) vertx).blockedThreadChecker();
    LogReplacement r;
    synchronized (REPLACED) {
      r = REPLACED.computeIfAbsent(vertx, v -> new LogReplacement());
      r.filters.add(watched);
      if (r.filters.size() == 1) {
        checker.setThreadBlockedHandler(r);
      }
    }
    LogReplacement replacement = r;
    boolean[] undone = {false};
    return () -> {
      synchronized (REPLACED) {
        if (undone[0]) {
          return;
        }
        undone[0] = true;
        replacement.filters.remove(watched);
        if (replacement.filters.isEmpty()) {
          REPLACED.remove(vertx);
          checker.setThreadBlockedHandler(null);
        }
      }
    };
  }

  /**
   * Wraps the metrics of a Vert.x instance being built with {@link AttributionMetrics}: the metrics already
   * built (a {@code withMetrics} factory runs first), or, when metrics are enabled but their provider has not
   * run yet, the metrics built now from the first other {@code VertxMetricsFactory} provider on the class path
   * (it then sees metrics present and does not build them twice).
   */
  public static void addAttributionMetrics(io.vertx.core.internal.VertxBootstrap vertxBootstrap, Object self) {
    if (!(vertxBootstrap instanceof io.vertx.core.impl.VertxBootstrapImpl)) {
      LOG.warn("HTTP attribution not installed: Vert.x built with an unknown bootstrap ({}); use "
        + "Vertx.builder().withMetrics(BlockingAttribution.metrics(...)) instead", vertxBootstrap.getClass().getName());
      return;
    }
    io.vertx.core.impl.VertxBootstrapImpl bootstrap = (io.vertx.core.impl.VertxBootstrapImpl) vertxBootstrap;
    io.vertx.core.spi.metrics.VertxMetrics current = bootstrap.metrics();
    if (current == null) {
      io.vertx.core.metrics.MetricsOptions options = bootstrap.options().getMetricsOptions();
      if (options != null && options.isEnabled()) {
        for (io.vertx.core.spi.VertxServiceProvider p : java.util.ServiceLoader.load(io.vertx.core.spi.VertxServiceProvider.class)) {
          if (p instanceof io.vertx.core.spi.VertxMetricsFactory && p.getClass() != self.getClass()) {
            current = ((io.vertx.core.spi.VertxMetricsFactory) p).metrics(bootstrap.options());
            break;
          }
        }
      }
    }
    bootstrap.metrics(AttributionMetrics.wrap(current));
  }

  /** Runs {@code action} when {@code vertx} closes; returns the undo action. */
  public static Runnable addCloseHook(Vertx vertx, Runnable action) {
    io.vertx.core.Closeable hook = completion -> {
      try {
        action.run();
      } finally {
        completion.succeed();
      }
    };
    ((VertxInternal) vertx).addCloseHook(hook);
    return () -> ((VertxInternal) vertx).removeCloseHook(hook);
  }

  /** The handler installed in Vert.x's checker: it runs on Vert.x's timer thread and must never throw. */
  private static final class LogReplacement implements Handler<BlockedThreadEvent> {
    final List<Predicate<Thread>> filters = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void handle(BlockedThreadEvent e) {
      try {
        for (Predicate<Thread> f : filters) {
          if (f.test(e.thread())) {
            return;
          }
        }
        String message = "Thread " + e.thread().getName() + " has been blocked for " + (e.duration() / 1_000_000)
          + " ms, time limit is " + (e.maxExecTime() / 1_000_000) + " ms";
        if (e.duration() <= e.warningExceptionTime()) {
          VERTX_CHECKER_LOG.warn(message);
        } else {
          io.vertx.core.VertxException stack = new io.vertx.core.VertxException("Thread blocked");
          stack.setStackTrace(e.thread().getStackTrace());
          VERTX_CHECKER_LOG.warn(message, stack);
        }
      } catch (Throwable t) {
        // never let an exception reach Vert.x's timer thread: it would stop its checker for good
      }
    }
  }
}
