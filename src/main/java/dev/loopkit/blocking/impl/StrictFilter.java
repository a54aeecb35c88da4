package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.StackFrame;

import java.util.List;

/**
 * Which JFR events strict mode reports. A strict finding is a call that blocks <em>by nature</em>, made by
 * the application on an event loop — reported however short: a sleep; a park (a {@code get()}, {@code join()},
 * {@code await()}, a contended {@code Lock}); a contended monitor or {@code Object.wait}; a blocking stream
 * socket; a file read; starting a process. A file write (not the console) is reported from 1 ms on.
 *
 * <p>Never findings — the watchdog still reports any of them that lasts past the threshold:
 * <ul>
 *   <li>Netty's own channel I/O: its socket reads and writes are non-blocking (a {@code req.send()} or
 *   {@code response.end()} on the loop writes to a non-blocking channel);</li>
 *   <li>JVM warm-up: class loading, {@code <clinit>}, call-site linking, and waiting while another thread
 *   initialises a class on its first use (HotSpot's class-initialisation lock);</li>
 *   <li>console output ({@code System.out/err}): microseconds per line, how the Vert.x examples log;</li>
 *   <li>I/O and locking inside a library the application called (a logging appender, Micrometer, Vert.x
 *   itself), unless it is an explicitly blocking API (a Vert.x {@code ...Blocking} method).</li>
 * </ul>
 */
final class StrictFilter {

  /** A file write shorter than this is not a finding (the page cache absorbs it). */
  static final long SHORT_WRITE_NANOS = 1_000_000L;

  private StrictFilter() {
  }

  /** @return {@code null} when {@code f} is a strict finding, else why it is not (for the counters) */
  static String ignored(StrictRecorder.Finding f, int culprit, StackAnalyzer analyzer) {
    List<StackFrame> frames = f.frames;
    if (culprit < 0) {
      return "no application frame";
    }
    if (StackAnalyzer.warmingUp(frames, culprit)) {
      return "JVM warm-up";
    }
    boolean monitor = f.event.equals("jdk.JavaMonitorEnter") || f.event.equals("jdk.JavaMonitorWait");
    if (monitor && StackAnalyzer.classInitWait(f.detail, frames)) {
      return "class initialisation by another thread";
    }
    boolean socket = f.event.equals("jdk.SocketRead") || f.event.equals("jdk.SocketWrite");
    if (socket && StackAnalyzer.above(frames, culprit, "io.netty.")) {
      return "Netty's non-blocking channel I/O";
    }
    boolean write = f.event.equals("jdk.FileWrite") || f.event.equals("jdk.FileForce");
    if (StackAnalyzer.console(frames, culprit) || write && f.detail == null) {
      return "console output";
    }
    if (analyzer.libraryFrame(frames, culprit) != null) {
      return "inside a library";
    }
    if (write && f.durationNanos < SHORT_WRITE_NANOS) {
      return "a sub-millisecond file write";
    }
    return null;
  }
}
