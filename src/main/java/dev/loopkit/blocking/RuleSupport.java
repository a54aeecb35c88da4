package dev.loopkit.blocking;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaAccess;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaFieldAccess;
import com.tngtech.archunit.core.domain.JavaMethod;
import com.tngtech.archunit.core.domain.JavaMethodReference;
import com.tngtech.archunit.core.domain.ReferencedClassObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * {@link BlockingRules}' analysis of where code runs: which API a lambda was handed to (by line: ArchUnit
 * attributes a lambda's body to the method declaring it), and which verticles the analyzed code deploys as
 * worker or virtual-thread verticles.
 */
final class RuleSupport {

  /** How far (in lines) a {@code ThreadingModel} constant may be from the verticle it deploys. */
  private static final int DEPLOY_DISTANCE = 5;
  private static final Map<JavaClass, Optional<String>> DEPLOYED = Collections.synchronizedMap(new WeakHashMap<>());

  private RuleSupport() {
  }

  /** A call that takes a function: where a lambda handed to it runs. */
  static final class Sink {
    final int line;
    final boolean onLoop;
    final String name;

    Sink(int line, boolean onLoop, String name) {
      this.line = line;
      this.onLoop = onLoop;
      this.name = name;
    }
  }

  /** The sinks of one code unit, by line. */
  static final class Sinks {
    private final List<Sink> byLine;

    Sinks(List<Sink> sinks) {
      sinks.sort(Comparator.comparingInt(s -> s.line));
      this.byLine = sinks;
    }

    /**
     * @return the sink a lambda containing a call on {@code line} was handed to: the closest on or before the
     * line (on that line, one that runs it off the loop wins), or {@code null}
     */
    Sink handedTo(int line) {
      Sink best = null;
      for (Sink s : byLine) {
        if (s.line > line) {
          break;
        }
        if (best == null || s.line > best.line || s.line == best.line && !s.onLoop) {
          best = s;
        }
      }
      return best;
    }
  }

  static Sinks sinks(JavaCodeUnit unit) {
    List<Sink> sinks = new ArrayList<>();
    for (JavaCall<?> call : unit.getCallsFromSelf()) {
      Sink s = sink(call);
      if (s != null) {
        sinks.add(s);
      }
    }
    return new Sinks(sinks);
  }

  /**
   * @return the sink {@code call} is, or {@code null} when it takes no function or runs it in place (a JDK
   * {@code forEach}, {@code Optional.map}...: the lambda runs where its caller runs)
   */
  private static Sink sink(JavaCall<?> call) {
    if (!takesFunction(call)) {
      return null;
    }
    JavaClass owner = call.getTargetOwner();
    String name = call.getName();
    String label = owner.getSimpleName() + "." + name;
    if (owner.getName().startsWith("io.vertx.")) {
      boolean worker = name.equals("executeBlocking") || name.equals("blockingHandler");
      return new Sink(call.getLineNumber(), !worker, label);
    }
    if (offLoop(owner, name)) {
      return new Sink(call.getLineNumber(), false, label);
    }
    return null;
  }

  /** @return whether a JDK call runs the function it is given on another thread */
  private static boolean offLoop(JavaClass owner, String name) {
    if (owner.isAssignableTo("java.util.concurrent.Executor")) {
      return name.equals("execute") || name.equals("submit") || name.startsWith("schedule") || name.startsWith("invoke");
    }
    if (owner.getName().equals("java.util.concurrent.CompletableFuture")) {
      return name.endsWith("Async");
    }
    if (owner.getName().equals("java.lang.Thread") || owner.getName().startsWith("java.lang.Thread$Builder")) {
      return name.equals("<init>") || name.startsWith("start") || name.equals("unstarted");
    }
    return false;
  }

