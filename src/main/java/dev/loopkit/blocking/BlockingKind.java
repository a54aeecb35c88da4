package dev.loopkit.blocking;

import java.util.Locale;

/**
 * What an event loop was doing while it was blocked, as named in incident JSON ({@code "kind"}), from the
 * blocked thread's state and the JDK frames between the top of its stack and the culprit.
 */
public enum BlockingKind {

  /** {@code Thread.sleep}, {@code TimeUnit.sleep}. */
  SLEEP("use vertx.timer(ms) / vertx.setTimer instead of sleeping"),
  /** Waiting for a {@code java.util.concurrent.locks.Lock} (ReentrantLock, read-write, stamped). */
  LOCK("don't take locks the event loop can wait for: make the state loop-confined or use executeBlocking"),
  /** A contended {@code synchronized} block or method, or {@code Object.wait}. */
  MONITOR("don't wait on monitors on the event loop: make the state loop-confined or use executeBlocking"),
  /** Parked for a signal: {@code Future.get/join}, latches, semaphores, queues. */
  PARK("never wait for a result on the event loop (it deadlocks if the result is produced on this loop): "
    + "compose the Vert.x Future or use onComplete"),
  /** Blocking socket I/O ({@code java.net.Socket}, blocking channels, {@code HttpURLConnection}). */
  SOCKET("use the non-blocking Vert.x NetClient/HttpClient/WebClient, or move the call to executeBlocking"),
  /** File-system I/O ({@code java.io}, {@code java.nio.file.Files}, {@code File.exists}). */
  FILE("use vertx.fileSystem() (asynchronous) or move the call to executeBlocking"),
  /** Host name resolution ({@code InetAddress}). */
  DNS("resolve names with Vert.x's non-blocking resolver (the Vert.x clients do) or in executeBlocking"),
  /** Starting or waiting for a process ({@code ProcessBuilder.start}, {@code Runtime.exec}). */
  PROCESS("start processes in executeBlocking or a worker verticle"),
  /** Running code: a long computation or a busy loop. */
  CPU("split the work into chunks (vertx.runOnContext between them) or move it to a worker verticle"),
  /** A stop-the-world garbage-collection pause: not the code's fault. */
  GC("a stop-the-world GC pause, not your code: check heap size and allocation rate (GC log)"),
  /**
   * The whole JVM was stopped (SIGSTOP, a debugger suspending every thread, a frozen host or VM): not the
   * code's fault; reported once per pause, with {@code "thread": "*"} and {@code pausedMs}.
   */
  PAUSE("the whole JVM was stopped (SIGSTOP, a debugger, a frozen host), not your code"),
  /** Anything else. */
  UNKNOWN("move blocking work to executeBlocking or a worker verticle");

  private final String advice;

  BlockingKind(String advice) {
    this.advice = advice;
  }

  /** @return the name used in JSON, e.g. {@code "sleep"} */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @return what to do about a block of this kind, one clause */
  public String advice() {
    return advice;
  }

  /** @return the constant named {@code name} in JSON ({@code "sleep"}), or {@link #UNKNOWN} */
  public static BlockingKind fromJson(String name) {
    if (name == null) {
      return UNKNOWN;
    }
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return UNKNOWN;
    }
  }
}
