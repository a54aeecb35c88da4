package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Strict mode's call-site detection: one JVM-wide JFR {@link RecordingStream} (no agent, no JVM flag)
 * with the blocking events enabled at threshold 0 and with stack traces, shared by every checker that
 * asked for strict mode; each event is handed to the subscribers watching the thread it happened on.
 *
 * <p>Events: {@code jdk.ThreadSleep}, {@code jdk.ThreadPark}, {@code jdk.JavaMonitorEnter},
 * {@code jdk.JavaMonitorWait}, {@code jdk.SocketRead/Write}, {@code jdk.FileRead/Write/Force},
 * {@code jdk.ProcessStart}. JFR delivers them in batches, about once a second (its minimum flush
 * interval), so strict findings arrive up to ~1 s after the call; {@link #marker()} lets a test wait until
 * everything before "now" has been delivered. The stream starts on a background thread (≈0.5 s, once per
 * JVM) and stops a few seconds after its last subscriber leaves.
 */
public final class StrictRecorder {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.blocking");
  static final List<String> EVENTS = List.of("jdk.ThreadSleep", "jdk.ThreadPark", "jdk.JavaMonitorEnter",
    "jdk.JavaMonitorWait", "jdk.SocketRead", "jdk.SocketWrite", "jdk.FileRead", "jdk.FileWrite", "jdk.FileForce",
    "jdk.ProcessStart");
  private static final String MARKER = "dev.loopkit.blocking.Marker";
  private static final long LINGER_MS = 5_000;

  /** Receives the events of the threads it watches (on the JFR stream's thread; must not block). */
  public interface Subscriber {
    boolean watches(long threadId);

    void onEvent(Finding finding);
  }

  /** One JFR event, decoded. */
  public static final class Finding {
    public final String event;
    public final long threadId;
    public final String threadName;
    public final long startEpochMs;
    public final long durationNanos;
    public final List<StackFrame> frames;
    public final String detail;

    Finding(String event, long threadId, String threadName, long startEpochMs, long durationNanos, List<StackFrame> frames, String detail) {
      this.event = event;
      this.threadId = threadId;
      this.threadName = threadName;
      this.startEpochMs = startEpochMs;
      this.durationNanos = durationNanos;
      this.frames = frames;
      this.detail = detail;
    }

    /** @return the kind implied by the event type (when the stack does not say more) */
    public BlockingKind eventKind() {
      switch (event) {
        case "jdk.ThreadSleep":
          return BlockingKind.SLEEP;
        case "jdk.ThreadPark":
          return BlockingKind.PARK;
        case "jdk.JavaMonitorEnter":
        case "jdk.JavaMonitorWait":
          return BlockingKind.MONITOR;
        case "jdk.SocketRead":
        case "jdk.SocketWrite":
          return BlockingKind.SOCKET;
        case "jdk.FileRead":
        case "jdk.FileWrite":
        case "jdk.FileForce":
          return BlockingKind.FILE;
        case "jdk.ProcessStart":
          return BlockingKind.PROCESS;
        default:
          return BlockingKind.UNKNOWN;
      }
    }
  }

  /** A marker committed by {@link #marker()}: once it is delivered, so is every earlier event. */
  @Name(MARKER)
  @Label("loopkit marker")
  @Category("loopkit")
  @StackTrace(false)
  static final class Marker extends Event {
    @Label("id")
    long id;
  }

  private static final List<Subscriber> SUBSCRIBERS = new CopyOnWriteArrayList<>();
  private static final Map<Long, CompletableFuture<Void>> MARKERS = new ConcurrentHashMap<>();
  private static final AtomicLong MARKER_IDS = new AtomicLong();
  private static RecordingStream stream;
  private static CompletableFuture<Void> started;
  private static long generation;

  private StrictRecorder() {
  }

  /** @return completes when the stream delivers events (at once when it already runs) */
  public static synchronized CompletableFuture<Void> subscribe(Subscriber s) {
    SUBSCRIBERS.add(s);
    generation++;
    if (started == null) {
      started = new CompletableFuture<>();
      CompletableFuture<Void> f = started;
      Thread starter = new Thread(() -> startStream(f), "loopkit-blocking-jfr-start");
      starter.setDaemon(true);
      starter.start();
    }
    return started;
  }

  public static synchronized void unsubscribe(Subscriber s) {
    SUBSCRIBERS.remove(s);
    if (SUBSCRIBERS.isEmpty()) {
      long gen = ++generation;
      CompletableFuture.delayedExecutor(LINGER_MS, TimeUnit.MILLISECONDS).execute(() -> stopIfUnused(gen));
    }
  }

  private static synchronized void stopIfUnused(long gen) {
    if (gen != generation || !SUBSCRIBERS.isEmpty() || started == null) {
      return;
    }
    RecordingStream s = stream;
    stream = null;
    started = null;
    if (s != null) {
      s.close();
    }
  }

  /**
   * Commits a marker event and completes once the stream has delivered it — and with it every event
   * committed before (JFR flushes all threads' buffers together). Takes up to about one second.
   */
  public static CompletableFuture<Void> marker() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    CompletableFuture<Void> s;
    synchronized (StrictRecorder.class) {
      s = started;
    }
    if (s == null) {
      f.complete(null);
      return f;
    }
    return s.thenCompose(v -> {
      long id = MARKER_IDS.incrementAndGet();
      MARKERS.put(id, f);
      Marker m = new Marker();
      m.id = id;
      m.commit();
      return f;
    });
  }

  private static void startStream(CompletableFuture<Void> ready) {
    try {
      RecordingStream rs = new RecordingStream();
      for (String e : EVENTS) {
        rs.enable(e).withThreshold(Duration.ZERO).withStackTrace();
      }
      rs.enable(Marker.class);
      rs.setReuse(true);
      rs.setMaxAge(Duration.ofSeconds(10));
      for (String e : EVENTS) {
        rs.onEvent(e, StrictRecorder::dispatch);
      }
      rs.onEvent(MARKER, ev -> {
        CompletableFuture<Void> f = MARKERS.remove(ev.getLong("id"));
        if (f != null) {
          f.complete(null);
        }
      });
      rs.onError(t -> LOG.warn("strict mode: the JFR stream reported {} — call-site findings may be missing", t.toString()));
      rs.startAsync();
      synchronized (StrictRecorder.class) {
        stream = rs;
      }
      ready.complete(null);
    } catch (Throwable t) {
      LOG.warn("strict mode could not start JFR event streaming ({}): only the watchdog runs — JFR must be "
        + "available (a JDK with the jdk.jfr module)", t.toString());
      ready.completeExceptionally(t);
    }
  }

  @SuppressWarnings("deprecation")
  private static void dispatch(RecordedEvent e) {
    try {
      RecordedThread t = e.getThread();
      if (t == null) {
        return;
      }
      long tid = t.getJavaThreadId();
      Finding finding = null;
      for (Subscriber s : SUBSCRIBERS) {
        if (s.watches(tid)) {
          if (finding == null) {
            finding = decode(e, tid, t.getJavaName());
          }
          s.onEvent(finding);
        }
      }
    } catch (RuntimeException ex) {
      // a malformed event must not stop the stream
    }
  }

  private static Finding decode(RecordedEvent e, long tid, String threadName) {
    List<StackFrame> frames = new ArrayList<>();
    RecordedStackTrace st = e.getStackTrace();
    if (st != null) {
      for (RecordedFrame f : st.getFrames()) {
        if (!f.isJavaFrame()) {
          continue;
        }
        String cls = f.getMethod().getType().getName();
        frames.add(new StackFrame(cls, f.getMethod().getName(), sourceFile(cls), f.getLineNumber()));
      }
    }
    String type = e.getEventType().getName();
    String detail = null;
    try {
      switch (type) {
        case "jdk.FileRead":
        case "jdk.FileWrite":
        case "jdk.FileForce":
          detail = e.getString("path");
          break;
        case "jdk.SocketRead":
        case "jdk.SocketWrite":
          detail = e.getString("host") + ":" + e.getInt("port");
          break;
        case "jdk.JavaMonitorEnter":
        case "jdk.JavaMonitorWait":
          detail = e.getClass("monitorClass") == null ? null : e.getClass("monitorClass").getName();
          break;
        case "jdk.ThreadPark":
          detail = e.getClass("parkedClass") == null ? null : e.getClass("parkedClass").getName();
          break;
        case "jdk.ProcessStart":
          detail = e.getString("command");
          break;
        default:
          break;
      }
    } catch (RuntimeException ignored) {
      // field absent in this JDK
    }
    return new Finding(type, tid, threadName, e.getStartTime().toEpochMilli(), e.getDuration().toNanos(),
      Collections.unmodifiableList(frames), detail);
  }

  /** JFR frames carry no file name: the top-level class's simple name + {@code .java} (right for Java). */
  static String sourceFile(String className) {
    String outer = className.contains("$") ? className.substring(0, className.indexOf('$')) : className;
    return outer.substring(outer.lastIndexOf('.') + 1) + ".java";
  }
}
