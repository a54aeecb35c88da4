package dev.loopkit.blocking.impl;

import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.Context;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;

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
      ROUTE = l.findVarHandle(ThreadSlot.class, "route", Object.class);
      CONTEXT = l.findVarHandle(ThreadSlot.class, "context", Context.class);
      ALLOW = l.findVarHandle(ThreadSlot.class, "allowReason", String.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** The last requests begun on this thread (metrics SPI, {@link AttributionMetrics}): a ring, newest at {@code next - 1}. */
  private final Object[] requests = new Object[REQUESTS];
  private int nextRequest;
  private static final int REQUESTS = 32;
  private static final java.lang.invoke.VarHandle RING = java.lang.invoke.MethodHandles.arrayElementVarHandle(Object[].class);

  private String address;
  /** A String, or the request ({@code HttpServerRequest}/{@code RoutingContext}) the route is read from per incident. */
  private Object route;
  private Context context;
  private String allowReason;

  /** @return the event-bus address being handled, or {@code null} */
  public String address() {
    return (String) ADDRESS.getOpaque(this);
  }

  public void address(String value) {
    ADDRESS.setOpaque(this, value);
  }

  /**
   * @return the HTTP method and path/route being handled, or {@code null}. The hooks store the request
   * object itself (no allocation per request); the text is made here, once per incident, by the watchdog
   * while the thread is stalled — from fields Vert.x sets before calling the handler, with no lock taken.
   */
  public String route() {
    Object r = ROUTE.getOpaque(this);
    if (r == null || r instanceof String) {
      return (String) r;
    }
    try {
      if (r instanceof RoutingContext) {
        RoutingContext rc = (RoutingContext) r;
        Route current = rc.currentRoute();
        String pattern = current == null ? null : current.getPath();
        return rc.request().method().name() + " " + (pattern != null && !pattern.equals("/") ? pattern : pathOf(rc.request().uri()));
      }
      if (r instanceof HttpServerRequest) {
        HttpServerRequest req = (HttpServerRequest) r;
        return req.method().name() + " " + pathOf(req.uri());
      }
    } catch (RuntimeException e) {
      return null;
    }
    return String.valueOf(r);
  }

  /** @return what {@link #route(Object)} stored (to restore it after a nested hook) */
  public Object routeSource() {
    return ROUTE.getOpaque(this);
  }

  /** @param value the route text, or the {@code HttpServerRequest}/{@code RoutingContext} to read it from */
  public void route(Object value) {
    ROUTE.setOpaque(this, value);
  }

  /** @return the path of a request URI: no query or fragment, no scheme/authority in absolute form */
  static String pathOf(String uri) {
    if (uri == null) {
      return null;
    }
    int from = 0;
    int scheme = uri.indexOf("://");
    if (scheme > 0 && scheme < uri.indexOf('/') + 1) {
      int slash = uri.indexOf('/', scheme + 3);
      if (slash < 0) {
        return "/";
      }
      from = slash;
    }
    int end = uri.length();
    for (int i = from; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c == '?' || c == '#') {
        end = i;
        break;
      }
    }
    return uri.substring(from, end);
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

  /** Records a request begun on this thread (called on the thread itself: one plain counter, one opaque store). */
  void requestBegun(AttributionMetrics.RequestMark mark) {
    int i = nextRequest;
    RING.setOpaque(requests, i & (REQUESTS - 1), mark);
    nextRequest = i + 1;
  }

  /**
   * @return {@code METHOD /pattern} (or {@code /path}) of the most recent request begun on this thread whose
   * context is {@code context} — the request the thread is handling, synchronously or in a continuation —
   * or {@code null}; called by the watchdog while the thread is stalled
   */
  String requestRoute(io.vertx.core.Context context) {
    if (context == null) {
      return null;
    }
    for (int k = 0; k < REQUESTS; k++) {
      Object o = RING.getOpaque(requests, k);
      if (o instanceof AttributionMetrics.RequestMark) {
        AttributionMetrics.RequestMark mark = (AttributionMetrics.RequestMark) o;
        if (VertxInternals.requestContext(mark.request) == context) {
          try {
            return mark.text();
          } catch (RuntimeException e) {
            return null;
          }
        }
      }
    }
    return null;
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
