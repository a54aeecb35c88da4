package dev.loopkit.blocking.impl;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What a thread is handling right now, written by the attribution hooks on that thread (event-bus inbound
 * interceptor, HTTP request/route wrappers, {@code BlockingAttribution.allow}) and read by the watchdog
 * from another thread when an incident starts. The hot path uses opaque stores (plain moves on x86, never
 * elided, no fence: a couple of nanoseconds per message); the watchdog reads them while the thread is
 * stalled, after a safepoint. The map from thread to slot is consulted only per incident.
 */
public final class ThreadSlot {

  private static final Map<Thread, ThreadSlot> SLOTS = Collections.synchronizedMap(new WeakHashMap<>());
  private static final FastThreadLocal<ThreadSlot> CURRENT = new FastThreadLocal<>() {
    @Override
    protected ThreadSlot initialValue() {
      ThreadSlot slot = new ThreadSlot();
      SLOTS.put(Thread.currentThread(), slot);
      return slot;
    }
  };

  private static final java.lang.invoke.VarHandle ADDRESS;
  private static final java.lang.invoke.VarHandle ROUTE;
  private static final java.lang.invoke.VarHandle CONTEXT;
  private static final java.lang.invoke.VarHandle ALLOW;

  static {
    try {
      java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
      ADDRESS = l.findVarHandle(ThreadSlot.class, "address", String.class);
      ROUTE = l.findVarHandle(ThreadSlot.class, "route", String.class);
      CONTEXT = l.findVarHandle(ThreadSlot.class, "context", Context.class);
      ALLOW = l.findVarHandle(ThreadSlot.class, "allowReason", String.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private String address;
  private String route;
  private Context context;
  private String allowReason;

  /** @return the event-bus address being handled, or {@code null} */
  public String address() {
    return (String) ADDRESS.getOpaque(this);
  }

  public void address(String value) {
    ADDRESS.setOpaque(this, value);
  }

  /** @return the HTTP method and path/route being handled, or {@code null} */
  public String route() {
    return (String) ROUTE.getOpaque(this);
  }

  public void route(String value) {
    ROUTE.setOpaque(this, value);
  }

  /** @return the context captured by the hook that set the address or route (when the thread's own is unreadable) */
  public Context context() {
    return (Context) CONTEXT.getOpaque(this);
  }

  public void context(Context value) {
    CONTEXT.setOpaque(this, value);
  }

  /** @return the reason of an allowed block in progress ({@code BlockingAttribution.allow}), or {@code null} */
  public String allowReason() {
    return (String) ALLOW.getOpaque(this);
  }

  public void allowReason(String value) {
    ALLOW.setOpaque(this, value);
  }

  private ThreadSlot() {
  }

  /** @return the calling thread's slot (created on first use) */
  public static ThreadSlot current() {
    return CURRENT.get();
  }

  /** @return {@code thread}'s slot, or {@code null} when no hook ever ran on it */
  public static ThreadSlot of(Thread thread) {
    return SLOTS.get(thread);
  }
}
