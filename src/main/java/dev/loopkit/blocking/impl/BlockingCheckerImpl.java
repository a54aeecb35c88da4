package dev.loopkit.blocking.impl;

import dev.loopkit.async.Registration;
import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import dev.loopkit.blocking.BlockingIncident;
import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Replies;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.metrics.Meters;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The checker: wires the {@link Watchdog}, the {@link GcWatch}, the strict {@link StrictRecorder}
 * subscription and the attribution hooks, and delivers every record on one reporter thread — statistics,
 * the log line, the event-bus publication, listeners and meters, each step contained so that a failing
 * listener or sink never stops the checker.
 */
public final class BlockingCheckerImpl implements BlockingChecker, Watchdog.Sink, StrictRecorder.Subscriber {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.blocking");
  private static final Map<Vertx, BusHook> BUS_HOOKS = new HashMap<>();
  private static final AtomicLong CANARIES = new AtomicLong();
  private static final AtomicLong STRICT_IDS = new AtomicLong();
  private static final AtomicLong PAUSE_IDS = new AtomicLong();
  /** Culprits whose stack was already logged (bounded; cleared when full). */
  private static final int MAX_STACKS_REMEMBERED = 10_000;

  private final Vertx vertx;
  private final BlockingCheckerOptions options;
  private final StackAnalyzer analyzer;
  private volatile GcWatch gc;
  private final Watchdog watchdog;
  private final Stats stats;
  /** Built by the first reporter task (off start-up's critical path); used on the reporter thread only. */
  private BlockingMeters meters;
  private final ThreadPoolExecutor reporter;
  private final List<Consumer<BlockingIncident>> listeners = new CopyOnWriteArrayList<>();
  /** Canary blocks in progress, by their allow reason: completed from the watchdog thread when detected. */
  private final Map<String, Promise<BlockingIncident>> canaries = new ConcurrentHashMap<>();
  private final Set<String> stacksLogged = ConcurrentHashMap.newKeySet();
  private final Map<Long, Watched> loopsById = new ConcurrentHashMap<>();
  private final Map<Long, Deque<long[]>> recentByThread = new HashMap<>();
  private final Map<Long, String> recentIds = new HashMap<>();
  private final Map<String, long[]> strictLogged = new HashMap<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Promise<Void> loopsReady = Promise.promise();
  private volatile MessageConsumer<Object> reportConsumer;
  /** This node's own report address (cluster reports gather from every node's): see {@link ClusterReport}. */
  private volatile MessageConsumer<Object> nodeReportConsumer;
  private final Promise<Void> reportRegistered = Promise.promise();
  /** {@code {"id", "name"}} of the node this checker runs on: in every record and report. */
  private final JsonObject node;
  private final Runnable undoLog;
  private final Runnable undoCloseHook;
  private final Future<Void> ready;
  private volatile long lastErrorLogMs;
  private volatile long lastPauseLogMs;

