package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.hostile.Released;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.loopkit.timeout.FailureAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One caller cannot hurt another through a route: attempt ids are never derived from a caller's id, and
 * the circuit breaker does not count what the caller did (a short budget, going away).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("TimeoutVerticle: no caller can hurt another")
class CallerIsolationTest {

  private static final JsonObject CONFIG = new JsonObject().put("routes", new JsonArray()
    .add(new JsonObject().put("address", "iso.guarded").put("target", "iso").put("timeoutMs", 2_000)
      .put("lateReplyWindowMs", 0))
    .add(new JsonObject().put("address", "brk.guarded").put("target", "brk").put("timeoutMs", 1_000)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 5).put("resetTimeoutMs", 10_000)))
    .add(new JsonObject().put("address", "cnt.guarded").put("target", "cnt").put("timeoutMs", 1_000)
      .put("lateReplyWindowMs", 0)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 3).put("resetTimeoutMs", 10_000)))
    .add(new JsonObject().put("address", "tok.guarded").put("target", "tok").put("timeoutMs", 1_000)
      .put("minAttemptMs", 50)
      .put("retry", new JsonObject().put("maxAttempts", 2).put("backoffMs", 1).put("maxBackoffMs", 1))
      .put("retryBudget", new JsonObject().put("ratio", 0.5).put("maxTokens", 1)))
    .add(new JsonObject().put("address", "half.guarded").put("target", "half").put("timeoutMs", 1_000)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 1).put("resetTimeoutMs", 150))));

  private TimeoutVerticle verticle;
  private String deployment;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    verticle = new TimeoutVerticle();
    vertx.deployVerticle(verticle, new DeploymentOptions().setConfig(CONFIG))
      .onComplete(tc.succeeding(id -> {
        deployment = id;
        tc.completeNow();
      }));
  }

  @AfterEach
  void nothing_left(Vertx vertx, VertxTestContext tc) {
    vertx.undeploy(deployment).compose(v -> Released.counters(vertx, 3_000)).onComplete(tc.succeedingThenComplete());
  }

  private static Future<Message<Object>> request(Vertx vertx, String address, String budget, String requestId) {
    DeliveryOptions d = new DeliveryOptions();
    if (budget != null) {
      d.addHeader(Headers.TIMEOUT_MS, budget);
    }
    if (requestId != null) {
      d.addHeader(Headers.REQUEST_ID, requestId);
    }
    return vertx.eventBus().request(address, "x", d);
  }

  private Future<Void> breakerIs(Vertx vertx, String route, CircuitBreakerState state) {
    return Released.eventually(vertx, 3_000, () -> verticle.guard(route).breakerState() == state,
      () -> route + " breaker is " + verticle.guard(route).breakerState() + ", expected " + state);
  }

  @Test
  @DisplayName("two callers sending the same request id: one giving up does not cancel the other's attempt")
  void attempt_ids_are_not_derived_from_the_callers(Vertx vertx, VertxTestContext tc) {
    Probe target = Probe.script(vertx, "iso", Probe.cancellableThenOkAfter(300));
    Future<Message<Object>> first = request(vertx, "iso.guarded", null, "shared");
    target.arrived(0)
      // the second caller uses the same id and a short budget: its attempt is abandoned (cancel notice)
      .compose(a -> request(vertx, "iso.guarded", "60", "shared").transform(ar -> Future.succeededFuture(ar.cause())))
      .compose(secondFailure -> {
        tc.verify(() -> assertThatFailure(secondFailure).failedWith(FailureCode.TIMEOUT));
        return first;
      })
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(((JsonObject) reply.body()).getBoolean("ok")).isTrue();
        assertThat(target.calls.get(0).cancelReason).isNull();
        assertThat(target.calls).extracting(c -> c.requestId).doesNotHaveDuplicates()
          .allSatisfy(id -> assertThat(id).doesNotContain("shared").matches("[A-Za-z0-9_-]{22}"));
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("five callers with loopkit-timeout-ms 80 against a healthy 300 ms target do not open the circuit")
  void short_budgets_do_not_open_the_circuit(Vertx vertx, VertxTestContext tc) {
    Probe.slow(vertx, "brk", 300);
    List<Future<Throwable>> shortCalls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      shortCalls.add(request(vertx, "brk.guarded", "80", null).transform(ar -> Future.succeededFuture(ar.cause())));
    }
    Future.all(shortCalls)
      .compose(all -> {
        tc.verify(() -> shortCalls.forEach(f -> assertThatFailure(f.result()).failedWith(FailureCode.TIMEOUT)));
        return request(vertx, "brk.guarded", null, null);
      })
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(((JsonObject) reply.body()).getBoolean("ok")).isTrue();
        assertThat(verticle.guard("brk.guarded").breakerState()).isEqualTo(CircuitBreakerState.CLOSED);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("short budgets and callers that leave are neutral: they neither count as failures nor reset the count")
  void caller_outcomes_are_neutral(Vertx vertx, VertxTestContext tc) {
    Probe.Behaviour slow = Probe.okAfter(300);
    Probe.Behaviour busy = Probe.fails(503, "busy");
    Probe target = Probe.script(vertx, "cnt", busy, busy, slow, slow, slow, slow, slow, slow, slow, busy);
    Future<?> chain = request(vertx, "cnt.guarded", null, null).otherwiseEmpty()
      .compose(v -> request(vertx, "cnt.guarded", null, null).otherwiseEmpty());
    for (int i = 0; i < 5; i++) {
      chain = chain.compose(v -> request(vertx, "cnt.guarded", "80", null).otherwiseEmpty());
    }
    for (int i = 7; i < 9; i++) {
      int index = i;
      chain = chain.compose(v -> {
        CancelScope caller = CancelScope.create(vertx);
        Future<Message<Object>> call = BusRequest.request(caller, "cnt.guarded", "x");
        target.arrived(index).onSuccess(a -> caller.cancel("the caller left"));
        return call.otherwiseEmpty().onComplete(ar -> caller.close());
      });
    }
    chain
      .compose(v -> {
        tc.verify(() -> {
          assertThat(target.count()).isEqualTo(9);
          // 2 failures of the target so far; 7 neutral outcomes did not add to them
          assertThat(verticle.guard("cnt.guarded").breakerState()).isEqualTo(CircuitBreakerState.CLOSED);
        });
        // ... nor reset them: the target's third failure opens the circuit
        return request(vertx, "cnt.guarded", null, null).otherwiseEmpty();
      })
      .compose(v -> breakerIs(vertx, "cnt.guarded", CircuitBreakerState.OPEN))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("calls shed on arrival do not refill the retry budget (they reach no target)")
  void shed_calls_do_not_refill_the_retry_budget(Vertx vertx, VertxTestContext tc) {
    Probe.fail(vertx, "tok", 503, "busy");
    // a real call: deposits 0.5 (capped at 1), its retry takes the token
    Future<?> chain = request(vertx, "tok.guarded", null, null).otherwiseEmpty();
    for (int i = 0; i < 10; i++) {
      // 10 ms left, below minAttemptMs 50: shed, nothing sent
      chain = chain.compose(v -> request(vertx, "tok.guarded", "10", null).otherwiseEmpty());
    }
    chain.onComplete(tc.succeeding(v -> tc.verify(() -> {
      JsonObject stats = verticle.guard("tok.guarded").stats();
      assertThat(stats.getLong("retries")).isEqualTo(1);
      assertThat(stats.getLong("shed")).isEqualTo(10);
      assertThat(stats.getDouble("retryTokens")).isEqualTo(0.0);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a half-open probe abandoned at the caller's short deadline does not reopen the circuit")
  void a_neutral_probe_does_not_reopen(Vertx vertx, VertxTestContext tc) {
    Probe.script(vertx, "half", Probe.fails(503, "down"), Probe.okAfter(300), Probe.OK);
    request(vertx, "half.guarded", null, null).otherwiseEmpty()
      .compose(v -> breakerIs(vertx, "half.guarded", CircuitBreakerState.OPEN))
      .compose(v -> breakerIs(vertx, "half.guarded", CircuitBreakerState.HALF_OPEN))
      .compose(v -> request(vertx, "half.guarded", "60", null).transform(ar -> Future.succeededFuture(ar.cause())))
      .compose(failure -> {
        tc.verify(() -> assertThatFailure(failure).failedWith(FailureCode.TIMEOUT));
        return breakerIs(vertx, "half.guarded", CircuitBreakerState.CLOSED);
      })
      .compose(v -> request(vertx, "half.guarded", null, null))
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(((JsonObject) reply.body()).getInteger("call")).isEqualTo(2);
        tc.completeNow();
      })));
  }
}
