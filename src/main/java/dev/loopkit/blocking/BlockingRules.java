package dev.loopkit.blocking;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

import java.util.ArrayList;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/**
 * ArchUnit rules users add to their own test suites: code that runs on an event loop must not call known
 * blocking APIs.
 *
 * <pre>{@code
 * @AnalyzeClasses(packages = "com.acme")
 * class ArchitectureTest {
 *   @ArchTest static final ArchRule noBlocking = BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE;
 *   // or with your own known-blocking APIs (a JDBC driver, a legacy SDK):
 *   @ArchTest static final ArchRule noJdbc = BlockingRules.noBlockingCalls(BlockingApi.of("java.sql.Connection", "*"));
 * }
 * }</pre>
 *
 * <p><b>What runs on an event loop</b> (Vert.x 5):
 * <ul>
 *   <li>verticles and {@code Handler} classes, and the anonymous, local and inner classes in them — except a
 *   verticle the analyzed code deploys with {@code ThreadingModel.WORKER} or {@code VIRTUAL_THREAD}
 *   (blocking, and {@code Future.await()}, are fine there; {@code await()} is still flagged in event-loop
 *   code, where it throws);</li>
 *   <li>in <em>any</em> class, a lambda handed to a Vert.x API that calls it back — {@code requestHandler},
 *   {@code handler}, {@code consumer}, {@code setTimer}, {@code onSuccess}, {@code compose}... — so
 *   {@code server.requestHandler(req -> Thread.sleep(10))} is flagged in a plain class too;</li>
 *   <li>not a lambda handed to {@code executeBlocking} or vertx-web's {@code blockingHandler} (a worker runs
 *   it), nor to a JDK executor or thread.</li>
 * </ul>
 * A lambda's body is attributed by ArchUnit to the method declaring it; the API it was handed to is taken to
 * be the closest call taking a function, on or before the line of the blocking call (on the same line, a
 * worker API wins) — so a blocking call on a line after a one-line {@code executeBlocking(() -> ...)} inside
 * the same lambda is taken to run on the worker (a known blind spot: put it on its own line in a method).
 *
 * <p><b>Suppression</b> (one annotation for every layer): {@link AllowBlocking} with the reason, on the
 * calling method or constructor, or on its class (or an enclosing class).
 *
 * <p><b>Limits</b>: only direct calls are seen (a verticle calling your own {@code Repository.load()} which
 * reads a file is not reported — the runtime layers catch it); a verticle deployed as a worker elsewhere than
 * in the analyzed code needs {@code @AllowBlocking}; contended {@code synchronized} blocks and CPU loops are
 * invisible to static analysis ({@link #NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE} flags
 * {@code synchronized} methods).
 */
public final class BlockingRules {

