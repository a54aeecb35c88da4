package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One look at a blocked thread: its stack (top first), state, lock and owner, whether a debugger has it
 * suspended, and what {@link StackAnalyzer} makes of it (culprit, kind).
 */
public final class Sample {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  final long atNanos;
  final List<StackFrame> frames;
  final int culpritIndex;
  final StackFrame culprit;
  final BlockingKind kind;
  final Thread.State state;
  final boolean suspended;
  final String lockName;
  final String lockOwner;
  /** The time is spent inside a library the culprit called (see {@code StackAnalyzer#libraryFrame}). */
  final boolean inLibrary;

  Sample(long atNanos, List<StackFrame> frames, int culpritIndex, BlockingKind kind, Thread.State state,
         boolean suspended, String lockName, String lockOwner, boolean inLibrary) {
    this.atNanos = atNanos;
    this.frames = frames;
    this.culpritIndex = culpritIndex;
    this.culprit = culpritIndex >= 0 ? frames.get(culpritIndex) : null;
    this.kind = kind;
    this.state = state;
    this.suspended = suspended;
    this.lockName = lockName;
    this.lockOwner = lockOwner;
    this.inLibrary = inLibrary;
  }

  /**
   * Samples {@code thread} (a brief safepoint; only done while a thread is stalled).
   *
   * @return the sample, or {@code null} when the thread is gone
   */
  static Sample take(Thread thread, long threadId, int maxDepth, StackAnalyzer analyzer) {
    ThreadInfo info = THREADS.getThreadInfo(threadId, maxDepth);
    long at = System.nanoTime();
    if (info == null) {
      return null;
    }
    StackTraceElement[] stack = info.getStackTrace();
    List<StackFrame> frames = new ArrayList<>(stack.length);
    for (StackTraceElement e : stack) {
      frames.add(StackFrame.of(e));
    }
    frames = Collections.unmodifiableList(frames);
    int culprit = analyzer.culpritIndex(frames);
    Thread.State state = info.getThreadState();
    BlockingKind kind = analyzer.kind(frames, culprit, state);
    return new Sample(at, frames, culprit, kind, state, info.isSuspended(), info.getLockName(), info.getLockOwnerName(),
      analyzer.libraryFrame(frames, culprit) != null);
  }

  /**
   * Looks at {@code thread} now, as the watchdog would during a stall.
   *
   * @param longWait the stall has gone on for long ({@code TestWatch}: 2 s or more): a thread that is then
   * waiting (parked, in {@code wait} or blocked on a monitor) with an application frame on its stack is
   * blocked by that code, whatever else the stack holds — warm-up and a library's first use do not park a
   * loop for seconds, so neither excuses it any more (a class initialisation another thread runs still does)
   * @return {@code culprit}, {@code kind} and {@code stack} for a record, or {@code null} when the thread is
   * gone or the stall is not the application's own: no application frame on its stack, JVM warm-up (class
   * loading or initialisation, call-site linking), or time spent inside a library the application called
   */
  public static JsonObject lookNow(Thread thread, StackAnalyzer analyzer, int maxDepth, boolean longWait) {
    Sample s = take(thread, thread.getId(), maxDepth, analyzer);
    if (s == null || s.culprit == null || StackAnalyzer.classInitWait(s.lockName, s.frames)) {
      return null;
    }
    boolean waiting = s.state == Thread.State.WAITING || s.state == Thread.State.TIMED_WAITING
      || s.state == Thread.State.BLOCKED;
    if (!(longWait && waiting) && (StackAnalyzer.warmingUp(s.frames, s.culpritIndex)
      || analyzer.libraryFrame(s.frames, s.culpritIndex) != null)) {
      return null;
    }
    return new JsonObject()
      .put("culprit", s.culprit.toJson())
      .put("kind", s.kind.jsonName())
      .put("stack", stackJson(s.frames, maxDepth));
  }

  /** @return the first {@code maxDepth} of {@code frames}, as a record's {@code stack} */
  static JsonArray stackJson(List<StackFrame> frames, int maxDepth) {
    JsonArray stack = new JsonArray();
    for (int i = 0; i < Math.min(maxDepth, frames.size()); i++) {
      stack.add(frames.get(i).toJson());
    }
    return stack;
  }

  /** @return thread CPU time in nanoseconds, or -1 when unsupported */
  static long cpuNanos(long threadId) {
    try {
      return THREADS.isThreadCpuTimeEnabled() ? THREADS.getThreadCpuTime(threadId) : -1;
    } catch (UnsupportedOperationException e) {
      return -1;
    }
  }

  /** @return the key phases are told apart by: the culprit's method and line (or the kind when none) */
  String phaseKey() {
    return culprit != null ? culprit.toString() : "-" + kind;
  }
}
