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
import java.util.Collections;
import java.util.List;
import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/**
 * ArchUnit rules users add to their own test suites: event-loop code (verticles, handlers, and the
 * anonymous/inner classes in them) must not call known blocking APIs.
 *
 * <pre>{@code
 * @AnalyzeClasses(packages = "com.acme")
 * class ArchitectureTest {
 *   @ArchTest static final ArchRule noBlocking = BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE;
 * }
 * }</pre>
 *
 * <p><b>Suppression</b> (documented, one annotation for every layer): {@link AllowBlocking} with the reason,
 * on the calling method or constructor, or on its class (or an enclosing class) — e.g. a worker verticle,
 * or a method only ever run through {@code executeBlocking}. A call on the same line as an
 * {@code executeBlocking(...)} call is taken to be inside its lambda and not reported.
 *
 * <p><b>Limits</b>: only direct calls are seen (a verticle calling your own {@code Repository.load()} which
 * reads a file is not reported — the runtime layers catch it); ArchUnit attributes a lambda's body to the
 * method that declares it, so a multi-line {@code executeBlocking} lambda inside a verticle method needs
 * the annotation or a method reference ({@code executeBlocking(this::load)} with {@code load} annotated);
 * contended {@code synchronized} blocks and CPU loops are invisible to static analysis
 * ({@link #NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE} flags {@code synchronized} methods).
 */
public final class BlockingRules {

  /** A blocking API: owner type (or a supertype of the call's target owner), method names ("*" = any). */
  private static final class Api {
    final String owner;
    final Set<String> methods;
    final BlockingKind kind;
    final boolean assignable;

    Api(String owner, BlockingKind kind, boolean assignable, String... methods) {
      this.owner = owner;
      this.kind = kind;
      this.assignable = assignable;
      this.methods = Set.of(methods);
    }

    boolean matches(JavaCall<?> call) {
      String name = call.getName();
      if (!methods.contains("*") && !methods.contains(name)) {
        return false;
      }
      JavaClass target = call.getTargetOwner();
      return assignable ? target.isAssignableTo(owner) : target.getName().equals(owner);
    }
  }

  private static final List<Api> APIS = List.of(
    new Api("java.lang.Thread", BlockingKind.SLEEP, false, "sleep"),
    new Api("java.lang.Thread", BlockingKind.PARK, false, "join"),
    new Api("java.util.concurrent.TimeUnit", BlockingKind.SLEEP, false, "sleep", "timedJoin", "timedWait"),
    new Api("java.lang.Object", BlockingKind.MONITOR, true, "wait"),
    new Api("java.util.concurrent.locks.Lock", BlockingKind.LOCK, true, "lock", "lockInterruptibly"),
    new Api("java.util.concurrent.locks.StampedLock", BlockingKind.LOCK, false, "readLock", "writeLock",
      "readLockInterruptibly", "writeLockInterruptibly"),
    new Api("java.util.concurrent.locks.Condition", BlockingKind.PARK, true, "await", "awaitNanos", "awaitUninterruptibly", "awaitUntil"),
    new Api("java.util.concurrent.Future", BlockingKind.PARK, true, "get"),
    new Api("java.util.concurrent.CompletableFuture", BlockingKind.PARK, false, "join", "get"),
    new Api("java.util.concurrent.ForkJoinTask", BlockingKind.PARK, true, "join", "get", "invoke"),
    new Api("java.util.concurrent.CountDownLatch", BlockingKind.PARK, false, "await"),
    new Api("java.util.concurrent.Semaphore", BlockingKind.PARK, false, "acquire", "acquireUninterruptibly"),
    new Api("java.util.concurrent.CyclicBarrier", BlockingKind.PARK, false, "await"),
    new Api("java.util.concurrent.Phaser", BlockingKind.PARK, false, "awaitAdvance", "awaitAdvanceInterruptibly", "arriveAndAwaitAdvance"),
    new Api("java.util.concurrent.Exchanger", BlockingKind.PARK, false, "exchange"),
    new Api("java.util.concurrent.BlockingQueue", BlockingKind.PARK, true, "take", "put"),
    new Api("java.util.concurrent.ExecutorService", BlockingKind.PARK, true, "invokeAll", "invokeAny", "awaitTermination"),
    new Api("java.util.concurrent.locks.LockSupport", BlockingKind.PARK, false, "park", "parkNanos", "parkUntil"),
    new Api("io.vertx.core.Future", BlockingKind.PARK, true, "await"),
    new Api("java.io.FileInputStream", BlockingKind.FILE, false, "<init>"),
    new Api("java.io.FileOutputStream", BlockingKind.FILE, false, "<init>"),
    new Api("java.io.RandomAccessFile", BlockingKind.FILE, false, "<init>"),
    new Api("java.io.FileReader", BlockingKind.FILE, false, "<init>"),
    new Api("java.io.FileWriter", BlockingKind.FILE, false, "<init>"),
    new Api("java.io.PrintWriter", BlockingKind.FILE, false, "<init>"),
    new Api("java.util.Scanner", BlockingKind.FILE, false, "<init>"),
    new Api("java.nio.file.Files", BlockingKind.FILE, false, "*"),
    new Api("java.nio.channels.FileChannel", BlockingKind.FILE, true, "open", "read", "write", "force", "lock", "transferTo", "transferFrom"),
    new Api("java.io.File", BlockingKind.FILE, false, "exists", "isFile", "isDirectory", "length", "lastModified", "list",
      "listFiles", "delete", "mkdir", "mkdirs", "createNewFile", "renameTo", "canRead", "canWrite", "canExecute",
      "getCanonicalPath", "getCanonicalFile", "createTempFile", "setLastModified", "isHidden", "getFreeSpace",
      "getTotalSpace", "getUsableSpace"),
    new Api("java.net.Socket", BlockingKind.SOCKET, false, "<init>", "connect", "getInputStream", "getOutputStream"),
    new Api("java.net.ServerSocket", BlockingKind.SOCKET, false, "accept"),
    new Api("java.net.DatagramSocket", BlockingKind.SOCKET, true, "receive", "send", "connect"),
    new Api("java.net.URL", BlockingKind.SOCKET, false, "openStream", "openConnection", "getContent"),
    new Api("java.net.URLConnection", BlockingKind.SOCKET, true, "connect", "getInputStream", "getOutputStream",
      "getContent", "getResponseCode", "getHeaderField", "getContentLength"),
    new Api("java.net.http.HttpClient", BlockingKind.SOCKET, true, "send"),
    new Api("java.nio.channels.SocketChannel", BlockingKind.SOCKET, true, "open", "connect", "finishConnect"),
    new Api("java.nio.channels.ServerSocketChannel", BlockingKind.SOCKET, true, "accept"),
    new Api("java.net.InetAddress", BlockingKind.DNS, true, "getByName", "getAllByName", "getLocalHost", "getHostName",
      "getCanonicalHostName", "isReachable"),
    new Api("java.lang.ProcessBuilder", BlockingKind.PROCESS, false, "start", "startPipeline"),
    new Api("java.lang.Runtime", BlockingKind.PROCESS, false, "exec"),
    new Api("java.lang.Process", BlockingKind.PROCESS, true, "waitFor"),
    new Api("java.lang.System", BlockingKind.UNKNOWN, false, "gc"),
    new Api("java.lang.Runtime", BlockingKind.UNKNOWN, false, "gc"));

