package dev.loopkit.timeout.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.Headers;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.metrics.Meters;
import dev.loopkit.timeout.BreakerOptions;
import dev.loopkit.timeout.RouteGuard;
import dev.loopkit.timeout.RouteOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import java.util.concurrent.atomic.LongAdder;

/**
 * The shared, thread-safe part of a route: options, circuit breaker, retry budget, statistics and meters,
 * and the set of calls in flight. Each call's state machine is a {@link GuardedCall}, confined to one
 * context.
 */
public final class RouteGuardImpl implements RouteGuard {

  private static final Logger LOG = LoggerFactory.getLogger(RouteGuard.class);

  final Vertx vertx;
  final RouteOptions options;
  final String address;
  final String target;
  final CircuitBreaker breaker;
  final RetryBudget retryBudget;
  final Stats stats = new Stats();
  private final Set<GuardedCall<?>> active = ConcurrentHashMap.newKeySet();
  private final Set<GuardedCall.Attempt> lingering = ConcurrentHashMap.newKeySet();
  private final MeterRegistry registry;
  private final List<Meter> meters = new ArrayList<>();
  final Counter okMeter;
  final Counter failedMeter;
  final Counter timeoutMeter;
  final Counter shedMeter;
  final Counter circuitOpenMeter;
  final Counter cancelledMeter;
  final Counter retryMeter;
  final Counter hedgeMeter;
  final Counter lateMeter;
  private volatile boolean closed;

  public RouteGuardImpl(Vertx vertx, RouteOptions options) {
    this.vertx = vertx;
    this.options = new RouteOptions(options);
    this.address = this.options.getAddress();
    this.target = this.options.getTarget();
    if (address == null || target == null) {
      throw new IllegalArgumentException("RouteOptions need an address and a target");
    }
    this.retryBudget = new RetryBudget(this.options.getRetryBudget());
    BreakerOptions b = this.options.getCircuitBreaker();
    if (b != null) {
      breaker = CircuitBreaker.create("loopkit.timeout:" + address, vertx, b.toCircuitBreakerOptions())
        .openHandler(v -> stateChanged(CircuitBreakerState.OPEN))
        .halfOpenHandler(v -> stateChanged(CircuitBreakerState.HALF_OPEN))
        .closeHandler(v -> stateChanged(CircuitBreakerState.CLOSED));
    } else {
      breaker = null;
    }
    registry = Meters.registry(vertx);
    okMeter = counter("loopkit.timeout.calls", "outcome", "ok");
    failedMeter = counter("loopkit.timeout.calls", "outcome", "failed");
    timeoutMeter = counter("loopkit.timeout.calls", "outcome", "timeout");
    shedMeter = counter("loopkit.timeout.calls", "outcome", "shed");
    circuitOpenMeter = counter("loopkit.timeout.calls", "outcome", "circuit_open");
    cancelledMeter = counter("loopkit.timeout.calls", "outcome", "cancelled");
    retryMeter = counter("loopkit.timeout.extra.sends", "kind", "retry");
    hedgeMeter = counter("loopkit.timeout.extra.sends", "kind", "hedge");
    lateMeter = counter("loopkit.timeout.late.replies", null, null);
  }

  private Counter counter(String name, String tag, String value) {
    Counter.Builder builder = Counter.builder(name).tag("route", address);
    if (tag != null) {
      builder.tag(tag, value);
    }
    Counter c = builder.register(registry);
    meters.add(c);
    return c;
  }

  @Override
  public <T> Future<Message<T>> call(CancelScope scope, Object body, DeliveryOptions deliveryOptions) {
    if (closed) {
      return Future.failedFuture(dev.loopkit.bus.FailureCode.UNAVAILABLE.exception(
        "route '" + address + "' is closed (its verticle is stopping)"));
    }
    Context current = Vertx.currentContext();
    Context ctx = current != null ? current : vertx.getOrCreateContext();
    boolean hasHeaders = deliveryOptions.getHeaders() != null && !deliveryOptions.getHeaders().isEmpty();
    DeliveryOptions base = hasHeaders || deliveryOptions.getCodecName() != null
      ? new DeliveryOptions(deliveryOptions) : null;
    if (hasHeaders) {
      // each attempt carries a fresh request id and what is left of the budget: never the caller's own
      base.getHeaders().remove(Headers.REQUEST_ID);
      base.getHeaders().remove(Headers.TIMEOUT_MS);
    }
    GuardedCall<T> call = new GuardedCall<>(this, ctx, scope, body, base);
    if (current == null) {
      ctx.runOnContext(v -> call.start());
    } else {
      call.start();
    }
    return call.future();
  }

  boolean isClosed() {
    return closed;
  }

  void started(GuardedCall<?> call) {
    active.add(call);
  }

  void ended(GuardedCall<?> call) {
    active.remove(call);
  }

  void linger(GuardedCall.Attempt attempt) {
    lingering.add(attempt);
  }

  void unlinger(GuardedCall.Attempt attempt) {
    lingering.remove(attempt);
  }

