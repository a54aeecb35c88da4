package dev.loopkit.blocking.impl;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * The watchdog thread: every tick (a twentieth of the threshold, within [1, 5] ms) it reads, for each
 * watched thread, when the task now running started (Vert.x's own per-dispatch clock), and:
 *
 * <ol>
 *   <li>from half the threshold on, samples the thread's stack every sampling period — so the culprit is
 *   the frame that <em>started</em> the stall, and phases show when the blocking frame changes;</li>
 *   <li>when the stall reaches the threshold (minus time the whole JVM was paused), emits the
 *   {@code ongoing} record at once — while the loop is still blocked;</li>
 *   <li>when the task ends, emits the final record (total duration and phases), or counts a near miss
 *   (half the threshold or more) so that repeated short stalls stay visible.</li>
 * </ol>
 *
 * Paused time is discounted: a tick that comes late while GC collection time grew is a GC pause (reported
 * once, by {@link GcWatch}, as kind {@code gc}); a late tick during which no idle loop's heartbeat ran is a
 * JVM-wide pause (a debugger suspending all threads, SIGSTOP). A thread a debugger has suspended is never
 * reported. The loop never dies: a failing tick is logged (rate-limited) and the next tick runs.
 */
final class Watchdog implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.blocking");
  private static final long MS = 1_000_000L;
  /**
   * Stalls with no application frame that start this soon after the checker are JVM start-up (class
   * loading, interpreted and JIT-compiling code on a busy machine): recorded with {@code "warmUp": true}
   * and logged at DEBUG instead of WARN.
   */
  static final long STARTUP_WINDOW_NANOS = 30_000 * MS;
  /** A late tick by more than this may be a pause. */
  private static final long PAUSE_SLACK = 5 * MS;

  interface Sink {
    void record(Incident incident, JsonObject record, boolean ongoing, long durationNanos);

    void nearMiss(Incident incident, long durationNanos);

    void debuggerHeld(Watched w);

    /** The whole JVM was stopped for {@code nanos}, from {@code startEpochMs} (about). */
    void jvmPaused(long nanos, long startEpochMs);

    void watchdogError(Throwable t);

    /** Called about once a second on the watchdog thread (must only hand work over, never block). */
    void periodic();
  }

  private final Vertx vertx;
  private final StackAnalyzer analyzer;
  private final Sink sink;
  private final long thresholdMs;
  private final long thresholdNanos;
  private final long workerThresholdNanos;
  private final long sampleIntervalNanos;
  private final long tickNanos;
  private final long heartbeatNanos;
  private final int maxDepth;
  private volatile GcWatch gc;
  final List<Watched> loops = new CopyOnWriteArrayList<>();
  private final Map<Thread, Watched> workers = new HashMap<>();
  private final boolean timed;
  private volatile boolean running = true;
  private final Thread thread;
  private final long createdNanos = System.nanoTime();
  private long lastTick;
  /** How long the watchdog meant to sleep before the current tick. */
  private long lastSleep;
  /** The earliest moment a watched thread can need a look (computed by each tick). */
  private long nextLook;
  private long nextPeriodic;
  private long lastGcMs;
  private long lastProcessCpu = -1;
  /** The last paused intervals (GC, JVM-wide pauses): [from, to] in System.nanoTime(), a ring. */
  private final long[] pausedFrom = new long[16];
  private final long[] pausedTo = new long[16];
  private int pausedNext;
  private boolean gcSeen;
  private long nextWorkerScan;
  /** What the watchdog was last doing, for the slow-tick diagnostic. */
  private volatile String step = "idle";

  Watchdog(Vertx vertx, StackAnalyzer analyzer, Sink sink, long thresholdMs, long workerThresholdMs,
           long sampleIntervalMs, long heartbeatMs, int maxDepth) {
    this.vertx = vertx;
    this.analyzer = analyzer;
    this.sink = sink;
    this.thresholdMs = thresholdMs;
    this.thresholdNanos = thresholdMs * MS;
    this.workerThresholdNanos = workerThresholdMs * MS;
    this.sampleIntervalNanos = sampleIntervalMs * MS;
    this.tickNanos = Math.max(MS, Math.min(5 * MS, thresholdNanos / 20));
    this.heartbeatNanos = heartbeatMs * MS;
    this.maxDepth = maxDepth;
    this.timed = !VertxInternals.timingsDisabled();
    this.thread = new Thread(this, "loopkit-blocking-watchdog");
    this.thread.setDaemon(true);
    this.thread.setPriority(Thread.MAX_PRIORITY);
  }

  /** Sets the GC watch once it exists (built off the start-up path); until then no GC time is discounted. */
  void gc(GcWatch g) {
    this.gc = g;
  }

  private long gcMs() {
    GcWatch g = gc;
    return g == null ? 0 : g.totalPauseMs();
  }

  void start() {
    thread.start();
  }

  void stop() {
    running = false;
    LockSupport.unpark(thread);
    for (Watched w : loops) {
      w.stopHeartbeat();
    }
  }

  boolean isRunning() {
    return running && thread.isAlive();
  }

  long tickNanos() {
    return tickNanos;
  }

  /** Registers the calling thread, an event loop, and starts its heartbeat. */
  Watched addLoop(io.netty.util.concurrent.EventExecutor executor) {
    Watched w = new Watched(Thread.currentThread(), true, thresholdNanos, sampleIntervalNanos);
    w.startHeartbeat(executor, heartbeatNanos);
    loops.add(w);
    return w;
  }

  int workerCount() {
    synchronized (workers) {
      return workers.size();
    }
  }

  @Override
  public void run() {
    lastTick = System.nanoTime();
    lastSleep = tickNanos;
    nextPeriodic = lastTick + 1_000 * MS;
    lastGcMs = gcMs();
    lastProcessCpu = processCpuNanos();
    while (running) {
      LockSupport.parkNanos(lastSleep);
      if (!running) {
        break;
      }
      long began = System.nanoTime();
      long cpuBefore = processCpuNanos();
      try {
        tick();
      } catch (Throwable t) {
        nextLook = began + tickNanos;
        sink.watchdogError(t);
      }
      long took = System.nanoTime() - began;
      long cpuUsed = processCpuNanos() - cpuBefore;
      // a tick that spans a JVM-wide pause (the JVM used almost no CPU meanwhile) is the pause, not a bug
      if (took > 1_000 * MS && !(cpuBefore >= 0 && cpuUsed < took / 4)) {
        LOG.warn("a blocking-watchdog tick took {} ms (last step: {}); detection was late meanwhile — please report "
          + "this with the log as a loopkit bug", took / MS, step);
      }
      lastSleep = sleepUntil(nextLook);
    }
  }

  /**
   * Adaptive period: the watchdog ticks every {@code tickNanos} while a thread is in a stall (sampling,
   * reporting at the threshold, seeing the end), and otherwise sleeps until the earliest moment a task
   * running now — or one starting right after this tick — can reach half the threshold, where the first
   * stack is taken. On a busy server with no stalls that is ~20 wake-ups a second instead of 200, with the
   * same detection latency (the first sample is still taken at half the threshold, the ongoing record
   * within one tick of the threshold).
   */
  private long sleepUntil(long target) {
    long now = System.nanoTime();
    long next = Math.min(target, nextPeriodic);
    return Math.max(tickNanos / 4, Math.min(next - now, 1_000 * MS));
  }

  private void tick() {
    long now = System.nanoTime();
    long prev = lastTick;
    long late = now - prev - lastSleep;
    nextLook = now + Math.max(tickNanos, loopSampleFromNanos());
    if (!gcSeen && gc != null) {
      gcSeen = true;
      lastGcMs = gcMs();
    }
    long gcMs = gcMs();
    long gcDelta = gcMs - lastGcMs;
    lastGcMs = gcMs;
    long cpu = processCpuNanos();
    long cpuDelta = cpu < 0 || lastProcessCpu < 0 ? -1 : cpu - lastProcessCpu;
    lastProcessCpu = cpu;
    long pause = 0;
    if (late > PAUSE_SLACK) {
      if (gcDelta > 0) {
        pause = Math.min(late, gcDelta * MS);
      }
      if (pause < late && late >= Math.max(20 * MS, thresholdNanos / 2) && jvmWidePause(prev, late, cpuDelta)) {
        pause = late;
        sink.jvmPaused(late, System.currentTimeMillis() - late / MS);
      }
    }
    if (pause > 0) {
      rememberPause(now - pause, now);
    }
    for (Watched w : loops) {
      if (!w.thread.isAlive()) {
        loops.remove(w);
        continue;
      }
      check(w, now, prev, pause);
    }
    if (workerThresholdNanos > 0) {
      checkWorkers(now, prev, pause);
    }
    lastTick = now;
    if (now >= nextPeriodic) {
      nextPeriodic = now + 1_000 * MS;
      sink.periodic();
    }
  }

  private long loopSampleFromNanos() {
    return thresholdNanos / 2;
  }

  /** Makes the next tick come no later than {@code at} (or one tick from now when {@code at} has passed). */
  private void lookBy(long at, long now) {
    long t = at <= now ? now + tickNanos : at;
    if (t < nextLook) {
      nextLook = t;
    }
  }

  /**
   * @return whether the whole JVM was stopped between the previous tick and now (SIGSTOP, a debugger
   * suspending every thread, a frozen host) rather than the watchdog alone being late. Evidence from every
   * loop's heartbeats: a loop that beat during the window contradicts a pause; a loop whose last long gap
   * between two beats spans the window supports it (it resumed with the JVM); a loop that did not beat since
   * is neutral (busy, or still catching up). With no loop supporting it, the JVM's CPU time decides: a
   * process that used under 5% of one CPU while the watchdog was late did not run.
   */
  private boolean jvmWidePause(long prev, long late, long cpuDelta) {
    // beats until the tick was due are normal: lateness starts there
    long due = prev + lastSleep + PAUSE_SLACK;
    boolean support = false;
    for (Watched w : loops) {
      long beat = w.lastBeatNanos();
      if (beat <= due) {
        continue;
      }
      long from = w.gapFromNanos();
      long to = w.gapToNanos();
      if (to > due && from <= due && to - from >= late / 2) {
        support = true;
      } else {
        return false;
      }
    }
    return support || cpuDelta >= 0 && cpuDelta < late / 20;
  }

  private void rememberPause(long from, long to) {
    pausedFrom[pausedNext] = from;
    pausedTo[pausedNext] = to;
    pausedNext = (pausedNext + 1) % pausedFrom.length;
  }

  /** @return how much of [from, to] the JVM spent paused (GC or JVM-wide), as far as the ring remembers */
  private long pausedSince(long from, long to) {
    long sum = 0;
    for (int i = 0; i < pausedFrom.length; i++) {
      long a = Math.max(from, pausedFrom[i]);
      long b = Math.min(to, pausedTo[i]);
      if (pausedTo[i] != 0 && b > a) {
        sum += b - a;
      }
    }
    return Math.min(sum, to - from);
  }

  private static final java.lang.management.OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();

  /** @return the CPU time the whole JVM used so far, or -1 when unknown */
  private static long processCpuNanos() {
    try {
      return OS instanceof com.sun.management.OperatingSystemMXBean
        ? ((com.sun.management.OperatingSystemMXBean) OS).getProcessCpuTime() : -1;
    } catch (RuntimeException | LinkageError e) {
      return -1;
    }
  }

  /**
   * @return whether a task start seen now belongs to {@code inc}: the same start, or an earlier one — within
   * one stall the estimate only moves earlier (the heartbeat, once overdue, may date it before Vert.x's own
   * task start); a later start is a new task, 0 an idle loop
   */
  private static boolean sameStall(long start, Incident inc) {
    return start > 0 && start <= inc.startNanos;
  }

  private void check(Watched w, long now, long prev, long pause) {
    long start = taskStart(w, now);
    Incident inc = w.incident;
    if (inc != null && !sameStall(start, inc)) {
      // ended since the last look: regular ticks put the end within one tick; a late watchdog must not
      // stretch the stall, so never estimate more than one tick past the last sighting
      long end = Math.min(now, inc.lastSeenRunning + tickNanos / 2);
      finish(w, inc, end);
      w.incident = null;
      inc = null;
    }
    if (w.loop) {
      long due = w.lastBeatNanos() + heartbeatNanos;
      if (due != w.idleDue) {
        lookBy(due + w.sampleFromNanos, now);
      }
    }
    if (start <= 0) {
      w.idleAtLastTick = true;
      return;
    }
    w.idleAtLastTick = false;
    if (inc == null) {
      if (now - start < w.sampleFromNanos) {
        lookBy(start + w.sampleFromNanos, now);
        return;
      }
      if (start == w.ownStart) {
        return;
      }
      inc = new Incident(w, start, now);
      inc.startupStall = start - createdNanos < STARTUP_WINDOW_NANOS;
      // discount every pause seen since the stall began (this tick's included): a loop found busy one tick
      // after a JVM-wide pause, its heartbeat overdue since before it, or a task that began between the last
      // tick and the stop (SIGSTOP caught it 3 ms in: the 2 s that followed are the pause, not the task)
      inc.pauseNanos = pausedSince(start, now);
      w.incident = inc;
      lookBy(now, now);
      sample(w, inc);
      if (timed && inc.first != null && inc.first.culprit == null && VertxInternals.dispatchStartNanos(w.thread) <= 0) {
        // only the heartbeat says "busy", Vert.x says idle and no application code is on the stack: the
        // loop is waiting in its selector but got no CPU yet (an overloaded machine), not blocked
        w.idleDue = start;
        w.incident = null;
        return;
      }
      if (inc.first != null && StackAnalyzer.ownHeartbeat(inc.first.frames, inc.first.culpritIndex)) {
        // the loop is stalled in the checker's own heartbeat: starvation or a pause, not the application
        w.ownStart = start;
        w.incident = null;
        if (LOG.isDebugEnabled()) {
          LOG.debug("{} stalled {} ms in the checker's own heartbeat (CPU starvation or a JVM pause): not reported",
            w.name, (now - start) / MS);
        }
        return;
      }
      if (inc.first != null) {
        step = "attributing " + w.name;
        inc.attribution = Attribution.of(w.thread, inc.first, analyzer);
        step = "attributed " + w.name;
      }
    } else {
      lookBy(now, now);
      inc.lastSeenRunning = now;
      if (pause > 0 && inc.startNanos < prev) {
        inc.pauseNanos += Math.min(pause, now - inc.startNanos);
      }
      long interval = w.loop ? sampleIntervalNanos : Math.max(sampleIntervalNanos, w.thresholdNanos / 10);
      if (inc.last == null || now - inc.last.atNanos >= interval) {
        sample(w, inc);
      }
    }
    if (!inc.ongoingPublished && !inc.suppressed && inc.effectiveNanos(now) >= w.thresholdNanos) {
      if ((inc.last == null || System.nanoTime() - inc.last.atNanos > MS) && !sample(w, inc)) {
        return;
      }
      if (inc.suppressed) {
        return;
      }
      if (inc.attribution == null) {
        inc.attribution = Attribution.of(w.thread, inc.first, analyzer);
      }
      inc.attribution = refined(inc);
      inc.judge(analyzer);
      inc.ongoingPublished = true;
      step = "reporting " + w.name;
      long at = System.nanoTime();
      JsonObject record = inc.toJson(at, true, thresholdMsOf(w), maxDepth);
      long reported = inc.effectiveNanos(at);
      // an incident's durations agree: the final record never says less than this one
      inc.reportedNanos = reported;
      sink.record(inc, record, true, reported);
    }
  }

  private Attribution refined(Incident inc) {
    Incident.Phase p = inc.firstPhase();
    return p == null || p.sample == inc.first ? inc.attribution : Attribution.refine(inc.attribution, p.sample, analyzer);
  }

  private long thresholdMsOf(Watched w) {
    return w.loop ? thresholdMs : w.thresholdNanos / MS;
  }

  /**
   * @return when the task running on {@code w} started, 0 when idle. Vert.x's per-dispatch clock gives the
   * exact start; the loop's heartbeat is the second witness: a heartbeat overdue by half the threshold means
   * the loop has been busy since it was due, even when Vert.x's clock says otherwise (work outside a Vert.x
   * dispatch, {@code -Dvertx.disableContextTimings=true}, or a clock reset by a nested dispatch).
   */
  private long taskStart(Watched w, long now) {
    long start = 0;
    if (timed) {
      start = VertxInternals.dispatchStartNanos(w.thread);
      if (start < 0) {
        start = 0;
      }
    }
    if (!w.loop) {
      return start;
    }
    long due = w.lastBeatNanos() + heartbeatNanos;
    if (now - due >= w.sampleFromNanos && due != w.idleDue) {
      return start > 0 ? Math.min(start, due) : due;
    }
    return start;
  }

  /** @return false when the task ended while the stack was taken (the sample is then dropped) */
  private boolean sample(Watched w, Incident inc) {
    long before = System.nanoTime();
    step = "sampling " + w.name;
    Sample s = Sample.take(w.thread, w.threadId, maxDepth, analyzer);
    step = "sampled " + w.name;
    if (s == null) {
      return false;
    }
    if (!sameStall(taskStart(w, System.nanoTime()), inc)) {
      // the task ended while we looked: this stack belongs to something else (often the idle loop)
      inc.lastSeenRunning = Math.min(inc.lastSeenRunning, before);
      return false;
    }
    // the task was still running after the look (which may have waited long for a safepoint): the stall
    // lasted at least until now, so the final record never says less than an ongoing record made from here
    inc.lastSeenRunning = Math.max(inc.lastSeenRunning, System.nanoTime());
    if (inc.samples == 0) {
      inc.cpuAtFirst = Sample.cpuNanos(w.threadId);
    } else {
      inc.cpuAtLast = Sample.cpuNanos(w.threadId);
    }
    inc.add(s);
    Attribution a = inc.attribution;
    Incident.Phase blamed = inc.firstPhase();
    if (a != null && blamed != null && blamed.culprit != null && blamed != inc.attributedPhase) {
      // the stall reached the application's code: read the hooks again (the route vertx-web matched by now,
      // not the one it was matching during the framework work that began the stall)
      inc.attributedPhase = blamed;
      inc.attribution = Attribution.freshen(a, Attribution.of(w.thread, s, analyzer));
    } else if (a != null && a.address == null && a.route == null) {
      // the hook that names the address/route may run after the first sample (e.g. after class loading)
      Attribution fresh = Attribution.of(w.thread, inc.first, analyzer);
      if (fresh.address != null || fresh.route != null) {
        inc.attribution = fresh;
      }
    }
    if (s.suspended && !inc.suppressed) {
      inc.suppressed = true;
      sink.debuggerHeld(w);
    }
    return true;
  }

  private void finish(Watched w, Incident inc, long end) {
    long effective = inc.effectiveNanos(end);
    if (inc.suppressed && !inc.ongoingPublished) {
      return;
    }
    if (inc.samples == 0 && !inc.ongoingPublished) {
      // never seen running (its one look found it ended): nothing is known about it — typically an idle loop
      // whose heartbeat was overdue right after a pause, not a stall
      return;
    }
    if (inc.ongoingPublished || effective >= w.thresholdNanos) {
      if (inc.attribution == null) {
        inc.attribution = Attribution.of(w.thread, inc.first, analyzer);
      }
      inc.attribution = refined(inc);
      inc.judge(analyzer);
      JsonObject record = inc.toJson(end, false, thresholdMsOf(w), maxDepth);
      if (inc.suppressed) {
        record.put("debugger", true);
      }
      sink.record(inc, record, false, effective);
    } else if (w.loop && effective >= w.sampleFromNanos) {
      if (inc.attribution == null && inc.first != null) {
        inc.attribution = Attribution.of(w.thread, inc.first, analyzer);
      }
      sink.nearMiss(inc, effective);
    }
  }

  // ----------------------------------------------------------------------------------------- workers

  private void checkWorkers(long now, long prev, long pause) {
    if (!VertxInternals.contextReadable()) {
      return;
    }
    if (now >= nextWorkerScan) {
      scanWorkers();
      nextWorkerScan = now + Math.max(100 * MS, Math.min(1_000 * MS, workerThresholdNanos / 4));
    }
    // a worker found by the next scan may have been busy since just after this one
    lookBy(nextWorkerScan, now);
    synchronized (workers) {
      Iterator<Watched> it = workers.values().iterator();
      while (it.hasNext()) {
        Watched w = it.next();
        if (!w.thread.isAlive()) {
          it.remove();
          continue;
        }
        if (w.incident == null) {
          long start = VertxInternals.dispatchStartNanos(w.thread);
          if (start > 0 && now - start < w.sampleFromNanos) {
            lookBy(start + w.sampleFromNanos, now);
          }
          if (start <= 0 || now - start < w.sampleFromNanos || !ours(w.thread)) {
            continue;
          }
        }
        check(w, now, prev, pause);
      }
    }
  }

  private boolean ours(Thread t) {
    Context c = VertxInternals.contextOf(t);
    return c != null && c.owner() == vertx;
  }

  private void scanWorkers() {
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] all = new Thread[root.activeCount() * 2 + 16];
    int n = root.enumerate(all, true);
    List<Thread> found = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (VertxInternals.isWorker(all[i])) {
        found.add(all[i]);
      }
    }
    synchronized (workers) {
      for (Thread t : found) {
        workers.computeIfAbsent(t, x -> new Watched(x, false, workerThresholdNanos, sampleIntervalNanos));
      }
    }
  }

  static boolean jdwpLoaded() {
    try {
      for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (arg.contains("jdwp")) {
          return true;
        }
      }
    } catch (RuntimeException e) {
      return false;
    }
    return false;
  }

  static Logger log() {
    return LOG;
  }
}