  public BlockingCheckerImpl(Vertx vertx, BlockingCheckerOptions options) {
    this.vertx = vertx;
    this.node = ClusterNode.of(vertx).toJson();
    this.options = new BlockingCheckerOptions(options);
    this.analyzer = new StackAnalyzer(this.options.getFrameworkPackages());
    this.stats = new Stats(this.options.getRecentIncidents());
    this.reporter = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(10_000), r -> {
      Thread t = new Thread(r, "loopkit-blocking-reporter");
      t.setDaemon(true);
      return t;
    }, (r, ex) -> {
      synchronized (stats) {
        stats.dropped++;
      }
    });
    this.watchdog = new Watchdog(vertx, analyzer, this, this.options.getThresholdMs(), this.options.getWorkerThresholdMs(),
      this.options.effectiveSampleIntervalMs(), this.options.getHeartbeatMs(), this.options.getMaxStackDepth());
    // JMX and Micrometer cost ~100 ms of class loading the first time: the reporter thread sets them up
    // before it handles any record, but only once the checker is ready — on 2 cores, loading them while
    // start-up loads the checker's own classes (same jar, same CPUs) made start-up slower
    java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
    submit(() -> {
      try {
        started.await(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      meters = new BlockingMeters(Meters.registry(vertx), node.getString("name"));
      GcWatch g = new GcWatch();
      gc = g;
      watchdog.gc(g);
      if (!closed.get()) {
        g.listen(this::gcPause);
      }
    });
    // the report consumer is registered on an event loop, in parallel with the rest of start-up (the first
    // consumer of a Vert.x instance loads ~20 event-bus classes); ready() waits for it
    vertx.runOnContext(v -> {
      MessageConsumer<Object> c = vertx.eventBus().consumer(this.options.getReportAddress(),
        Replies.guarded(this.options.getReportAddress(), m -> serveReport(m, true)));
      MessageConsumer<Object> n = ClusterReport.registerNodeAddress(vertx, this.options.getReportAddress(), m -> serveReport(m, false));
      reportConsumer = c;
      nodeReportConsumer = n;
      if (closed.get()) {
        c.unregister();
        n.unregister();
        reportRegistered.tryComplete();
      } else {
        Future.all(c.completion(), n.completion()).<Void>mapEmpty().onComplete(reportRegistered);
      }
    });
    if (VertxInternals.timingsDisabled()) {
      LOG.warn("-Dvertx.disableContextTimings=true: Vert.x does not time tasks, so the blocking checker falls back to "
        + "heartbeats (stall start known within {} ms) — remove the property for exact detection", this.options.getHeartbeatMs());
    }
    List<EventExecutor> loops = VertxInternals.eventLoops(vertx);
    AtomicInteger pending = new AtomicInteger(loops.size());
    for (EventExecutor e : loops) {
      try {
        e.execute(() -> {
          try {
            Watched w = watchdog.addLoop(e);
            loopsById.put(w.threadId, w);
            // the lag recorder (HdrHistogram) and the meters are built off the loop and off start-up's
            // critical path (Micrometer's first timer with percentiles costs ~100 ms of class loading)
            submit(() -> {
              w.createLagRecorder();
              w.lagTimer = meters.lag(w.name);
            });
          } finally {
            if (pending.decrementAndGet() == 0) {
              loopsReady.tryComplete();
            }
          }
        });
      } catch (RejectedExecutionException ex) {
        if (pending.decrementAndGet() == 0) {
          loopsReady.tryComplete();
        }
      }
    }
    if (loops.isEmpty()) {
      loopsReady.tryComplete();
    }
    watchdog.start();
    installBusHook(vertx);
    this.undoLog = this.options.isReplaceVertxLog() ? VertxInternals.replaceBlockedThreadLog(vertx, this::isWatching) : () -> { };
    this.undoCloseHook = VertxInternals.addCloseHook(vertx, () -> close());
    List<Future<?>> parts = new ArrayList<>();
    parts.add(loopsReady.future());
    parts.add(reportRegistered.future());
    if (this.options.isStrict()) {
      Promise<Void> strictReady = Promise.promise();
      // a JVM without JFR degrades to the watchdog alone (StrictRecorder logged why); it does not stop start-up
      StrictRecorder.subscribe(this).whenComplete((v, err) -> strictReady.tryComplete());
      parts.add(strictReady.future());
    }
    this.ready = Future.all(parts).mapEmpty();
    this.ready.onComplete(ar -> started.countDown());
  }

  // ------------------------------------------------------------------------------------------- API

  @Override
  public Future<Void> ready() {
    return ready;
  }

  @Override
  public BlockingCheckerOptions options() {
    return new BlockingCheckerOptions(options);
  }

  @Override
  public Registration onIncident(Consumer<BlockingIncident> listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public JsonObject report() {
    return report(false, options.getRecentIncidents());
  }

  @Override
  public JsonObject report(boolean reset) {
    return report(reset, options.getRecentIncidents());
  }

  private JsonObject report(boolean reset, int recent) {
    return stats.report(new ArrayList<>(watchdog.loops), watchdog.workerCount(), options.getTopCulprits(), recent, reset,
      options.getThresholdMs(), options.isStrict()).put("node", node.copy());
  }

  @Override
  public List<String> watchedLoops() {
    List<String> names = new ArrayList<>();
    for (Watched w : watchdog.loops) {
      names.add(w.name);
    }
    return names;
  }

  @Override
  public boolean isWatching(Thread thread) {
    if (loopsById.containsKey(thread.getId())) {
      return loopsById.get(thread.getId()).thread == thread;
    }
    if (options.getWorkerThresholdMs() > 0 && VertxInternals.isWorker(thread) && VertxInternals.contextReadable()) {
      Context c = VertxInternals.contextOf(thread);
      return c == null || c.owner() == vertx;
    }
    return false;
  }

  /** Attempts of the canary: a block that a busy machine made look like a JVM pause is tried again. */
  private static final int CANARY_ATTEMPTS = 5;
  /** How long each canary attempt waits for its block to be reported, beyond the block itself. */
  private static final long CANARY_WINDOW_MS = 3_000;

  /**
   * @return how long {@link #canary()} may take in total: generous, so that a loaded machine (the canary's
   * block delayed, the watchdog starved, a stall discounted as a pause) never makes detection look dead
   */
  public static long canaryBudgetMs(long thresholdMs) {
    return CANARY_ATTEMPTS * (canaryBlockMs(thresholdMs) + CANARY_WINDOW_MS + 2 * thresholdMs);
  }

  private static long canaryBlockMs(long thresholdMs) {
    return thresholdMs + Math.max(20, thresholdMs / 2);
  }

  @Override
  public Future<BlockingIncident> canary() {
    String reason = "loopkit canary #" + CANARIES.incrementAndGet();
    Promise<BlockingIncident> promise = Promise.promise();
    // detected on the watchdog thread itself (see record): no wait behind the reporter's queue or start-up
    canaries.put(reason, promise);
    ready.onComplete(ar -> canaryAttempt(reason, promise, 1));
    return promise.future();
  }

  @dev.loopkit.blocking.AllowBlocking("the canary blocks a loop on purpose, to prove detection is live")
  private void canaryAttempt(String reason, Promise<BlockingIncident> promise, int attempt) {
    if (promise.future().isComplete() || closed.get()) {
      canaries.remove(reason);
      promise.tryFail("the checker was closed");
      return;
    }
    long blockMs = canaryBlockMs(options.getThresholdMs());
    long waitMs = blockMs + CANARY_WINDOW_MS + 2 * options.getThresholdMs();
    vertx.setTimer(waitMs, t -> {
      if (promise.future().isComplete()) {
        return;
      }
      if (attempt < CANARY_ATTEMPTS) {
        canaryAttempt(reason, promise, attempt + 1);
      } else {
        canaries.remove(reason);
        promise.tryFail(new IllegalStateException("blocking detection is not live: " + CANARY_ATTEMPTS + " blocks of "
          + blockMs + " ms of an event loop were not reported within " + waitMs + " ms each (is "
          + "-Dvertx.disableContextTimings set, or did the Vert.x internals loopkit relies on change? run VertxInternalsTest)"));
      }
    });
    vertx.runOnContext(v -> dev.loopkit.blocking.BlockingAttribution.allow(reason, () -> {
      long end = System.nanoTime() + blockMs * 1_000_000L;
      while (System.nanoTime() < end && !promise.future().isComplete()) {
        try {
          Thread.sleep(Math.max(1, Math.min(10, (end - System.nanoTime()) / 1_000_000L)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }));
  }

  @Override
  public Future<Void> drain() {
    if (closed.get()) {
      return Future.succeededFuture();
    }
    Promise<Void> drained = Promise.promise();
    long tick = Math.max(1, watchdog.tickNanos() / 1_000_000);
    java.util.concurrent.CompletableFuture<Void> strict = options.isStrict()
      ? StrictRecorder.marker() : java.util.concurrent.CompletableFuture.completedFuture(null);
    // two watchdog ticks: a stall that just ended gets its final record queued; then the queue drains
    java.util.concurrent.CompletableFuture.delayedExecutor(2 * tick + 1, TimeUnit.MILLISECONDS)
      .execute(() -> strict.whenComplete((v, err) -> {
        if (reporter.isShutdown()) {
          drained.tryComplete();
          return;
        }
        try {
          reporter.execute(drained::tryComplete);
        } catch (RejectedExecutionException e) {
          drained.tryComplete();
        }
      }));
    return drained.future();
  }

  @Override
  public Future<Void> close() {
    if (!closed.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    watchdog.stop();
    submit(() -> {
      GcWatch g = gc;
      if (g != null) {
        g.close();
      }
    });
    reporter.execute(() -> {
      if (meters != null) {
        meters.close();
      }
    });
    if (options.isStrict()) {
      StrictRecorder.unsubscribe(this);
    }
    uninstallBusHook(vertx);
    safely(undoLog);
    safely(undoCloseHook);
    reporter.shutdown();
    MessageConsumer<Object> c = reportConsumer;
    MessageConsumer<Object> n = nodeReportConsumer;
    if (n != null) {
      safely(n::unregister);
    }
    if (c == null) {
      // not registered yet: the registration task sees `closed` and unregisters at once
      reportRegistered.tryFail("closed before start-up completed");
      return Future.succeededFuture();
    }
    try {
      return c.unregister().otherwiseEmpty();
    } catch (RuntimeException e) {
      return Future.succeededFuture();
    }
  }

  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException ignored) {
      // closing anyway
    }
  }

  // -------------------------------------------------------------------------------------- report API

  /** @param sharedAddress whether {@code msg} came on the shared address (which also takes scope cluster) */
  private void serveReport(Message<Object> msg, boolean sharedAddress) {
    Object body = msg.body();
    if (body != null && !(body instanceof JsonObject)) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, "body: must be a JSON object or empty, got " + ConfigReader.show(body));
      return;
    }
    boolean reset;
    int recent;
    String scope;
    try {
      ConfigReader r = ConfigReader.of((JsonObject) body, "body");
      reset = r.bool("reset", false);
      recent = r.integer("recent", options.getRecentIncidents(), 0, 1000);
      scope = sharedAddress ? r.oneOf("scope", "node", "node", "cluster") : r.oneOf("scope", "node", "node");
      r.done();
    } catch (ConfigException e) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, e.getMessage());
      return;
    }
    if ("cluster".equals(scope)) {
      ClusterReport.serve(vertx, msg, options.getReportAddress(), reset, recent);
      return;
    }
    msg.reply(report(reset, recent));
  }

  // ------------------------------------------------------------------------------ watchdog callbacks

  @Override
  public void record(Incident incident, JsonObject record, boolean ongoing, long durationNanos) {
    Watched w = incident.watched;
    if (!canaries.isEmpty()) {
      String allowed = record.getString("allowed");
      Promise<BlockingIncident> canary = allowed == null ? null : canaries.remove(allowed);
      if (canary != null) {
        canary.tryComplete(new BlockingIncident(record.copy()));
      }
    }
    boolean first = ongoing || !incident.ongoingPublished;
    long startMs = incident.startEpochMs;
    // the wall-clock span, JVM pauses included (durationNanos leaves them out): strict findings are matched
    // against it by their JFR timestamps
    long wallEndMs = ongoing ? -1 : startMs + (durationNanos + incident.pauseNanos) / 1_000_000;
    submit(() -> {
      rememberRuntime(w.threadId, record.getString("id"), startMs, wallEndMs);
      if (first) {
        stats.incidentStarted(record, w);
      }
      if (!ongoing) {
        stats.incidentEnded(record, w, durationNanos);
      }
      step(() -> logRecord(record, first));
      if (first) {
        step(() -> meters.incident(record.getString("verticle"), record.getString("kind"), "runtime"));
      }
      if (!ongoing) {
        step(() -> meters.blocked(record.getString("verticle"), record.getString("kind"), durationNanos));
      }
      deliver(record);
    });
  }

  @Override
  public void nearMiss(Incident incident, long durationNanos) {
    Watched w = incident.watched;
    JsonObject record = incident.toJson(incident.startNanos + durationNanos + incident.pauseNanos, false,
      options.getThresholdMs(), 1);
    submit(() -> {
      stats.nearMiss(record, w, durationNanos);
      step(() -> meters.nearMiss(w.name));
      if (LOG.isDebugEnabled()) {
        LOG.debug("near miss: event loop {} busy {} ms (below the {} ms threshold) in {}", w.name, durationNanos / 1_000_000,
          options.getThresholdMs(), record.getJsonObject("culprit"));
      }
    });
  }

  @Override
  public void debuggerHeld(Watched w) {
    submit(() -> {
      stats.debuggerHold();
      long now = System.currentTimeMillis();
      if (now - lastPauseLogMs > 60_000) {
        lastPauseLogMs = now;
        LOG.info("{} is suspended by a debugger: not reported as blocking while suspended (logged at most once a minute)", w.name);
      }
    });
  }

  @Override
  public void jvmPaused(long nanos, long startEpochMs) {
    long ms = nanos / 1_000_000;
    JsonObject record = ms < options.getThresholdMs() ? null : new JsonObject()
      .put("id", "pause-" + PAUSE_IDS.incrementAndGet())
      .put("detection", "runtime")
      .put("thread", "*")
      .put("worker", false)
      .put("durationMs", ms)
      .put("pausedMs", ms)
      .put("thresholdMs", options.getThresholdMs())
      .put("ongoing", false)
      .put("startedAt", java.time.Instant.ofEpochMilli(startEpochMs).toString())
      .put("culprit", null)
      .put("kind", BlockingKind.PAUSE.jsonName())
      .put("verticle", null)
      .put("deploymentId", null)
      .put("source", "pause")
      .put("debugger", Watchdog.jdwpLoaded())
      .put("phases", new JsonArray())
      .put("stack", new JsonArray());
    submit(() -> {
      stats.jvmPause(nanos);
      long now = System.currentTimeMillis();
      if (now - lastPauseLogMs > 60_000) {
        lastPauseLogMs = now;
        LOG.info("the whole JVM was paused for {} ms (not GC: {}); stalls during the pause are not blamed on code "
          + "(logged at most once a minute)", ms,
          Watchdog.jdwpLoaded() ? "a debugger (JDWP is loaded) suspended all threads" : "SIGSTOP, a VM operation or a frozen host");
      }
      if (record != null) {
        step(() -> meters.incident(null, BlockingKind.PAUSE.jsonName(), "runtime"));
        deliver(record);
      }
    });
  }

  @Override
  public void periodic() {
    // the heartbeats record lag into a wait-free HdrHistogram recorder on the loops; Micrometer's timers
    // (percentile histograms with locks and auto-resizing) are fed here, on the reporter thread
    if (reporter.getQueue().isEmpty()) {
      submit(() -> {
        for (Watched w : watchdog.loops) {
          w.feedLagTimer();
        }
      });
    }
  }

  @Override
  public void watchdogError(Throwable t) {
    synchronized (stats) {
      stats.sinkErrors++;
    }
    logError("the blocking watchdog hit {} — it keeps running; please report this as a loopkit bug", t);
  }

  private void gcPause(GcWatch.Pause p) {
    if (p.durationMs < options.getThresholdMs()) {
      return;
    }
    JsonObject record = new JsonObject()
      .put("id", "gc-" + System.nanoTime())
      .put("detection", "runtime")
      .put("thread", "*")
      .put("worker", false)
      .put("durationMs", p.durationMs)
      .put("thresholdMs", options.getThresholdMs())
      .put("ongoing", false)
      .put("startedAt", java.time.Instant.ofEpochMilli(System.currentTimeMillis() - p.durationMs).toString())
      .put("culprit", null)
      .put("kind", BlockingKind.GC.jsonName())
      .put("verticle", null)
      .put("deploymentId", null)
      .put("source", "gc")
      .put("gc", new JsonObject().put("collector", p.collector).put("action", p.action).put("cause", p.cause))
      .put("phases", new JsonArray())
      .put("stack", new JsonArray());
    submit(() -> {
      stats.gcPause(p.durationMs);
      // not the code's fault: INFO (the report, the bus and the meters carry it for whoever watches GC)
      step(() -> LOG.info(IncidentText.line(record)));
      step(() -> meters.incident(null, BlockingKind.GC.jsonName(), "runtime"));
      deliver(record);
    });
  }

  // -------------------------------------------------------------------------------------------- strict

  @Override
  public boolean watches(long threadId) {
    return loopsById.containsKey(threadId);
  }

  @Override
  public void onEvent(StrictRecorder.Finding f) {
    if (f.durationNanos < options.getStrictThresholdMs() * 1_000_000L) {
      return;
    }
    int culprit = analyzer.culpritIndex(f.frames);
    String ignored = StrictFilter.ignored(f, culprit, analyzer);
    if (ignored != null) {
      synchronized (stats) {
        stats.strictIgnored++;
      }
      return;
    }
    submit(() -> strictFinding(f, culprit));
  }

  private void strictFinding(StrictRecorder.Finding f, int culpritIndex) {
    BlockingKind kind = analyzer.kind(f.frames, culpritIndex, null);
    if (kind == BlockingKind.UNKNOWN || kind == BlockingKind.CPU) {
      kind = f.eventKind();
    }
    StackFrame culprit = f.frames.get(culpritIndex);
    long durationMs = f.durationNanos / 1_000_000;
    String linked = linkedRuntimeIncident(f.threadId, f.startEpochMs, f.startEpochMs + durationMs);
    String allowed = Attribution.allowedByAnnotation(f.frames, culpritIndex, analyzer);
    JsonObject record = new JsonObject()
      .put("id", "strict-" + STRICT_IDS.incrementAndGet())
      .put("detection", "strict")
      .put("event", f.event)
      .put("thread", f.threadName)
      .put("worker", false)
      .put("durationMs", durationMs)
      .put("durationUs", f.durationNanos / 1_000)
      .put("thresholdMs", options.getStrictThresholdMs())
      .put("ongoing", false)
      .put("startedAt", java.time.Instant.ofEpochMilli(f.startEpochMs).toString())
      .put("culprit", culprit.toJson())
      .put("kind", kind.jsonName())
      .put("verticle", analyzer.verticleFromStack(f.frames))
      .put("deploymentId", null)
      .put("source", StackAnalyzer.source(f.frames));
    if (f.detail != null) {
      record.put("detail", f.detail);
    }
    if (linked != null) {
      record.put("incident", linked);
    }
    if (allowed != null) {
      record.put("allowed", allowed);
    }
    record.put("stack", Sample.stackJson(f.frames, options.getMaxStackDepth()));
    stats.strictFinding(record, f.durationNanos);
    step(() -> meters.incident(record.getString("verticle"), record.getString("kind"), "strict"));
    if (linked == null) {
      step(() -> logStrict(record, culprit));
    }
    deliver(record);
  }

  private void rememberRuntime(long threadId, String id, long startMs, long endMs) {
    Deque<long[]> d = recentByThread.computeIfAbsent(threadId, k -> new ArrayDeque<>());
    long key = id.hashCode();
    for (long[] e : d) {
      if (e[0] == key) {
        e[2] = endMs;
        return;
      }
    }
    d.addLast(new long[] {key, startMs, endMs});
    recentIds.put(key, id);
    while (d.size() > 32) {
      recentIds.remove(d.removeFirst()[0]);
    }
  }

  /** @return the runtime incident on that thread that overlaps [startMs, endMs] most (10 ms slack), or null */
  private String linkedRuntimeIncident(long threadId, long startMs, long endMs) {
    Deque<long[]> d = recentByThread.get(threadId);
    if (d == null) {
      return null;
    }
    long[] best = null;
    long bestOverlap = Long.MIN_VALUE;
    for (long[] e : d) {
      long incEnd = e[2] < 0 ? Long.MAX_VALUE : e[2];
      long overlap = Math.min(endMs, incEnd) - Math.max(startMs, e[1]);
      if (overlap >= -10 && overlap > bestOverlap) {
        best = e;
        bestOverlap = overlap;
      }
    }
    return best == null ? null : recentIds.get(best[0]);
  }

  // ------------------------------------------------------------------------------------------ delivery

  private void submit(Runnable r) {
    if (closed.get() && reporter.isShutdown()) {
      return;
    }
    try {
      reporter.execute(() -> contained(r, "delivering a blocking record failed with {} — the checker keeps running"));
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  private void step(Runnable r) {
    contained(r, "a blocking-checker sink (log/meters) threw {} — contained; the checker keeps running");
  }

  /** Runs {@code r}; a throwable is counted as a sink error and logged with {@code message}, never rethrown. */
  private void contained(Runnable r, String message) {
    try {
      r.run();
    } catch (Throwable t) {
      synchronized (stats) {
        stats.sinkErrors++;
      }
      logError(message, t);
    }
  }

  private void deliver(JsonObject record) {
    // published cluster-wide: which node it happened on
    record.put("node", node.copy());
    step(() -> {
      if (!closed.get()) {
        vertx.eventBus().publish(options.getAddress(), record);
      }
    });
    if (!listeners.isEmpty()) {
      BlockingIncident incident = new BlockingIncident(record);
      for (Consumer<BlockingIncident> l : listeners) {
        try {
          l.accept(incident);
        } catch (Throwable t) {
          synchronized (stats) {
            stats.sinkErrors++;
          }
          logError("a blocking-incident listener threw {} — contained; fix the listener (the checker keeps running)", t);
        }
      }
    }
  }

  private void logRecord(JsonObject record, boolean first) {
    boolean warmUp = record.getBoolean("warmUp", false);
    boolean framework = record.getJsonObject("culprit") == null;
    if (!first) {
      if (warmUp) {
        LOG.debug(IncidentText.endLine(record));
      } else {
        LOG.info(IncidentText.endLine(record));
      }
      return;
    }
    String line = IncidentText.line(record);
    if (record.getString("allowed") != null) {
      LOG.info(line);
      return;
    }
    if (warmUp) {
      // the JVM warming up (class loading/initialisation, call-site linking, a library's first use, or
      // framework-only code during start-up): in the report and on the bus, but not an alarm — an application
      // frame makes it INFO
      String why = warmUpReason(record);
      if (framework) {
        LOG.debug("{} ({}: JVM warm-up, nothing to fix)", line, why);
      } else {
        LOG.info("{} ({}: JVM warm-up, so INFO rather than WARN)", line, why);
      }
      return;
    }
    if (record.getBoolean("console", false)) {
      LOG.info("{} (writing to the console: whoever reads this process's stdout/stderr is slow; log asynchronously "
        + "if it recurs — INFO rather than WARN)", line);
      return;
    }
    if (record.getBoolean("inLibrary", false)) {
      LOG.info("{} (spent inside Vert.x/Netty/Jackson/logging/metrics code on the application's behalf, not a blocking call "
        + "it made: INFO rather than WARN)", line);
      return;
    }
    if (record.getBoolean("overloaded", false)) {
      LOG.info("{} (the loop got only {}% of a CPU meanwhile: the machine is overloaded rather than the code blocking, "
        + "so INFO rather than WARN)", line, record.getValue("cpuPercent"));
      return;
    }
    Throwable stack = stackToLog(record);
    if (stack != null) {
      LOG.warn(line, stack);
    } else {
      LOG.warn(line);
    }
  }

  /** @return why a record is JVM warm-up, in a few words */
  public static String warmUpReason(JsonObject record) {
    if (record.getBoolean("classLoading", false)) {
      return "the loop was loading classes";
    }
    if (record.getBoolean("classInit", false)) {
      return "the loop waited for another thread to initialise a class it uses for the first time";
    }
    if (record.getBoolean("firstUse", false)) {
      return "the first call of a library at this call site (class loading, code not yet compiled)";
    }
    if (record.getJsonObject("culprit") == null) {
      return "no application frame, during start-up";
    }
    return "the loop was initialising classes or linking call sites";
  }

  private void logStrict(JsonObject record, StackFrame culprit) {
    String key = culprit + " " + record.getString("kind");
    long now = System.currentTimeMillis();
    long suppressed;
    synchronized (strictLogged) {
      long[] s = strictLogged.get(key);
      if (s != null && now - s[0] < 10_000) {
        s[1]++;
        return;
      }
      suppressed = s == null ? 0 : s[1];
      if (strictLogged.size() > MAX_STACKS_REMEMBERED) {
        strictLogged.clear();
      }
      strictLogged.put(key, new long[] {now, 0});
    }
    String line = IncidentText.line(record) + (suppressed > 0 ? " (+" + suppressed + " more from the same call site in the last 10 s)" : "");
    if (record.getString("allowed") != null) {
      LOG.info(line);
      return;
    }
    Throwable stack = stackToLog(record);
    if (stack != null) {
      LOG.warn(line, stack);
    } else {
      LOG.warn(line);
    }
  }

  private Throwable stackToLog(JsonObject record) {
    String mode = options.getLogStacks();
    if ("never".equals(mode)) {
      return null;
    }
    JsonObject c = record.getJsonObject("culprit");
    String key = (c == null ? "(framework)" : StackFrame.fromJson(c).toString()) + " " + record.getString("kind");
    if ("once".equals(mode)) {
      if (stacksLogged.size() > MAX_STACKS_REMEMBERED) {
        stacksLogged.clear();
      }
      if (!stacksLogged.add(key)) {
        return null;
      }
    }
    JsonArray frames = record.getJsonArray("stack", new JsonArray());
    StackTraceElement[] elements = new StackTraceElement[frames.size()];
    for (int i = 0; i < frames.size(); i++) {
      JsonObject f = frames.getJsonObject(i);
      elements[i] = new StackTraceElement(f.getString("class"), f.getString("method"), f.getString("file"), f.getInteger("line", -1));
    }
    return new BlockedStack("stack of " + record.getString("thread") + " (" + record.getString("id") + "); logged once per culprit", elements);
  }

  private void logError(String message, Throwable t) {
    long now = System.currentTimeMillis();
    if (now - lastErrorLogMs > 10_000) {
      lastErrorLogMs = now;
      LOG.error(message, t.toString(), t);
    }
  }

  /** The stack of a blocked thread, logged under the WARN line. */
  static final class BlockedStack extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BlockedStack(String message, StackTraceElement[] frames) {
      super(message, null, false, true);
      setStackTrace(frames);
    }

    @Override
    public String toString() {
      return getMessage();
    }
  }

  // ------------------------------------------------------------------------------- event-bus attribution

  private static void installBusHook(Vertx vertx) {
    synchronized (BUS_HOOKS) {
      BusHook hook = BUS_HOOKS.get(vertx);
      if (hook == null) {
        hook = new BusHook();
        vertx.eventBus().addInboundInterceptor(hook);
        BUS_HOOKS.put(vertx, hook);
      }
      hook.users++;
    }
  }

  private static void uninstallBusHook(Vertx vertx) {
    synchronized (BUS_HOOKS) {
      BusHook hook = BUS_HOOKS.get(vertx);
      if (hook != null && --hook.users == 0) {
        BUS_HOOKS.remove(vertx);
        try {
          vertx.eventBus().removeInboundInterceptor(hook);
        } catch (RuntimeException ignored) {
          // Vert.x closing
        }
      }
    }
  }

  /** Records the address being handled in the thread's {@link ThreadSlot}, around the consumer. */
  private static final class BusHook implements Handler<DeliveryContext<Object>> {
    /** The thread's own context is read per incident when possible; else the hook captures it per message. */
    static final boolean CAPTURE_CONTEXT = !VertxInternals.contextReadable();
    int users;

    @Override
    public void handle(DeliveryContext<Object> dc) {
      if (!(Thread.currentThread() instanceof FastThreadLocalThread)) {
        dc.next();
        return;
      }
      ThreadSlot slot = ThreadSlot.current();
      String prevAddress = slot.address();
      if (CAPTURE_CONTEXT) {
        Context prevContext = slot.context();
        slot.address(dc.message().address());
        slot.context(Vertx.currentContext());
        try {
          dc.next();
        } finally {
          slot.address(prevAddress);
          slot.context(prevContext);
        }
      } else {
        slot.address(dc.message().address());
        try {
          dc.next();
        } finally {
          slot.address(prevAddress);
        }
      }
    }
  }
}