  @Override
  public RouteOptions options() {
    return new RouteOptions(options);
  }

  @Override
  public CircuitBreakerState breakerState() {
    return breaker == null ? null : breaker.state();
  }

  private void stateChanged(CircuitBreakerState state) {
    if (closed) {
      return;
    }
    long failures = breaker == null ? 0 : breaker.failureCount();
    JsonObject event = new JsonObject()
      .put("route", address)
      .put("target", target)
      .put("state", state.name())
      .put("failures", failures)
      .put("at", System.currentTimeMillis())
      // published cluster-wide: which node's breaker (breakers are per node)
      .put("node", ClusterNode.of(vertx).toJson());
    if (state == CircuitBreakerState.OPEN) {
      LOG.warn("circuit of route '{}' → '{}' OPEN after {} failing attempts: calls fail 503 without sending for {} ms "
          + "— check the target (its failures are in the route's stats on the statsAddress)",
        address, target, failures, options.getCircuitBreaker().getResetTimeoutMs());
    } else {
      LOG.info("circuit of route '{}' → '{}' {}", address, target, state);
    }
    vertx.eventBus().publish(options.getCircuitBreaker().getNotificationAddress(), event);
  }

  @Override
  public JsonObject stats() {
    long calls = stats.calls.sum();
    long retries = stats.retries.sum();
    long hedges = stats.hedges.sum();
    JsonObject json = new JsonObject()
      .put("address", address)
      .put("target", target)
      .put("calls", calls)
      .put("ok", stats.ok.sum())
      .put("failed", stats.failed.sum())
      .put("deadlineExceeded", stats.deadlineExceeded.sum())
      .put("shed", stats.shed.sum())
      .put("circuitOpen", stats.circuitOpen.sum())
      .put("cancelled", stats.cancelled.sum())
      .put("attempts", stats.attempts.sum())
      .put("retries", retries)
      .put("hedges", hedges)
      .put("hedgeWins", stats.hedgeWins.sum())
      .put("extraLoad", calls == 0 ? 0.0 : (double) (retries + hedges) / calls)
      .put("abandoned", stats.abandoned.sum())
      .put("lateReplies", stats.lateReplies.sum())
      .put("lateFailures", stats.lateFailures.sum())
      .put("retryBudgetDenied", stats.retryBudgetDenied.sum())
      .put("noBudgetForAttempt", stats.noBudgetForAttempt.sum())
      .put("inFlight", active.size())
      .put("lingering", lingering.size())
      .put("retryTokens", retryBudget.tokens())
      .put("deadlineLateMaxMs", stats.deadlineLateMaxMicros.get() / 1000.0)
      .put("latencyMs", stats.latencyJson());
    json.put("breaker", breaker == null ? null : breaker.state().name());
    return json;
  }

  @Override
  public Future<Void> close() {
    if (closed) {
      return Future.succeededFuture();
    }
    closed = true;
    List<Future<?>> answered = new ArrayList<>();
    for (GuardedCall<?> call : active.toArray(new GuardedCall<?>[0])) {
      answered.add(call.closeFromGuard());
    }
    for (GuardedCall.Attempt a : lingering.toArray(new GuardedCall.Attempt[0])) {
      a.release("route '" + address + "' closed");
    }
    if (breaker != null) {
      breaker.close();
    }
    meters.forEach(registry::remove);
    Promise<Void> done = Promise.promise();
    Future.join(answered).onComplete(ar -> done.complete());
    return done.future();
  }

  /** Counters of one route. */
  static final class Stats {
    final LongAdder calls = new LongAdder();
    final LongAdder ok = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder deadlineExceeded = new LongAdder();
    final LongAdder shed = new LongAdder();
    final LongAdder circuitOpen = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder attempts = new LongAdder();
    final LongAdder retries = new LongAdder();
    final LongAdder hedges = new LongAdder();
    final LongAdder hedgeWins = new LongAdder();
    final LongAdder abandoned = new LongAdder();
    final LongAdder lateReplies = new LongAdder();
    final LongAdder lateFailures = new LongAdder();
    final LongAdder retryBudgetDenied = new LongAdder();
    final LongAdder noBudgetForAttempt = new LongAdder();
    final AtomicLong deadlineLateMaxMicros = new AtomicLong();

    /** Calls' durations (start to answer, any outcome) in microseconds, since the route started. */
    final ConcurrentHistogram latencyMicros = new ConcurrentHistogram(2);

    void deadlineLate(long micros) {
      deadlineLateMaxMicros.accumulateAndGet(micros, Math::max);
    }

    void latency(long nanos) {
      latencyMicros.recordValue(Math.max(0, nanos / 1_000));
    }

    JsonObject latencyJson() {
      Histogram h = latencyMicros.copy();
      return new JsonObject().put("count", h.getTotalCount())
        .put("p50", h.getValueAtPercentile(50) / 1000.0)
        .put("p99", h.getValueAtPercentile(99) / 1000.0)
        .put("max", h.getMaxValue() / 1000.0);
    }
  }
}
