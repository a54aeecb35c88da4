package dev.loopkit.async.impl;

import dev.loopkit.async.LiveResources;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.impl.ClientPhase;
import io.vertx.ext.web.client.impl.HttpContext;
import io.vertx.ext.web.client.impl.WebClientInternal;

import java.util.ArrayDeque;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Cancel for the Web Client, which has none: an interceptor, installed once per client, ties each watched
 * send to its {@code HttpContext} and keeps the underlying {@link HttpClientRequest}, so that a cancel can
 * reset it at any phase — also after the response headers, when the Web Client itself has let go of the
 * request while it reads the body.
 *
 * <p>The only use of a non-public Vert.x API in the async package: {@code WebClientInternal.addInterceptor}
 * and {@code HttpContext} (vertx-web-client's impl package, the hook its own session and OAuth2 clients
 * use). A send is matched to its context by the identity of the {@link HttpRequest} in the
 * {@code PREPARE_REQUEST} phase, so interceptors that defer that phase still work.
 */
public final class WebClientCancel {

  private static final String KEY = WebClientCancel.class.getName();
  private static final Map<WebClient, Boolean> INSTALLED = Collections.synchronizedMap(new WeakHashMap<>());
  /** Sends armed and not yet seen by the interceptor, by request identity (the same request may be sent twice). */
  private static final Map<HttpRequest<?>, ArrayDeque<Watch<?>>> PENDING = new IdentityHashMap<>();

  private WebClientCancel() {
  }

  /**
   * @return a watch for one send of {@code request} on {@code client}
   * @throws IllegalArgumentException when {@code client} is not a Vert.x Web Client implementation
   */
  public static <T> Watch<T> watch(WebClient client, HttpRequest<T> request, LiveResources live) {
    if (!(client instanceof WebClientInternal)) {
      throw new IllegalArgumentException("Cancellable.web needs a client from WebClient.create or WebClient.wrap, got "
        + client.getClass().getName() + " — it cannot reset requests of other implementations");
    }
    if (INSTALLED.putIfAbsent(client, Boolean.TRUE) == null) {
      ((WebClientInternal) client).addInterceptor(WebClientCancel::intercept);
    }
    return new Watch<>(request, live);
  }

  private static void intercept(HttpContext<?> ctx) {
    Watch<?> watch = ctx.get(KEY);
    if (watch == null && ctx.phase() == ClientPhase.PREPARE_REQUEST) {
      watch = take(ctx.request());
      if (watch != null) {
        ctx.set(KEY, watch);
      }
    }
    if (watch != null && ctx.phase() == ClientPhase.SEND_REQUEST && watch.sending(ctx.clientRequest())) {
      // cancelled while the connection was being obtained: close it, send nothing, fail the Web Client's call
      ctx.clientRequest().connection().close();
      ctx.fail(watch.cancelled);
      return;
    }
    if (watch != null && ctx.phase() == ClientPhase.PREPARE_REQUEST && watch.isCancelled()) {
      ctx.fail(watch.cancelled);
      return;
    }
    ctx.next();
  }

  private static Watch<?> take(HttpRequest<?> request) {
    synchronized (PENDING) {
      ArrayDeque<Watch<?>> queue = PENDING.get(request);
      if (queue == null) {
        return null;
      }
      Watch<?> first = queue.poll();
      if (queue.isEmpty()) {
        PENDING.remove(request);
      }
      return first;
    }
  }

  /** One send of a request: armed before the send, cancelled at most once, settled when its future completes. */
  public static final class Watch<T> {

    private final HttpRequest<T> request;
    private final LiveResources live;
    private boolean armed;
    private boolean settled;
    private HttpClientRequest clientRequest;
    private RuntimeException cancelled;

    Watch(HttpRequest<T> request, LiveResources live) {
      this.request = request;
      this.live = live;
    }

    /** Registers this send so the interceptor recognises it; call right before sending. */
    public void arm() {
      synchronized (this) {
        armed = true;
      }
      live.increment(LiveResources.HTTP_REQUESTS);
      synchronized (PENDING) {
        PENDING.computeIfAbsent(request, r -> new ArrayDeque<>(1)).add(this);
      }
    }

    /** @return whether {@link #arm()} was called */
    public synchronized boolean armed() {
      return armed;
    }

    /** The send's future completed (or nothing was sent): forget it, stop counting it. Idempotent. */
    public void settled() {
      boolean count;
      synchronized (this) {
        count = armed && !settled;
        settled = true;
      }
      synchronized (PENDING) {
        ArrayDeque<Watch<?>> queue = PENDING.get(request);
        if (queue != null && queue.remove(this) && queue.isEmpty()) {
          PENDING.remove(request);
        }
      }
      if (count) {
        live.decrement(LiveResources.HTTP_REQUESTS);
      }
    }

    /** Resets the request if it is on the wire; otherwise the interceptor stops it when it gets there. */
    public void cancel() {
      HttpClientRequest toReset;
      synchronized (this) {
        if (cancelled != null || settled) {
          return;
        }
        cancelled = new IllegalStateException("request cancelled by its CancelScope");
        toReset = clientRequest;
      }
      if (toReset != null) {
        toReset.reset(); // closes the connection; the Web Client's call then fails (that failure is dropped)
      }
    }

    synchronized boolean isCancelled() {
      return cancelled != null;
    }

    /** @return true when the send must not go ahead (cancelled before the connection arrived) */
    synchronized boolean sending(HttpClientRequest request) {
      clientRequest = request;
      return cancelled != null;
    }
  }
}
