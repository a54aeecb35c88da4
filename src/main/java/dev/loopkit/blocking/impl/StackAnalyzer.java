package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.Deployable;

import java.security.CodeSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads a blocked thread's stack: the culprit (the first frame, from the top, outside the JDK, Netty,
 * Vert.x, loopkit's own machinery and any configured framework packages), the {@link BlockingKind} (from
 * the JDK frames the culprit called into, else the thread state), what the loop was dispatching (timer,
 * event bus, HTTP, ...), and a verticle class guessed from the frames when no hook recorded one.
 *
 * <p>"loopkit's own machinery" means classes under {@code dev.loopkit.} loaded from the same code source
 * as loopkit itself, except the demo and example packages: a user's tests and applications are user code
 * even in a {@code dev.loopkit} package.
 */
public final class StackAnalyzer {

  /**
   * The JDK, Netty, Vert.x, and the libraries Vert.x and loopkit ship with or run on: a stall inside them is
   * blamed on the application frame that called them. Vert.x is listed by its real packages (core and the
   * modules of the Vert.x stack), never as the whole {@code io.vertx.} prefix: an application's own package
   * under {@code io.vertx.} (the Vert.x examples use {@code io.vertx.example}) is application code.
   */
  static final String[] PLATFORM = {
    // the JDK
    "java.", "javax.", "jdk.", "sun.", "com.sun.",
    // Netty and its optional codecs
    "io.netty.", "com.aayushatharva.brotli4j.", "com.github.luben.zstd.",
    // Vert.x core and the Vert.x stack's modules (5.x)
    "io.vertx.core.", "io.vertx.ext.web.", "io.vertx.ext.auth.", "io.vertx.ext.bridge.", "io.vertx.ext.healthchecks.",
    "io.vertx.ext.eventbus.", "io.vertx.ext.mail.", "io.vertx.ext.mongo.", "io.vertx.ext.jdbc.", "io.vertx.ext.consul.",
    "io.vertx.ext.stomp.", "io.vertx.ext.shell.", "io.vertx.ext.unit.", "io.vertx.ext.dropwizard.",
    "io.vertx.ext.reactivestreams.", "io.vertx.ext.cluster.", "io.vertx.config.", "io.vertx.circuitbreaker.",
    "io.vertx.micrometer.", "io.vertx.launcher.", "io.vertx.junit5.", "io.vertx.uritemplate.", "io.vertx.spi.cluster.",
    "io.vertx.sqlclient.", "io.vertx.pgclient.", "io.vertx.mysqlclient.", "io.vertx.mssqlclient.", "io.vertx.db2client.",
    "io.vertx.oracleclient.", "io.vertx.jdbcclient.", "io.vertx.redis.client.", "io.vertx.cassandra.", "io.vertx.kafka.",
    "io.vertx.amqp.", "io.vertx.rabbitmq.", "io.vertx.mqtt.", "io.vertx.grpc.", "io.vertx.grpcio.", "io.vertx.serviceproxy.",
    "io.vertx.servicediscovery.", "io.vertx.tracing.", "io.vertx.json.schema.", "io.vertx.openapi.", "io.vertx.httpproxy.",
    "io.vertx.rxjava3.", "io.vertx.reactivex.", "io.vertx.rxjava.", "io.vertx.mutiny.", "io.vertx.kotlin.",
    "io.vertx.lang.", "io.vertx.codegen.",
    // libraries loopkit and Vert.x ship with: JSON, metrics, logging, histograms, the launcher's CLI, clustering
    "com.fasterxml.jackson.", "io.micrometer.", "io.prometheus.", "org.LatencyUtils.", "org.HdrHistogram.",
    "org.slf4j.", "ch.qos.logback.", "org.apache.logging.log4j.", "picocli.", "com.hazelcast.",
    // test frameworks and assertion libraries a test calls on a loop (VertxTestContext.verify): their first
    // use on a cold JVM is warm-up inside a library, never the application's blocking call
    "org.junit.", "org.opentest4j.", "org.assertj.", "org.hamcrest.", "org.apache.maven.surefire."
  };
  private static final CodeSource OWN = ownCodeSource();
  private static final Map<String, Boolean> LOOPKIT_CACHE = new ConcurrentHashMap<>();
  private static final Map<String, Boolean> VERTICLE_CACHE = new ConcurrentHashMap<>();

