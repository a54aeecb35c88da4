package dev.loopkit.fetch.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.fetch.FetchEngine;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchMode;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchReply;
import dev.loopkit.fetch.FetchRequest;
import dev.loopkit.fetch.FetchResult;
import dev.loopkit.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The engine behind {@link FetchEngine}: one core {@link io.vertx.core.http.HttpClient} (pool of
 * {@code maxPerHost} connections per host, unbounded pool queue because the {@link Limiter} in front never
 * lets more than {@code maxPerHost} requests at a host), the host policy, and the calls in progress.
 *
 * <p>Why the core client rather than the Web Client: a request can be reset directly
 * ({@link io.vertx.core.http.HttpClientRequest#reset()}, which closes the connection of a request on the
 * wire), the body is read chunk by chunk so the size cap resets instead of draining, redirects are
 * followed here so every hop goes through the host policy, and there is no per-request codec or
 * interceptor machinery to pay for.
 *
 * <p>Sharded: one {@link Shard} per event loop ({@code shards}), each with its own client, so a request's
 * socket I/O, timer and bookkeeping stay on one loop. A call lives on the shard it arrived on (the engine's
 * own context for the {@link dev.loopkit.fetch.FetchVerticle}); its requests are placed on the least busy
 * shard. Shared across shards, and thread-safe: the {@link Limiter} (exact global and per-host limits,
 * lock-free while nobody waits), the set of calls, the counters.
 */
public final class FetchEngineImpl implements FetchEngine {

  private static final Logger LOG = LoggerFactory.getLogger(FetchEngineImpl.class);

  /** LiveResources counter: calls in progress. */
  public static final String LIVE_CALLS = "fetchCalls";

  final Vertx vertx;
  final FetchOptions options;
  final HostRules rules;
  final Limiter limiter;
  final Shard[] shards;
  final LiveResources live;
  final String budgetHeader;
  /** Headers of requests that set none (shared: Vert.x copies request headers). */
  final io.vertx.core.MultiMap defaultHeaders;
  private final AtomicInteger connections = new AtomicInteger();
  private final Set<Call> calls = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final AtomicInteger callCount = new AtomicInteger();
  private final Counter[] itemCounters;
  private final Counter okCounter;
  private volatile boolean closed;

  public FetchEngineImpl(Vertx vertx, FetchOptions options) {
    this.vertx = vertx;
    this.options = new FetchOptions(options).validate();
    this.rules = HostRules.compile(this.options.getAllowedHosts(), this.options.getDeniedHosts(), "allowedHosts", "deniedHosts");
    this.limiter = new Limiter(this.options.getMaxInFlight(), this.options.getMaxPerHost(), this.options.getMaxQueue());
    this.live = LiveResources.of(vertx);
    this.budgetHeader = this.options.getBudgetHeader();
    this.defaultHeaders = io.vertx.core.http.HttpHeaders.headers().add(io.vertx.core.http.HttpHeaders.USER_AGENT, this.options.getUserAgent());
    Context current = Vertx.currentContext();
    Context primary = current != null && current.isEventLoopContext() ? current : vertx.getOrCreateContext();
    List<Context> contexts = this.options.getShards() == 1 ? List.of(primary)
      : Internals.shardContexts(vertx, primary, this.options.getShards());
    this.shards = new Shard[contexts.size()];
    for (int i = 0; i < shards.length; i++) {
      shards[i] = new Shard(i, contexts.get(i), buildClient());
    }
    MeterRegistry registry = Meters.registry(vertx);
    FetchErrorCode[] codes = FetchErrorCode.values();
    itemCounters = new Counter[codes.length];
    for (int i = 0; i < codes.length; i++) {
      itemCounters[i] = Counter.builder("loopkit.fetch.requests").tag("outcome", codes[i].name())
        .description("fetch requests by outcome").register(registry);
    }
    okCounter = Counter.builder("loopkit.fetch.requests").tag("outcome", "OK").description("fetch requests by outcome").register(registry);
    synchronized (OPEN) {
      OPEN.computeIfAbsent(vertx, v -> java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>())).add(this);
    }
  }

  private HttpClientAgent buildClient() {
    long keepAliveMs = options.getKeepAliveTimeoutMs();
    HttpClientOptions http = new HttpClientOptions()
      .setProtocolVersion(HttpVersion.HTTP_1_1)
      .setKeepAlive(keepAliveMs > 0)
      .setKeepAliveTimeout((int) Math.max(1, (keepAliveMs + 999) / 1000))
      .setConnectTimeout(options.getConnectTimeoutMs())
      .setPipelining(options.isPipelining())
      .setMaxHeaderSize(Internals.MAX_HEAD_BYTES)
      .setMaxInitialLineLength(Internals.MAX_STATUS_LINE)
      .setTcpNoDelay(true);
    PoolOptions pool = new PoolOptions()
      .setHttp1MaxSize(options.getMaxPerHost())
      .setMaxWaitQueueSize(-1)
      .setEventLoopSize(options.getEventLoops());
    return vertx.httpClientBuilder()
      .with(http)
      .with(pool)
      .withConnectHandler(conn -> {
        connections.incrementAndGet();
        conn.closeHandler(v -> connections.decrementAndGet());
        // Without a handler Vert.x logs every connection failure at ERROR: an upstream's reset, garbage or
        // oversized head, and each of the engine's own resets. The request on the wire gets the failure
        // (and reports it as its result); the connection itself has nothing to add beyond DEBUG.
        conn.exceptionHandler(FetchEngineImpl::connectionFailed);
        Internals.guard(conn);
      })
      .build();
  }

  /**
   * The shard a new call lives on: the caller's own when it runs on one, else the engine's first (so calls
   * made one after the other from elsewhere start in that order; their requests spread anyway).
   */
  private Shard home() {
    Context current = Vertx.currentContext();
    for (Shard s : shards) {
      if (s.context == current) {
        return s;
      }
    }
    return shards[0];
  }

  @Override
  public Future<FetchReply> fetch(FetchRequest request, CancelScope scope, Handler<FetchResult> onResult) {
    Promise<FetchReply> promise = Promise.promise();
    Shard home = home();
    home.run(() -> {
      try {
        start(home, request, scope, onResult, promise);
      } catch (RuntimeException e) {
        promise.tryFail(e instanceof ReplyException ? e : FailureCode.INTERNAL.exception("fetch engine failed to start a call: " + e));
      }
    });
    return promise.future();
  }

  private void start(Shard home, FetchRequest request, CancelScope parent, Handler<FetchResult> onResult, Promise<FetchReply> promise) {
    if (closed) {
      promise.fail(FailureCode.UNAVAILABLE.exception("fetch engine is closed"));
      return;
    }
    if (request == null) {
      promise.fail(FailureCode.BAD_REQUEST.exception("body: must be a fetch request, got nothing"));
      return;
    }
    if (parent != null) {
      CancelledException already = parent.reason();
      if (already != null) {
        promise.fail(already.deadline()
          ? new DeadlineExceededException("deadline passed before the call started: " + already.getMessage(), already)
          : FailureCode.CANCELLED.exception("call cancelled before it started: " + already.getMessage()));
        return;
      }
    }
    Prepared[] items;
    try {
      items = Prepared.prepare(request, options, rules, defaultHeaders);
    } catch (ReplyException e) {
      promise.fail(e);
      return;
    }
    if (callCount.incrementAndGet() > options.getMaxCalls()) {
      callCount.decrementAndGet();
      promise.fail(FailureCode.UNAVAILABLE.exception("overloaded: maxCalls (" + options.getMaxCalls()
        + ") calls already in progress; retry later"));
      return;
    }
    if (items.length > 0 && limiter.queueFull()) {
      callCount.decrementAndGet();
      promise.fail(FailureCode.UNAVAILABLE.exception("overloaded: " + limiter.inFlight() + " requests in flight and "
        + limiter.queued() + " waiting (maxQueue " + options.getMaxQueue() + "); retry later"));
      return;
    }
    long timeoutMs = request.timeoutMs() > 0 ? request.timeoutMs() : options.getTimeoutMs();
    Deadline deadline = Deadline.in(timeoutMs);
    CancelScope scope = parent == null ? CancelScope.withDeadline(vertx, deadline) : parent.child(deadline);
    int concurrency = request.concurrency() > 0 ? request.concurrency() : options.getDefaultConcurrency();
    Call call = new Call(this, home, items, request.mode(), request.mode() == FetchMode.QUORUM ? request.quorum() : 0,
      concurrency, timeoutMs, scope, promise, onResult);
    calls.add(call);
    live.increment(LIVE_CALLS);
    call.start();
  }

  void callDone(Call call) {
    if (calls.remove(call)) {
      callCount.decrementAndGet();
      live.decrement(LIVE_CALLS);
    }
    call.scope.close();
  }

  void count(FetchResult r) {
    if (r.ok()) {
      okCounter.increment();
    } else {
      itemCounters[r.error().ordinal()].increment();
    }
  }

  Future<InetAddress> resolve(String host) {
    return Internals.resolve(vertx, host);
  }

  private static void connectionFailed(Throwable t) {
    if (LOG.isDebugEnabled()) {
      LOG.debug("fetch connection failed: {} {}", t.getClass().getSimpleName(), LogValues.quote(t.getMessage()));
    }
  }

  @Override
  public FetchOptions options() {
    return new FetchOptions(options);
  }

  @Override
  public JsonObject stats() {
    return new JsonObject()
      .put("calls", calls.size())
      .put("shards", shards.length)
      .put("shardRequests", shardRequests())
      .put("inFlight", limiter.inFlight())
      .put("queued", limiter.queued())
      .put("hosts", limiter.hosts())
      .put("connections", connections.get())
      .put("perHost", limiter.perHost(MAX_HOSTS_IN_STATS));
  }

  private io.vertx.core.json.JsonArray shardRequests() {
    io.vertx.core.json.JsonArray a = new io.vertx.core.json.JsonArray();
    for (Shard s : shards) {
      a.add(s.active.get());
    }
    return a;
  }

  /** @return {@link #stats()}, read on the engine's own context (from any thread) */
  public Future<JsonObject> statsOnContext() {
    Promise<JsonObject> p = Promise.promise();
    shards[0].run(() -> p.complete(stats()));
    return p.future();
  }

  /** Hosts listed in {@link #stats()}'s {@code perHost} (the busiest first). */
  public static final int MAX_HOSTS_IN_STATS = 20;

  private static final Map<Vertx, Set<FetchEngineImpl>> OPEN = new java.util.WeakHashMap<>();

  /**
   * @return the engines of {@code vertx} not closed yet (for the loop console); read each one's
   * {@link #stats()} (thread-safe) or {@link #statsOnContext()}
   */
  public static List<FetchEngineImpl> open(Vertx vertx) {
    synchronized (OPEN) {
      Set<FetchEngineImpl> s = OPEN.get(vertx);
      return s == null ? List.of() : new ArrayList<>(s);
    }
  }

  /** @return open connections (pooled or in use) */
  public int connections() {
    return connections.get();
  }

  @Override
  public Future<Void> close() {
    if (!closed) {
      closed = true;
      synchronized (OPEN) {
        Set<FetchEngineImpl> open = OPEN.get(vertx);
        if (open != null) {
          open.remove(this);
        }
      }
    }
    List<Future<Void>> aborted = new ArrayList<>();
    for (Call c : new ArrayList<>(calls)) {
      Promise<Void> p = Promise.promise();
      c.home.run(() -> {
        c.abort("fetch engine closed");
        p.complete();
      });
      aborted.add(p.future());
    }
    return Future.join(aborted).transform(v -> {
      List<Future<Void>> closing = new ArrayList<>();
      for (Shard s : shards) {
        closing.add(s.client.close());
      }
      return Future.join(closing).<Void>mapEmpty();
    });
  }
}
