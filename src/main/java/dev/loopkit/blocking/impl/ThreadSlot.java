package dev.loopkit.blocking.impl;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * What a thread is handling right now, written by the attribution hooks on that thread (event-bus inbound
 * interceptor, HTTP request/route wrappers, {@code BlockingAttribution.allow}) and read by the watchdog
 * from another thread when an incident starts. Writes are plain volatile stores on the hot path (a few
 * nanoseconds per message); the map from thread to slot is consulted only per incident.
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

  /** Event-bus address being handled, or {@code null}. */
  public volatile String address;
  /** HTTP method and path/route being handled, or {@code null}. */
  public volatile String route;
  /** Context captured by the hook that set {@link #address} or {@link #route}. */
  public volatile Context context;
  /** Reason of an allowed block in progress ({@code BlockingAttribution.allow}), or {@code null}. */
  public volatile String allowReason;

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