  private static final List<BlockingApi> APIS = List.of(
    BlockingApi.builtIn("java.lang.Thread", BlockingKind.SLEEP, false, "sleep"),
    BlockingApi.builtIn("java.lang.Thread", BlockingKind.PARK, false, "join"),
    BlockingApi.builtIn("java.util.concurrent.TimeUnit", BlockingKind.SLEEP, false, "sleep", "timedJoin", "timedWait"),
    BlockingApi.builtIn("java.lang.Object", BlockingKind.MONITOR, true, "wait"),
    BlockingApi.builtIn("java.util.concurrent.locks.Lock", BlockingKind.LOCK, true, "lock", "lockInterruptibly"),
    BlockingApi.builtIn("java.util.concurrent.locks.StampedLock", BlockingKind.LOCK, false, "readLock", "writeLock",
      "readLockInterruptibly", "writeLockInterruptibly"),
    BlockingApi.builtIn("java.util.concurrent.locks.Condition", BlockingKind.PARK, true, "await", "awaitNanos", "awaitUninterruptibly", "awaitUntil"),
    BlockingApi.builtIn("java.util.concurrent.Future", BlockingKind.PARK, true, "get"),
    BlockingApi.builtIn("java.util.concurrent.CompletableFuture", BlockingKind.PARK, false, "join", "get"),
    BlockingApi.builtIn("java.util.concurrent.ForkJoinTask", BlockingKind.PARK, true, "join", "get", "invoke"),
    BlockingApi.builtIn("java.util.concurrent.CountDownLatch", BlockingKind.PARK, false, "await"),
    BlockingApi.builtIn("java.util.concurrent.Semaphore", BlockingKind.PARK, false, "acquire", "acquireUninterruptibly"),
    BlockingApi.builtIn("java.util.concurrent.CyclicBarrier", BlockingKind.PARK, false, "await"),
    BlockingApi.builtIn("java.util.concurrent.Phaser", BlockingKind.PARK, false, "awaitAdvance", "awaitAdvanceInterruptibly", "arriveAndAwaitAdvance"),
    BlockingApi.builtIn("java.util.concurrent.Exchanger", BlockingKind.PARK, false, "exchange"),
    BlockingApi.builtIn("java.util.concurrent.BlockingQueue", BlockingKind.PARK, true, "take", "put"),
    BlockingApi.builtIn("java.util.concurrent.ExecutorService", BlockingKind.PARK, true, "invokeAll", "invokeAny", "awaitTermination"),
    BlockingApi.builtIn("java.util.concurrent.locks.LockSupport", BlockingKind.PARK, false, "park", "parkNanos", "parkUntil"),
    BlockingApi.builtIn("io.vertx.core.Future", BlockingKind.PARK, true, "await"),
    BlockingApi.builtIn("java.io.FileInputStream", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.io.FileOutputStream", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.io.RandomAccessFile", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.io.FileReader", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.io.FileWriter", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.io.PrintWriter", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.util.Scanner", BlockingKind.FILE, false, "<init>"),
    BlockingApi.builtIn("java.nio.file.Files", BlockingKind.FILE, false, "*"),
    BlockingApi.builtIn("java.nio.channels.FileChannel", BlockingKind.FILE, true, "open", "read", "write", "force", "lock", "transferTo", "transferFrom"),
    BlockingApi.builtIn("java.io.File", BlockingKind.FILE, false, "exists", "isFile", "isDirectory", "length", "lastModified", "list",
      "listFiles", "delete", "mkdir", "mkdirs", "createNewFile", "renameTo", "canRead", "canWrite", "canExecute",
      "getCanonicalPath", "getCanonicalFile", "createTempFile", "setLastModified", "isHidden", "getFreeSpace",
      "getTotalSpace", "getUsableSpace"),
    BlockingApi.builtIn("java.net.Socket", BlockingKind.SOCKET, false, "<init>", "connect", "getInputStream", "getOutputStream"),
    BlockingApi.builtIn("java.net.ServerSocket", BlockingKind.SOCKET, false, "accept"),
    BlockingApi.builtIn("java.net.DatagramSocket", BlockingKind.SOCKET, true, "receive", "send", "connect"),
    BlockingApi.builtIn("java.net.URL", BlockingKind.SOCKET, false, "openStream", "openConnection", "getContent"),
    BlockingApi.builtIn("java.net.URLConnection", BlockingKind.SOCKET, true, "connect", "getInputStream", "getOutputStream",
      "getContent", "getResponseCode", "getHeaderField", "getContentLength"),
    BlockingApi.builtIn("java.net.http.HttpClient", BlockingKind.SOCKET, true, "send"),
    BlockingApi.builtIn("java.nio.channels.SocketChannel", BlockingKind.SOCKET, true, "open", "connect", "finishConnect"),
    BlockingApi.builtIn("java.nio.channels.ServerSocketChannel", BlockingKind.SOCKET, true, "accept"),
    BlockingApi.builtIn("java.net.InetAddress", BlockingKind.DNS, true, "getByName", "getAllByName", "getLocalHost", "getHostName",
      "getCanonicalHostName", "isReachable"),
    BlockingApi.builtIn("java.lang.ProcessBuilder", BlockingKind.PROCESS, false, "start", "startPipeline"),
    BlockingApi.builtIn("java.lang.Runtime", BlockingKind.PROCESS, false, "exec"),
    BlockingApi.builtIn("java.lang.Process", BlockingKind.PROCESS, true, "waitFor"),
    BlockingApi.builtIn("java.lang.System", BlockingKind.UNKNOWN, false, "gc"),
    BlockingApi.builtIn("java.lang.Runtime", BlockingKind.UNKNOWN, false, "gc"));

  /** Event-loop code: verticles and handlers (and classes nested in them), unless worker, virtual-thread or {@link AllowBlocking}. */
  public static final DescribedPredicate<JavaClass> EVENT_LOOP_CODE = eventLoopCode();

  /** Event-loop code must not call a known blocking API (see the class comment for what runs on a loop). */
  public static final ArchRule NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE = noBlockingCallsIn(EVENT_LOOP_CODE);

  /** Event-loop code must not declare {@code synchronized} methods (contention blocks the loop). */
  public static final ArchRule NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE = classes().that(EVENT_LOOP_CODE)
    .should(notDeclareSynchronizedMethods())
    .because("a contended monitor blocks the event loop; keep state loop-confined")
    .allowEmptyShould(true);

  private BlockingRules() {
  }

