package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One stall of one thread as the watchdog tracks it (watchdog thread only): the samples taken, grouped
 * into phases (a new phase starts when {@value #PHASE_EVIDENCE} consecutive samples agree on a different
 * culprit frame), the attribution, and the paused time (GC, suspended JVM) to discount.
 */
final class Incident {

  /** Consecutive samples needed to recognise that the blocking frame changed. */
  static final int PHASE_EVIDENCE = 3;
  /** Phases kept per incident; later changes are folded into the last. */
  static final int MAX_PHASES = 8;
  /** A CPU-kind stall during which the loop got less than this share of a CPU is an overloaded machine. */
  static final int OVERLOADED_PERCENT = 30;

  private static final AtomicLong IDS = new AtomicLong();

  final String id = "blk-" + IDS.incrementAndGet();
  final Watched watched;
  final long startNanos;
  final long startEpochMs;
  final List<Phase> phases = new ArrayList<>();
  private final List<Sample> pending = new ArrayList<>();
  Sample first;
  Sample last;
  int samples;
  long pauseNanos;
  long lastSeenRunning;
  long cpuAtFirst = -1;
  long cpuAtLast = -1;
  boolean ongoingPublished;
  /** The duration the ongoing record reported: later records never report less. */
  long reportedNanos;
  boolean suppressed;
  /** Started during the checker's start-up window (see {@code Watchdog#STARTUP_WINDOW_NANOS}). */
  boolean startupStall;
  /**
   * The stall was spent inside a library the application called (Vert.x, Netty, Jackson...) and is the first
   * stall at that call site in this JVM: a first use (class loading, interpreted and not yet compiled code),
   * JVM warm-up. Decided once, by {@link #judge}.
   */
  boolean firstUse;
  private boolean judged;
  Attribution attribution;
  /** The phase the attribution was last refreshed for (see {@code Watchdog#sample}). */
  Phase attributedPhase;

  Incident(Watched watched, long startNanos, long now) {
    this.watched = watched;
    this.startNanos = startNanos;
    this.startEpochMs = System.currentTimeMillis() - (now - startNanos) / 1_000_000;
    this.lastSeenRunning = now;
  }

  void add(Sample s) {
    samples++;
    if (first == null) {
      first = s;
    }
    last = s;
    if (phases.isEmpty()) {
      phases.add(new Phase(s));
      return;
    }
    Phase cur = phases.get(phases.size() - 1);
    String key = s.phaseKey();
    if (key.equals(cur.key)) {
      foldPending(cur);
      cur.add(s);
      return;
    }
    if (!pending.isEmpty() && !pending.get(0).phaseKey().equals(key)) {
      foldPending(cur);
    }
    pending.add(s);
    if (pending.size() >= PHASE_EVIDENCE) {
      if (phases.size() < MAX_PHASES) {
        Phase next = new Phase(pending.get(0));
        for (int i = 1; i < pending.size(); i++) {
          next.add(pending.get(i));
        }
        cur.toNanos = pending.get(0).atNanos;
        phases.add(next);
        pending.clear();
      } else {
        foldPending(cur);
      }
    }
  }

  private void foldPending(Phase cur) {
    for (Sample p : pending) {
      cur.count(p);
    }
    pending.clear();
  }

  /**
   * @return the phase that started the stall — the first one with an application frame, since framework
   * work before it (class loading on a first request, say) is not what the application can fix — or
   * {@code null} before the first sample
   */
  Phase firstPhase() {
    for (Phase p : phases) {
      if (p.culprit != null) {
        return p;
      }
    }
    return phases.isEmpty() ? null : phases.get(0);
  }

  /** Call sites (culprit frames) that already had a stall inside a library; bounded. */
  private static final java.util.Set<String> SEEN_CALL_SITES = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private static final int MAX_CALL_SITES = 10_000;

  /**
   * Decides, once the stall has a culprit, whether it is a library's first use at that call site (see
   * {@link #firstUse}); later stalls at the same call site are not.
   */
  void judge(StackAnalyzer analyzer) {
    Phase p = firstPhase();
    Sample s = p == null ? null : p.sample;
    if (judged || s == null || s.culprit == null) {
      return;
    }
    judged = true;
    if (p.inLibrary()) {
      if (SEEN_CALL_SITES.size() > MAX_CALL_SITES) {
        SEEN_CALL_SITES.clear();
      }
      firstUse = SEEN_CALL_SITES.add(s.culprit.toString());
    }
  }

  BlockingKind kind() {
    Phase p = firstPhase();
    return p == null ? BlockingKind.UNKNOWN : p.kind();
  }

  StackFrame culprit() {
    Phase p = firstPhase();
    return p == null ? null : p.culprit;
  }

  /**
   * @return the stall duration so far (or in total, with {@code end}) minus paused time, and never less
   * than what the ongoing record already reported
   */
  long effectiveNanos(long end) {
    return Math.max(reportedNanos, Math.max(0, end - startNanos - pauseNanos));
  }

  /**
   * @param end now (ongoing) or the estimated end of the task (final)
   * @return the incident record as published on the event bus
   */
  JsonObject toJson(long end, boolean ongoing, long thresholdMs, int maxDepth) {
    long durationNanos = effectiveNanos(end);
    JsonObject json = new JsonObject()
      .put("id", id)
      .put("detection", "runtime")
      .put("thread", watched.name)
      .put("worker", !watched.loop)
      .put("durationMs", durationNanos / 1_000_000)
      .put("thresholdMs", thresholdMs)
      .put("ongoing", ongoing)
      .put("startedAt", Instant.ofEpochMilli(startEpochMs).toString());
    StackFrame culprit = culprit();
    json.put("culprit", culprit == null ? null : culprit.toJson());
    json.put("kind", kind().jsonName());
    Attribution a = attribution == null ? Attribution.NONE : attribution;
    json.put("verticle", a.verticle);
    json.put("deploymentId", a.deploymentId);
    if (a.address != null) {
      json.put("address", a.address);
    }
    if (a.route != null) {
      json.put("route", a.route);
    }
    if (a.timer != null) {
      json.put("timer", a.timer);
    }
    json.put("source", a.source);
    if (a.allowed != null) {
      json.put("allowed", a.allowed);
    }
    Phase start = firstPhase();
    Sample startSample = start == null ? first : start.sample;
    if (startSample != null && startSample.lockName != null && (startSample.kind == BlockingKind.LOCK
      || startSample.kind == BlockingKind.MONITOR || startSample.kind == BlockingKind.PARK)) {
      json.put("lock", startSample.lockName);
      if (startSample.lockOwner != null) {
        json.put("lockOwner", startSample.lockOwner);
      }
    }
    if (pauseNanos > 0) {
      json.put("pausedMs", pauseNanos / 1_000_000);
    }
    if (startSample != null && StackAnalyzer.loadingClass(startSample.frames, startSample.culpritIndex)) {
      json.put("classLoading", true);
    }
    // waiting for another thread's class initialisation: an int[] monitor, or blocked with no monitor named
    // and no JDK frame on top (the JVM's own wait, at the first use of a class)
    boolean classInit = startSample != null && (StackAnalyzer.classInitWait(startSample.lockName, startSample.frames)
      || startSample.state == Thread.State.BLOCKED && startSample.lockName == null && !startSample.frames.isEmpty()
      && !StackAnalyzer.isJdk(startSample.frames.get(0).className()));
    if (classInit) {
      json.put("classInit", true);
    }
    if (firstUse) {
      json.put("firstUse", true);
    }
    if (startSample != null && StackAnalyzer.warmingUp(startSample.frames, startSample.culpritIndex)
      || classInit || firstUse || culprit == null && startupStall) {
      json.put("warmUp", true);
    }
    if (cpuAtFirst >= 0 && cpuAtLast >= cpuAtFirst && last != null && first != null && last.atNanos > first.atNanos) {
      long cpu = Math.min(100, Math.round(100.0 * (cpuAtLast - cpuAtFirst) / (last.atNanos - first.atNanos)));
      json.put("cpuPercent", cpu);
      // runnable the whole time but computing for less than the threshold (or under 30% of a CPU): the loop
      // waited for a CPU — an overloaded machine — rather than running code that blocks
      if (kind() == BlockingKind.CPU && (cpu < OVERLOADED_PERCENT || cpu * (durationNanos / 1_000_000) / 100 < thresholdMs)) {
        json.put("overloaded", true);
      }
    }
    if (start != null && start.culprit != null) {
      if (start.inLibrary()) {
        // the platform's own code (Vert.x, Netty, Jackson, logging, metrics) on the application's behalf —
        // its work, I/O or locks — not a blocking call the application made
        json.put("inLibrary", true);
      }
      if (start.console()) {
        json.put("console", true);
      }
    }
    json.put("samples", samples);
    JsonArray phaseJson = new JsonArray();
    for (int i = 0; i < phases.size(); i++) {
      Phase p = phases.get(i);
      long to = i + 1 < phases.size() ? p.toNanos : end;
      phaseJson.add(new JsonObject()
        .put("culprit", p.culprit == null ? null : p.culprit.toJson())
        .put("kind", p.kind().jsonName())
        .put("fromMs", Math.max(0, (p.fromNanos - startNanos) / 1_000_000))
        .put("toMs", Math.max(0, (to - startNanos) / 1_000_000))
        .put("samples", p.samples));
      if (!ongoing && phases.size() > 1) {
        // what a flame graph of blocked time needs: each phase's own stack (the final record only)
        phaseJson.getJsonObject(i).put("stack", Sample.stackJson(p.sample.frames, maxDepth));
      }
    }
    json.put("phases", phaseJson);
    json.put("stack", startSample == null ? new JsonArray() : Sample.stackJson(startSample.frames, maxDepth));
    return json;
  }

  /** A run of samples blocked at the same frame. */
  static final class Phase {
    final String key;
    final StackFrame culprit;
    final Sample sample;
    final long fromNanos;
    long toNanos;
    int samples;
    int librarySamples;
    private final Map<BlockingKind, Integer> kinds = new EnumMap<>(BlockingKind.class);

    Phase(Sample s) {
      this.key = s.phaseKey();
      this.culprit = s.culprit;
      this.sample = s;
      this.fromNanos = s.atNanos;
      add(s);
    }

    void add(Sample s) {
      count(s);
      toNanos = s.atNanos;
    }

    void count(Sample s) {
      samples++;
      kinds.merge(s.kind, 1, Integer::sum);
      if (s.inLibrary) {
        librarySamples++;
      }
    }

    /** @return whether the phase's first sample is writing to the console ({@code System.out/err}) */
    boolean console() {
      return StackAnalyzer.console(sample.frames, sample.culpritIndex);
    }

    /** @return whether most of the phase's samples were inside a library the culprit called */
    boolean inLibrary() {
      return librarySamples * 2 >= samples && samples > 0;
    }

    /**
     * @return the phase's kind: the most frequent blocking kind when it covers at least a third of the
     * samples (a loop of short blocking calls is that kind, not CPU), else CPU, else the most frequent
     */
    BlockingKind kind() {
      BlockingKind best = null;
      int bestCount = 0;
      BlockingKind any = BlockingKind.UNKNOWN;
      int anyCount = 0;
      for (Map.Entry<BlockingKind, Integer> e : kinds.entrySet()) {
        if (e.getValue() > anyCount) {
          any = e.getKey();
          anyCount = e.getValue();
        }
        if (e.getKey() != BlockingKind.CPU && e.getKey() != BlockingKind.UNKNOWN && e.getValue() > bestCount) {
          best = e.getKey();
          bestCount = e.getValue();
        }
      }
      if (best != null && bestCount * 3 >= samples) {
        return best;
      }
      return any;
    }
  }
}
