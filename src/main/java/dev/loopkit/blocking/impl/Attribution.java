package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.AllowBlocking;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.Context;

import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a stall belongs to: verticle class and deployment id, the event-bus address or HTTP route being
 * handled (from the hooks' {@link ThreadSlot}), the timer handler, what the loop was dispatching, and the
 * reason when the block is allowed. Computed once per incident, from (in order) the thread's
 * {@link ThreadSlot}, the context the thread is running ({@link VertxInternals#contextOf}), and the stack.
 */
final class Attribution {

  static final Attribution NONE = new Attribution(null, null, null, null, null, null, null);

  private static final Map<String, Optional<String>> ALLOW_CACHE = new ConcurrentHashMap<>();

  final String verticle;
  final String deploymentId;
  final String address;
  final String route;
  final String timer;
  final String source;
  final String allowed;

  Attribution(String verticle, String deploymentId, String address, String route, String timer, String source, String allowed) {
    this.verticle = verticle;
    this.deploymentId = deploymentId;
    this.address = address;
    this.route = route;
    this.timer = timer;
    this.source = source;
    this.allowed = allowed;
  }

  static Attribution of(Thread thread, Sample sample, StackAnalyzer analyzer) {
    ThreadSlot slot = ThreadSlot.of(thread);
    String address = slot == null ? null : slot.address();
    String route = slot == null ? null : slot.route();
    Context context = VertxInternals.contextOf(thread);
    if (context == null && slot != null) {
      context = slot.context();
    }
    if (route == null && address == null && slot != null) {
      // a request recorded by the metrics SPI (BlockingAttribution.metrics / BlockingAttributionProvider):
      // the one whose own context the thread is running
      route = slot.requestRoute(VertxInternals.contextOf(thread));
    }
    List<StackFrame> frames = sample == null ? List.of() : sample.frames;
    String verticle = VertxInternals.verticleClass(context);
    if (verticle == null) {
      verticle = analyzer.verticleFromStack(frames);
    }
    String deploymentId = context == null ? null : context.deploymentID();
    String source = address != null ? "event-bus" : route != null ? "http" : StackAnalyzer.source(frames);
    String timer = null;
    if ("timer".equals(source)) {
      StackFrame handler = analyzer.timerHandler(frames);
      timer = handler == null ? "timer" : handler.methodKey();
    }
    String allowed = slot == null ? null : slot.allowReason();
    if (allowed == null) {
      allowed = allowedByAnnotation(frames, sample == null ? -1 : sample.culpritIndex, analyzer);
    }
    return new Attribution(verticle, deploymentId, address, route, timer, source, allowed);
  }

  /**
   * @return {@code a} completed from the sample of the phase blamed (when it is not the first sample: framework
   * work came first): verticle from the stack and allowed-by-annotation, if still unknown
   */
  /**
   * @return {@code a} with the address and route taken again from {@code fresh} when it has them: the hooks
   * are read again once the stall reaches the application's code (the route matched by then)
   */
  static Attribution freshen(Attribution a, Attribution fresh) {
    if (a == null) {
      return fresh;
    }
    if (fresh.address == null && fresh.route == null) {
      return a;
    }
    return new Attribution(a.verticle != null ? a.verticle : fresh.verticle, a.deploymentId != null ? a.deploymentId : fresh.deploymentId,
      fresh.address, fresh.route, a.timer, fresh.source, a.allowed != null ? a.allowed : fresh.allowed);
  }

  static Attribution refine(Attribution a, Sample s, StackAnalyzer analyzer) {
    if (a == null || s == null) {
      return a;
    }
    String verticle = a.verticle != null ? a.verticle : analyzer.verticleFromStack(s.frames);
    String allowed = a.allowed != null ? a.allowed : allowedByAnnotation(s.frames, s.culpritIndex, analyzer);
    if (verticle == a.verticle && allowed == a.allowed) {
      return a;
    }
    return new Attribution(verticle, a.deploymentId, a.address, a.route, a.timer, a.source, allowed);
  }

  /** @return the reason of the first {@link AllowBlocking} found on user frames from the culprit down */
  static String allowedByAnnotation(List<StackFrame> frames, int culprit, StackAnalyzer analyzer) {
    if (culprit < 0) {
      return null;
    }
    for (int i = culprit; i < frames.size(); i++) {
      StackFrame f = frames.get(i);
      if (analyzer.isFramework(f.className())) {
        continue;
      }
      String reason = allowReason(f);
      if (reason != null) {
        return reason;
      }
    }
    return null;
  }

  /** @return the {@link AllowBlocking} reason that applies to code running in frame {@code f}, or null */
  static String allowReason(StackFrame f) {
    return ALLOW_CACHE.computeIfAbsent(f.methodKey(), k -> Optional.ofNullable(lookup(f.className(), f.method()))).orElse(null);
  }

  private static String lookup(String className, String method) {
    Class<?> type;
    try {
      ClassLoader cl = Thread.currentThread().getContextClassLoader();
      type = Class.forName(className, false, cl != null ? cl : Attribution.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError | SecurityException e) {
      try {
        type = Class.forName(className, false, Attribution.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError | SecurityException e2) {
        return null;
      }
    }
    List<String> names = new ArrayList<>();
    names.add(method);
    if (method.startsWith("lambda$")) {
      String[] parts = method.split("\\$");
      if (parts.length >= 2 && !parts[1].isEmpty()) {
        names.add(parts[1]);
      }
    }
    try {
      for (String name : names) {
        if (name.equals("<init>") || name.equals("new")) {
          for (Constructor<?> c : type.getDeclaredConstructors()) {
            String r = reason(c);
            if (r != null) {
              return r;
            }
          }
        }
        for (Method m : type.getDeclaredMethods()) {
          if (m.getName().equals(name)) {
            String r = reason(m);
            if (r != null) {
              return r;
            }
          }
        }
      }
      for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
        AllowBlocking a = c.getAnnotation(AllowBlocking.class);
        if (a != null) {
          return a.value();
        }
      }
    } catch (LinkageError | SecurityException e) {
      return null;
    }
    return null;
  }

  private static String reason(Executable e) {
    AllowBlocking a = e.getAnnotation(AllowBlocking.class);
    return a == null ? null : a.value();
  }
}