  private static boolean takesFunction(JavaCall<?> call) {
    for (JavaClass p : call.getTarget().getRawParameterTypes()) {
      String n = p.getName();
      if (n.equals("io.vertx.core.Handler") || n.equals("java.util.concurrent.Callable") || n.equals("java.lang.Runnable")
        || n.startsWith("java.util.function.") || p.isInterface() && p.isAnnotatedWith(FunctionalInterface.class)) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return whether {@code unit} only runs on a worker: a method handed by reference to
   * {@code executeBlocking}/{@code blockingHandler} (e.g. {@code executeBlocking(this::load)}) and never
   * called directly
   */
  static boolean runOnWorker(JavaCodeUnit unit) {
    if (!(unit instanceof JavaMethod)) {
      return false;
    }
    JavaMethod m = (JavaMethod) unit;
    if (!m.getCallsOfSelf().isEmpty() || m.getReferencesToSelf().isEmpty()) {
      return false;
    }
    for (JavaMethodReference r : m.getReferencesToSelf()) {
      Sink s = sinks(r.getOrigin()).handedTo(r.getLineNumber());
      if (s == null || s.onLoop) {
        return false;
      }
    }
    return true;
  }

  /**
   * @return {@code WORKER} or {@code VIRTUAL_THREAD} when {@code c} (or a class enclosing it) is a verticle the
   * analyzed code deploys with that threading model — a {@code ThreadingModel} constant read within a few
   * lines of {@code new C()}, {@code C::new} or {@code C.class} — else {@code null}
   */
  static String deployedOffLoop(JavaClass c) {
    for (JavaClass k = c; k != null; k = k.getEnclosingClass().orElse(null)) {
      String model = DEPLOYED.computeIfAbsent(k, RuleSupport::deployedAs).orElse(null);
      if (model != null) {
        return model;
      }
    }
    return null;
  }

  private static Optional<String> deployedAs(JavaClass k) {
    if (!k.isAssignableTo("io.vertx.core.Deployable")) {
      return Optional.empty();
    }
    List<JavaCodeUnit> units = new ArrayList<>();
    for (JavaAccess<?> a : k.getConstructorCallsToSelf()) {
      units.add(a.getOrigin());
    }
    for (JavaAccess<?> a : k.getConstructorReferencesToSelf()) {
      units.add(a.getOrigin());
    }
    for (Dependency d : k.getDirectDependenciesToSelf()) {
      units.addAll(d.getOriginClass().getCodeUnits());
    }
    for (JavaCodeUnit unit : units) {
      String model = deployments(unit).get(k.getName());
      if (model != null) {
        return Optional.of(model);
      }
    }
    return Optional.empty();
  }

  /**
   * @return the verticle classes {@code unit} deploys with a {@code WORKER} or {@code VIRTUAL_THREAD} threading
   * model: each such constant read is paired with the verticle referenced ({@code new C()}, {@code C::new},
   * {@code C.class}) on the closest line, within a few lines (a tie pairs it with each: a miss, never a false
   * alarm)
   */
  private static Map<String, String> deployments(JavaCodeUnit unit) {
    List<int[]> refLines = new ArrayList<>();
    List<String> refClasses = new ArrayList<>();
    for (JavaCall<?> c : unit.getConstructorCallsFromSelf()) {
      addDeployable(c.getTargetOwner(), c.getLineNumber(), refLines, refClasses);
    }
    for (JavaAccess<?> r : unit.getConstructorReferencesFromSelf()) {
      addDeployable(r.getTargetOwner(), r.getLineNumber(), refLines, refClasses);
    }
    for (ReferencedClassObject r : unit.getReferencedClassObjects()) {
      addDeployable(r.getRawType(), r.getLineNumber(), refLines, refClasses);
    }
    Map<String, String> out = new java.util.HashMap<>();
    for (JavaFieldAccess f : unit.getFieldAccesses()) {
      String name = f.getName();
      if (!f.getTargetOwner().getName().equals("io.vertx.core.ThreadingModel") || !(name.equals("WORKER") || name.equals("VIRTUAL_THREAD"))) {
        continue;
      }
      int best = Integer.MAX_VALUE;
      for (int[] l : refLines) {
        best = Math.min(best, Math.abs(l[0] - f.getLineNumber()));
      }
      if (best > DEPLOY_DISTANCE) {
        continue;
      }
      for (int i = 0; i < refLines.size(); i++) {
        if (Math.abs(refLines.get(i)[0] - f.getLineNumber()) == best) {
          out.put(refClasses.get(i), name);
        }
      }
    }
    return out;
  }

  private static void addDeployable(JavaClass c, int line, List<int[]> lines, List<String> classes) {
    if (c.isAssignableTo("io.vertx.core.Deployable")) {
      lines.add(new int[] {line});
      classes.add(c.getName());
    }
  }
}