  private final String[] extra;

  /** @param frameworkPackages extra class-name prefixes to treat as framework (never the culprit) */
  public StackAnalyzer(List<String> frameworkPackages) {
    this.extra = frameworkPackages.toArray(new String[0]);
  }

  private static CodeSource ownCodeSource() {
    try {
      return StackAnalyzer.class.getProtectionDomain().getCodeSource();
    } catch (SecurityException e) {
      return null;
    }
  }

  /**
   * @return whether {@code className} belongs to the built-in platform (the JDK, Netty, Vert.x, the libraries
   * they ship with, loopkit itself) — not to {@code frameworkPackages} the application configured
   */
  boolean isPlatform(String className) {
    for (String p : PLATFORM) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    return className.startsWith("dev.loopkit.") && isLoopkitMachinery(className);
  }

  /** @return whether frames of {@code className} can never be a culprit */
  public boolean isFramework(String className) {
    for (String p : PLATFORM) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    for (String p : extra) {
      if (className.startsWith(p)) {
        return true;
      }
    }
    return className.startsWith("dev.loopkit.") && isLoopkitMachinery(className);
  }

  private static boolean isLoopkitMachinery(String className) {
    if (className.startsWith("dev.loopkit.demo.") || className.startsWith("dev.loopkit.examples.")) {
      return false;
    }
    return LOOPKIT_CACHE.computeIfAbsent(className, n -> {
      try {
        Class<?> c = Class.forName(n, false, StackAnalyzer.class.getClassLoader());
        CodeSource cs = c.getProtectionDomain().getCodeSource();
        if (OWN == null || cs == null || OWN.getLocation() == null || cs.getLocation() == null) {
          return true;
        }
        return OWN.getLocation().equals(cs.getLocation());
      } catch (ClassNotFoundException | LinkageError | SecurityException e) {
        return true;
      }
    });
  }

  /** @return the index of the culprit frame (0 = top of the stack), or -1 when every frame is framework */
  public int culpritIndex(List<StackFrame> frames) {
    for (int i = 0; i < frames.size(); i++) {
      if (!isFramework(frames.get(i).className())) {
        return i;
      }
    }
    return -1;
  }

  /**
   * @param culprit index of the culprit, or -1
   * @param state the thread state at the sample, or {@code null} when unknown (JFR)
   * @return the kind of block: the first JDK API the culprit called into that is a known blocking API,
   * else from the thread state
   */
  public BlockingKind kind(List<StackFrame> frames, int culprit, Thread.State state) {
    int from = culprit >= 0 ? culprit - 1 : frames.size() - 1;
    for (int i = from; i >= 0; i--) {
      BlockingKind k = kindOf(frames.get(i));
      if (k == BlockingKind.SOCKET && nettyChannel(frames, i)) {
        // Netty's channels are non-blocking: reading or writing one is work, not a wait
        return BlockingKind.CPU;
      }
      if (k != null) {
        return k;
      }
    }
    if (state == null) {
      return BlockingKind.UNKNOWN;
    }
    switch (state) {
      case BLOCKED:
        return BlockingKind.MONITOR;
      case RUNNABLE:
        return BlockingKind.CPU;
      case WAITING:
      case TIMED_WAITING:
        return BlockingKind.PARK;
      default:
        return BlockingKind.UNKNOWN;
    }
  }