  /**
   * @return classes assignable to {@code io.vertx.core.Deployable} or {@code io.vertx.core.Handler}, and the
   * anonymous, local and inner classes declared in them, except those the analyzed code deploys as worker or
   * virtual-thread verticles and {@link AllowBlocking} ones; a static nested class is judged on its own
   */
  public static DescribedPredicate<JavaClass> eventLoopCode() {
    return new DescribedPredicate<>("event-loop code (verticles, handlers and their nested classes; not worker, "
      + "virtual-thread or @AllowBlocking)") {
      @Override
      public boolean test(JavaClass c) {
        if (allowedClass(c)) {
          return false;
        }
        for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
          if (k.isAssignableTo("io.vertx.core.Deployable")) {
            return RuleSupport.deployedOffLoop(k) == null;
          }
          if (k.isAssignableTo("io.vertx.core.Handler")) {
            return true;
          }
          if (!(k.isAnonymousClass() || k.isLocalClass() || k.isInnerClass())) {
            return false;
          }
        }
        return false;
      }
    };
  }

  /** @return the rule for event-loop code, with {@code extra} APIs known to block besides the built-in ones */
  public static ArchRule noBlockingCalls(BlockingApi... extra) {
    return noBlockingCallsIn(EVENT_LOOP_CODE, extra);
  }

  /**
   * @return a rule that {@code code} — and, in any class, lambdas handed to Vert.x APIs that call them back —
   * must not call a known blocking API (the built-in ones and {@code extra})
   */
  public static ArchRule noBlockingCallsIn(DescribedPredicate<? super JavaClass> code, BlockingApi... extra) {
    return classes().should(notCallBlockingApis(code, extra))
      .because("blocking an event loop stalls every handler on it; use the asynchronous Vert.x API, executeBlocking "
        + "or a worker verticle, or say why with @AllowBlocking(\"reason\")")
      .allowEmptyShould(true);
  }

  /** @return the condition of {@link #NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE}, for your own rules */
  public static ArchCondition<JavaClass> notCallBlockingApis() {
    return notCallBlockingApis(EVENT_LOOP_CODE);
  }

  /** @return the condition: no call to a known blocking API from event-loop code (as selected by {@code code}) */
  public static ArchCondition<JavaClass> notCallBlockingApis(DescribedPredicate<? super JavaClass> code, BlockingApi... extra) {
    List<BlockingApi> apis = new ArrayList<>(APIS);
    apis.addAll(List.of(extra));
    return new ArchCondition<>("not call blocking APIs on an event loop") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        if (allowedClass(c) || RuleSupport.deployedOffLoop(c) != null) {
          return;
        }
        boolean loopClass = code.test(c);
        for (JavaCodeUnit unit : c.getCodeUnits()) {
          if (allowedCodeUnit(unit) || RuleSupport.runOnWorker(unit)) {
            continue;
          }
          RuleSupport.Sinks sinks = null;
          for (JavaCall<?> call : unit.getCallsFromSelf()) {
            BlockingApi api = blockingApi(apis, call);
            if (api == null) {
              continue;
            }
            boolean onLoop;
            String where = "";
            if (call.isDeclaredInLambda()) {
              if (sinks == null) {
                sinks = RuleSupport.sinks(unit);
              }
              RuleSupport.Sink sink = sinks.handedTo(call.getLineNumber());
              onLoop = sink == null ? loopClass : sink.onLoop;
              if (sink != null && sink.onLoop) {
                where = " in a lambda handed to " + sink.name;
              }
            } else {
              onLoop = loopClass;
            }
            if (!onLoop) {
              continue;
            }
            String target = call.getTargetOwner().getSimpleName() + "." + call.getName();
            String message = unit.getFullName() + " calls " + target + " (" + c.getSource().map(s -> s.getFileName().orElse("?")).orElse("?")
              + ":" + call.getLineNumber() + ")" + where + " [" + api.kind().jsonName() + "] on the event loop — " + api.kind().advice()
              + "; if it is known and accepted, annotate the method or class with @AllowBlocking(\"reason\")";
            events.add(SimpleConditionEvent.violated(call, message));
          }
        }
      }
    };
  }

  private static ArchCondition<JavaClass> notDeclareSynchronizedMethods() {
    return new ArchCondition<>("not declare synchronized methods") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (JavaMethod m : c.getMethods()) {
          if (m.getModifiers().contains(JavaModifier.SYNCHRONIZED) && !allowedCodeUnit(m)) {
            events.add(SimpleConditionEvent.violated(m, m.getFullName() + " is synchronized (" + m.getSourceCodeLocation()
              + ") [monitor] — " + BlockingKind.MONITOR.advice() + "; or annotate it with @AllowBlocking(\"reason\")"));
          }
        }
      }
    };
  }

  private static BlockingApi blockingApi(List<BlockingApi> apis, JavaCall<?> call) {
    for (BlockingApi api : apis) {
      if (api.matches(call)) {
        return api;
      }
    }
    return null;
  }

  static boolean allowedClass(JavaClass c) {
    for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
      if (k.isAnnotatedWith(AllowBlocking.class)) {
        return true;
      }
    }
    return false;
  }

  private static boolean allowedCodeUnit(JavaCodeUnit unit) {
    return unit.isAnnotatedWith(AllowBlocking.class) || allowedClass(unit.getOwner());
  }

  /** @return the blocking APIs the rules know, as {@code Owner.method [kind]} lines (for documentation) */
  public static List<String> knownBlockingApis() {
    List<String> out = new ArrayList<>();
    for (BlockingApi api : APIS) {
      out.add(api.toString());
    }
    return out;
  }
}