  /** Event-loop code: verticles and handlers (and classes nested in them), unless {@link AllowBlocking}. */
  public static final DescribedPredicate<JavaClass> EVENT_LOOP_CODE = eventLoopCode();

  /** Event-loop code must not call a known blocking API (see the class comment for suppression). */
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
   * anonymous, local and inner classes declared in them; a static nested class is judged on its own
   */
  public static DescribedPredicate<JavaClass> eventLoopCode() {
    return new DescribedPredicate<>("event-loop code (verticles, handlers and their nested classes, not @AllowBlocking)") {
      @Override
      public boolean test(JavaClass c) {
        if (allowedClass(c)) {
          return false;
        }
        for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
          if (k.isAssignableTo("io.vertx.core.Deployable") || k.isAssignableTo("io.vertx.core.Handler")) {
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

  /** @return a rule that {@code code} must not call a known blocking API */
  public static ArchRule noBlockingCallsIn(DescribedPredicate<? super JavaClass> code) {
    return classes().that(code).should(notCallBlockingApis())
      .because("blocking an event loop stalls every handler on it; use the asynchronous Vert.x API, executeBlocking "
        + "or a worker verticle, or say why with @AllowBlocking(\"reason\")")
      .allowEmptyShould(true);
  }

  /** @return the condition: no call from the class (outside {@link AllowBlocking} code) to a known blocking API */
  public static ArchCondition<JavaClass> notCallBlockingApis() {
    return new ArchCondition<>("not call blocking APIs") {
      @Override
      public void check(JavaClass c, ConditionEvents events) {
        for (JavaCodeUnit unit : c.getCodeUnits()) {
          if (allowedCodeUnit(unit)) {
            continue;
          }
          List<Integer> executeBlockingLines = new ArrayList<>();
          for (JavaCall<?> call : unit.getCallsFromSelf()) {
            if (call.getName().equals("executeBlocking")) {
              executeBlockingLines.add(call.getLineNumber());
            }
          }
          for (JavaCall<?> call : unit.getCallsFromSelf()) {
            Api api = blockingApi(call);
            if (api == null || executeBlockingLines.contains(call.getLineNumber())) {
              continue;
            }
            String target = call.getTargetOwner().getSimpleName() + "." + call.getName();
            String message = unit.getFullName() + " calls " + target + " (" + c.getSource().map(s -> s.getFileName().orElse("?")).orElse("?")
              + ":" + call.getLineNumber() + ") [" + api.kind.jsonName() + "] on the event loop — " + api.kind.advice()
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

  private static Api blockingApi(JavaCall<?> call) {
    for (Api api : APIS) {
      if (api.matches(call)) {
        return api;
      }
    }
    return null;
  }

  private static boolean allowedClass(JavaClass c) {
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
    for (Api api : APIS) {
      List<String> methods = new ArrayList<>(api.methods);
      Collections.sort(methods);
      out.add(api.owner + (api.assignable ? "+" : "") + "." + String.join("|", methods) + " [" + api.kind.jsonName() + "]");
    }
    return out;
  }
}