  /**
   * @return whether the frames between the top and the culprit load a class: a one-off read of a jar by
   * the class loader, not a blocking call the code made (strict mode ignores those)
   */
  public static boolean loadingClass(List<StackFrame> frames, int culprit) {
    int to = culprit < 0 ? frames.size() : culprit;
    for (int i = 0; i < to; i++) {
      String c = frames.get(i).className();
      if (c.equals("java.lang.ClassLoader") || c.startsWith("jdk.internal.loader.") || c.equals("java.lang.Class")
        && frames.get(i).method().startsWith("forName")) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return whether the stack is the JVM warming up: the frames between the top and the culprit (all of them
   * when there is none) load a class or link a call site (lambda, string concatenation, method handles:
   * {@code java.lang.invoke}), or a class initialiser ({@code <clinit>}, the application's own included) is
   * anywhere on the stack. Work done once per class or call site, typically at start-up or on a first request.
   */
  public static boolean warmingUp(List<StackFrame> frames, int culprit) {
    if (loadingClass(frames, culprit)) {
      return true;
    }
    int to = culprit < 0 ? frames.size() : culprit;
    for (int i = 0; i < frames.size(); i++) {
      StackFrame f = frames.get(i);
      // a class initialiser anywhere on the stack (the application's own included) runs once per JVM
      if (f.method().equals("<clinit>") || i < to && f.className().startsWith("java.lang.invoke.")) {
        return true;
      }
    }
    return false;
  }

  /** @return whether the JDK socket frame at {@code index} was called by Netty (a non-blocking channel) */
  private static boolean nettyChannel(List<StackFrame> frames, int index) {
    for (int i = index + 1; i < frames.size(); i++) {
      String c = frames.get(i).className();
      if (c.startsWith("io.netty.")) {
        return true;
      }
      if (!isJdk(c)) {
        return false;
      }
    }
    return false;
  }

  /** @return whether {@code className} is a JDK class */
  static boolean isJdk(String className) {
    return className.startsWith("java.") || className.startsWith("javax.") || className.startsWith("jdk.")
      || className.startsWith("sun.") || className.startsWith("com.sun.");
  }

  /**
   * @return the first frame between the top and the culprit that belongs to a platform library (Vert.x,
   * Netty, Jackson, logging, metrics, loopkit; not the JDK, nor the application's own {@code frameworkPackages}):
   * the time is spent inside the library the application called
   * — its own I/O, locks or, on a first use, its class loading and interpreted code — or {@code null} when
   * only JDK frames are there (the application called a JDK API itself) or the library call is an explicitly
   * blocking API (a Vert.x {@code ...Blocking} method, {@code Future.await})
   */
  StackFrame libraryFrame(List<StackFrame> frames, int culprit) {
    if (culprit < 0) {
      return null;
    }
    StackFrame library = null;
    for (int i = culprit - 1; i >= 0; i--) {
      StackFrame f = frames.get(i);
      String c = f.className();
      if (isJdk(c) || !isPlatform(c)) {
        continue;
      }
      if (explicitlyBlocking(f)) {
        return null;
      }
      if (library == null) {
        library = f;
      }
    }
    return library;
  }

  /**
   * @return whether {@code f} is a Vert.x API that blocks by design: the file system's {@code ...Blocking}
   * methods and {@code Future.await} (on a Vert.x thread other than a virtual one)
   */
  static boolean explicitlyBlocking(StackFrame f) {
    String c = f.className();
    return c.startsWith("io.vertx.core.file.") && f.method().endsWith("Blocking")
      || c.startsWith("io.vertx.core.") && c.contains("Future") && f.method().equals("await");
  }

  /** @return whether the frames between the top and the culprit contain a frame of a class whose name starts with {@code prefix} */
  static boolean above(List<StackFrame> frames, int culprit, String prefix) {
    int to = culprit < 0 ? frames.size() : culprit;
    for (int i = 0; i < to; i++) {
      if (frames.get(i).className().startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return whether the stall is a write to the console ({@code System.out}, {@code System.err}: a
   * {@code PrintStream}): a {@code PrintStream} frame between the top and the culprit (the code printed), or
   * below the culprit — the culprit is then the stream {@code System.out} was replaced with (a test runner's
   * capture, a logging bridge), called by {@code println} — or a frame of {@code System.out}'s or
   * {@code System.err}'s own class (a {@code PrintStream} subclass that overrides {@code println})
   */
  static boolean console(List<StackFrame> frames, int culprit) {
    // System.out may be a PrintStream subclass overriding println (surefire's ForwardingPrintStream): its
    // own class then stands for java.io.PrintStream on the stack
    String out = System.out.getClass().getName();
    String err = System.err.getClass().getName();
    for (StackFrame f : frames) {
      String c = f.className();
      if (c.equals("java.io.PrintStream") || c.equals("java.lang.System$Out") || c.equals("java.lang.System$Err")
        || c.equals(out) || c.equals(err)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return whether a thread waiting on monitor {@code lockName} (as {@code ThreadInfo.getLockName()} or a JFR
   * monitor class names it) with {@code frames} waits for another thread to initialise a class: HotSpot's
   * class-initialisation lock is an {@code int[]}, and the waiting thread has no {@code Object.wait} frame
   * (the wait happens inside the JVM, at the first use of the class)
   */
  static boolean classInitWait(String lockName, List<StackFrame> frames) {
    if (lockName == null || !(lockName.equals("[I") || lockName.startsWith("[I@"))) {
      return false;
    }
    for (StackFrame f : frames) {
      if (f.className().equals("java.lang.Object") && f.method().startsWith("wait")) {
        return false;
      }
      if (!isJdk(f.className())) {
        return true;
      }
    }
    return true;
  }

  /** The checker's own tasks on an event loop (heartbeat, loop registration). */
  static final String HEARTBEAT_CLASS = "dev.loopkit.blocking.impl.Watched$Heartbeat";

  /**
   * @return whether the stack has no application frame and is running the checker's own heartbeat: a
   * stall there is the loop being starved or paused (a busy machine, a safepoint, JVM warm-up), never
   * something the application did, and is not reported
   */
  static boolean ownHeartbeat(List<StackFrame> frames, int culprit) {
    if (culprit >= 0) {
      return false;
    }
    for (StackFrame f : frames) {
      if (f.className().equals(HEARTBEAT_CLASS)) {
        return true;
      }
    }
    return false;
  }

  /** @return the kind of block a JDK frame stands for, or {@code null} when it is not a blocking API */
  static BlockingKind kindOf(StackFrame f) {
    String c = f.className();
    String m = f.method();
    if (!(c.startsWith("java.") || c.startsWith("sun.") || c.startsWith("jdk."))) {
      return null;
    }
    if (c.equals("java.lang.Thread") && m.startsWith("sleep") || c.equals("java.util.concurrent.TimeUnit") && m.equals("sleep")) {
      return BlockingKind.SLEEP;
    }
    if (c.equals("java.lang.Object") && m.startsWith("wait")) {
      return BlockingKind.MONITOR;
    }
    if (c.startsWith("java.util.concurrent.locks.ReentrantLock") || c.startsWith("java.util.concurrent.locks.ReentrantReadWriteLock")
      || c.startsWith("java.util.concurrent.locks.StampedLock")) {
      return BlockingKind.LOCK;
    }
    if (c.startsWith("java.net.InetAddress") || c.startsWith("java.net.Inet4AddressImpl") || c.startsWith("java.net.Inet6AddressImpl")
      || c.startsWith("sun.net.spi.") || c.startsWith("java.net.spi.InetAddressResolver")) {
      return BlockingKind.DNS;
    }
    if (c.equals("java.lang.ProcessBuilder") || c.startsWith("java.lang.ProcessImpl") || c.startsWith("java.lang.ProcessHandleImpl")
      || c.equals("java.lang.Runtime") && m.equals("exec")) {
      return BlockingKind.PROCESS;
    }
    if (c.startsWith("java.net.Socket") || c.startsWith("java.net.ServerSocket") || c.startsWith("sun.nio.ch.NioSocketImpl")
      || c.startsWith("sun.nio.ch.SocketChannelImpl") || c.startsWith("sun.nio.ch.SocketDispatcher") || c.startsWith("sun.nio.ch.Net")
      || c.startsWith("java.net.HttpURLConnection") || c.startsWith("sun.net.www.") || c.startsWith("java.net.URL")
      || c.startsWith("jdk.internal.net.http.") || c.startsWith("java.net.http.") || c.startsWith("java.net.DatagramSocket")
      || c.startsWith("sun.nio.ch.DatagramChannelImpl") || c.startsWith("sun.nio.ch.NioSocketImpl")) {
      return BlockingKind.SOCKET;
    }
    if (c.startsWith("java.io.File") || c.startsWith("java.io.RandomAccessFile") || c.startsWith("java.io.UnixFileSystem")
      || c.startsWith("java.io.WinNTFileSystem") || c.equals("java.io.FileSystem") || c.startsWith("java.nio.file.Files")
      || c.startsWith("sun.nio.fs.") || c.startsWith("sun.nio.ch.FileChannelImpl") || c.startsWith("sun.nio.ch.FileDispatcherImpl")
      || c.startsWith("sun.nio.ch.UnixFileDispatcherImpl") || c.startsWith("java.nio.channels.FileChannel")) {
      return BlockingKind.FILE;
    }
    if (c.equals("java.util.concurrent.CompletableFuture") && (m.equals("get") || m.equals("join") || m.contains("Get"))
      || c.equals("java.util.concurrent.FutureTask") && (m.equals("get") || m.equals("awaitDone"))
      || c.startsWith("java.util.concurrent.CountDownLatch") || c.startsWith("java.util.concurrent.Semaphore")
      || c.startsWith("java.util.concurrent.CyclicBarrier") || c.startsWith("java.util.concurrent.Phaser")
      || c.startsWith("java.util.concurrent.Exchanger") || c.startsWith("java.util.concurrent.locks.LockSupport")
      || c.equals("jdk.internal.misc.Unsafe") && m.equals("park") || c.startsWith("java.util.concurrent.SynchronousQueue")
      || c.startsWith("java.util.concurrent.LinkedBlockingQueue") || c.startsWith("java.util.concurrent.ArrayBlockingQueue")
      || c.startsWith("java.util.concurrent.LinkedBlockingDeque") || c.startsWith("java.util.concurrent.ForkJoinPool") && m.equals("managedBlock")
      || c.startsWith("java.util.concurrent.ForkJoinTask") && (m.equals("get") || m.equals("join"))) {
      return BlockingKind.PARK;
    }
    return null;
  }

  /**
   * @return what the loop was dispatching when the stack was taken: {@code timer}, {@code event-bus},
   * {@code http}, {@code deploy}, {@code net}, {@code task}, or {@code null} when nothing recognisable
   */
  public static String source(List<StackFrame> frames) {
    // the outermost (lowest) dispatch frame tells what started the task: a deployment that creates an
    // HTTP server is "deploy", an HTTP request that sends a message is "http"
    boolean net = false;
    boolean task = false;
    for (int i = frames.size() - 1; i >= 0; i--) {
      String c = frames.get(i).className();
      if (!c.startsWith("io.vertx.")) {
        continue;
      }
      if (c.startsWith("io.vertx.core.impl.VertxImpl$InternalTimerHandler")) {
        return "timer";
      } else if (c.startsWith("io.vertx.core.eventbus.impl.")) {
        return "event-bus";
      } else if (c.startsWith("io.vertx.core.http.impl.") && c.contains("Server") || c.startsWith("io.vertx.ext.web.")) {
        return "http";
      } else if (c.startsWith("io.vertx.core.impl.deployment.") || c.equals("io.vertx.core.AbstractVerticle")
        || c.equals("io.vertx.core.VerticleBase")) {
        return "deploy";
      } else if (c.startsWith("io.vertx.core.net.impl.")) {
        net = true;
      } else if (c.startsWith("io.vertx.core.impl.")) {
        task = true;
      }
    }
    if (net) {
      return "net";
    }
    return task ? "task" : null;
  }

  /** @return the first non-framework frame above Vert.x's timer dispatch (the timer's handler), or null */
  public StackFrame timerHandler(List<StackFrame> frames) {
    for (int i = frames.size() - 1; i >= 0; i--) {
      if (frames.get(i).className().startsWith("io.vertx.core.impl.VertxImpl$InternalTimerHandler")) {
        for (int j = i - 1; j >= 0; j--) {
          if (!isFramework(frames.get(j).className())) {
            return frames.get(j);
          }
        }
        return null;
      }
    }
    return null;
  }

  /**
   * @return the class of the outermost non-framework frame that is (or is nested in) a verticle, searched
   * from the bottom of the stack, or {@code null}
   */
  public String verticleFromStack(List<StackFrame> frames) {
    for (int i = frames.size() - 1; i >= 0; i--) {
      String c = frames.get(i).className();
      if (isFramework(c)) {
        continue;
      }
      String outer = c.contains("$") ? c.substring(0, c.indexOf('$')) : c;
      if (isVerticle(c)) {
        return c;
      }
      if (!outer.equals(c) && isVerticle(outer)) {
        return outer;
      }
    }
    return null;
  }

  private static boolean isVerticle(String className) {
    return VERTICLE_CACHE.computeIfAbsent(className, n -> {
      try {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        Class<?> c = Class.forName(n, false, cl != null ? cl : StackAnalyzer.class.getClassLoader());
        return Deployable.class.isAssignableFrom(c);
      } catch (ClassNotFoundException | LinkageError | SecurityException e) {
        return false;
      }
    });
  }
}
