package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.loopkit.timeout.FailureAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
@DisplayName("TimeoutVerticle: guarded routes on the event bus")
class TimeoutVerticleTest {

  private static final JsonObject CONFIG = new JsonObject().put("routes", new JsonArray()
    .add(new JsonObject().put("address", "svc.guarded").put("target", "svc").put("timeoutMs", 300)
      .put("lateReplyWindowMs", 100))
    .add(new JsonObject().put("address", "slow.guarded").put("target", "slow").put("timeoutMs", 80)
      .put("lateReplyWindowMs", 0).put("fallback", new JsonObject().put("prices", new JsonArray()))
      .put("fallbackOn", new JsonArray().add("TIMEOUT")))
    .add(new JsonObject().put("address", "nobody.guarded").put("target", "nobody").put("timeoutMs", 300)
      .put("retry", new JsonObject().put("maxAttempts", 2).put("backoffMs", 1)))
    .add(new JsonObject().put("address", "flaky.guarded").put("target", "flaky").put("timeoutMs", 1_000)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 2).put("resetTimeoutMs", 60_000))));

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
  void undeploy_leaves_nothing_behind(Vertx vertx, VertxTestContext tc) {
    Future<Void> undeployed = deployment == null ? Future.succeededFuture() : vertx.undeploy(deployment);
    undeployed
      .compose(v -> Leaks.awaitNone(vertx))
      .compose(v -> vertx.eventBus().request("svc.guarded", "x").transform(ar -> Future.succeededFuture(ar.cause())))
      .onComplete(tc.succeeding(err -> tc.verify(() -> {
        assertThat(LiveResources.of(vertx).get(TimeoutVerticle.CONSUMERS)).isZero();
        // the route's consumer is gone with the verticle
        assertThat(err).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) err).failureType()).isEqualTo(ReplyFailure.NO_HANDLERS);
        tc.completeNow();
      })));
  }

  private static Future<Message<Object>> request(Vertx vertx, String address, Object body, String budget) {
    DeliveryOptions d = new DeliveryOptions();
    if (budget != null) {
      d.addHeader(Headers.TIMEOUT_MS, budget);
    }
    return vertx.eventBus().request(address, body, d);
  }

  @Nested
  @DisplayName("through a route")
  class Through {

    @Test
    void replies_the_targets_reply_with_its_headers(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.script(vertx, "svc", (p, msg, call) ->
        msg.reply(new JsonObject().put("echo", msg.body()), new DeliveryOptions().addHeader("x-served-by", "svc")));
      vertx.eventBus().<JsonObject>request("svc.guarded", "hello",
          new DeliveryOptions().addHeader("x-trace", "t1").addHeader(Headers.REQUEST_ID, "caller-1"))
        .onComplete(tc.succeeding(reply -> tc.verify(() -> {
          assertThat(reply.body().getString("echo")).isEqualTo("hello");
          assertThat(reply.headers().get("x-served-by")).isEqualTo("svc");
          Probe.Call call = target.calls.get(0);
          assertThat(call.budgetMs()).isBetween(1L, 300L);
          // the attempt's own id, not derived from the caller's
          assertThat(call.requestId).matches("[A-Za-z0-9_-]{22}").doesNotContain("caller-1");
          tc.completeNow();
        })));
    }

    @Test
    void caller_budget_smaller_than_the_route_wins(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "svc");
      request(vertx, "svc.guarded", "x", "40").onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(target.calls.get(0).budgetMs()).isBetween(1L, 40L);
        tc.completeNow();
      })));
    }

    @Test
    void fails_504_at_the_deadline(Vertx vertx, VertxTestContext tc) {
      Probe.never(vertx, "svc");
      long start = System.nanoTime();
      request(vertx, "svc.guarded", "x", null).onComplete(tc.failing(err -> tc.verify(() -> {
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT)
          .hasMessageContaining("'svc.guarded' → 'svc'").hasMessageContaining("timeoutMs of 300 ms");
        assertThat(ms).isBetween(290L, 1_500L);
        tc.completeNow();
      })));
    }

    @Test
    void replies_the_fallback_instead_of_a_timeout(Vertx vertx, VertxTestContext tc) {
      Probe.never(vertx, "slow");
      vertx.eventBus().<JsonObject>request("slow.guarded", "x").onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertThat(reply.body()).isEqualTo(new JsonObject().put("prices", new JsonArray()));
        assertThat(reply.headers().get(TimeoutVerticle.FALLBACK_HEADER)).isEqualTo("504");
        tc.completeNow();
      })));
    }

    @Test
    void foreign_failures_pass_through(Vertx vertx, VertxTestContext tc) {
      Probe.fail(vertx, "svc", 409, "version conflict on item 7");
      request(vertx, "svc.guarded", "x", null).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(409).hasMessage("version conflict on item 7");
        tc.completeNow();
      })));
    }

    @Test
    void no_consumer_at_the_target_is_a_503_after_retries(Vertx vertx, VertxTestContext tc) {
      request(vertx, "nobody.guarded", "x", null).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.UNAVAILABLE).hasMessageContaining("nobody consumes 'nobody'");
        assertThat(verticle.guard("nobody.guarded").stats().getLong("attempts")).isEqualTo(2);
        tc.completeNow();
      })));
    }

    @Test
    void open_circuit_is_a_503_without_sending(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.fail(vertx, "flaky", 500, "boom");
      List<JsonObject> states = new CopyOnWriteArrayList<>();
      vertx.eventBus().<JsonObject>consumer(BreakerOptions.DEFAULT_NOTIFICATION_ADDRESS, m -> states.add(m.body()));
      request(vertx, "flaky.guarded", "x", null).otherwiseEmpty()
        .compose(v -> request(vertx, "flaky.guarded", "x", null).otherwiseEmpty())
        .compose(v -> vertx.timer(20))
        .compose(v -> request(vertx, "flaky.guarded", "x", null))
        .onComplete(tc.failing(err -> tc.verify(() -> {
          assertThatFailure(err).failedWith(FailureCode.UNAVAILABLE).hasMessageContaining("circuit open");
          assertThat(target.count()).isEqualTo(2);
          assertThat(states).hasSize(1);
          assertThat(states.get(0).getString("state")).isEqualTo("OPEN");
          assertThat(states.get(0).getString("route")).isEqualTo("flaky.guarded");
          assertThat(states.get(0).getString("target")).isEqualTo("flaky");
          tc.completeNow();
        })));
    }

    @Test
    void late_replies_are_dropped_and_counted(Vertx vertx, VertxTestContext tc) {
      Probe.slow(vertx, "svc", 350);
      request(vertx, "svc.guarded", "x", "50").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT);
        // the reply comes at ~350 ms, after the route's 100 ms late-reply window (over at ~150 ms): dropped uncounted
        vertx.setTimer(400, t -> vertx.eventBus().<JsonObject>request("loopkit.timeout.stats",
            new JsonObject().put("route", "svc.guarded"))
          .onComplete(tc.succeeding(stats -> tc.verify(() -> {
            assertThat(stats.body().getLong("lateReplies")).isZero();
            assertThat(stats.body().getLong("abandoned")).isEqualTo(1);
            tc.completeNow();
          }))));
      })));
    }

    @Test
    void a_late_reply_inside_the_window_is_counted(Vertx vertx, VertxTestContext tc) {
      Probe.slow(vertx, "svc", 70);
      request(vertx, "svc.guarded", "x", "30").onComplete(tc.failing(err ->
        vertx.setTimer(150, t -> vertx.eventBus().<JsonObject>request("loopkit.timeout.stats", null)
          .onComplete(tc.succeeding(stats -> tc.verify(() -> {
            JsonObject route = stats.body().getJsonObject("routes").getJsonObject("svc.guarded");
            assertThat(route.getLong("lateReplies")).isEqualTo(1);
            assertThat(route.getLong("deadlineExceeded")).isEqualTo(1);
            tc.completeNow();
          }))))));
    }

    @Test
    void a_caller_that_gives_up_stops_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.cancellable(vertx, "svc");
      CancelScope caller = CancelScope.create(vertx);
      BusRequest.request(caller, "svc.guarded", "x").onComplete(tc.failing(err -> { }));
      target.arrived(0).onSuccess(c -> caller.cancel("user closed the tab"));
      target.cancelled(0).onComplete(tc.succeeding(c -> tc.verify(() -> {
        assertThat(c.cancelReason).startsWith("cancel notice").contains("caller gave up");
        caller.close();
        tc.completeNow();
      })));
    }
  }

  @Nested
  @DisplayName("bad messages get clear errors")
  class BadMessages {

    @Test
    void non_numeric_budget_header_is_400(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "svc");
      request(vertx, "svc.guarded", "x", "ten").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST)
          .hasMessageContaining(Headers.TIMEOUT_MS).hasMessageContaining("\"ten\"");
        assertThat(target.count()).isZero();
        tc.completeNow();
      })));
    }

    @Test
    void negative_budget_header_is_504_without_calling_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "svc");
      request(vertx, "svc.guarded", "x", "-1").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT).hasMessageContaining("is -1").hasMessageContaining("shed");
        assertThat(target.count()).isZero();
        tc.completeNow();
      })));
    }

    @Test
    void zero_budget_header_is_504_without_calling_the_target(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "svc");
      request(vertx, "svc.guarded", "x", "0").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT);
        assertThat(target.count()).isZero();
        vertx.eventBus().<JsonObject>request("loopkit.timeout.stats", new JsonObject().put("route", "svc.guarded"))
          .onComplete(tc.succeeding(s -> tc.verify(() -> {
            assertThat(s.body().getLong("shedOnArrival")).isEqualTo(1);
            tc.completeNow();
          })));
      })));
    }

    @Test
    void generic_address_routes_by_name(Vertx vertx, VertxTestContext tc) {
      Probe target = Probe.ok(vertx, "svc");
      vertx.eventBus().<JsonObject>request("loopkit.timeout",
          new JsonObject().put("route", "svc.guarded").put("body", new JsonObject().put("q", 1)))
        .onComplete(tc.succeeding(reply -> tc.verify(() -> {
          assertThat(reply.body().getBoolean("ok")).isTrue();
          assertThat(target.count()).isEqualTo(1);
          tc.completeNow();
        })));
    }

    @Test
    void generic_address_needs_json(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("loopkit.timeout", "route=svc.guarded").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST)
          .hasMessageContaining("body: 'loopkit.timeout' takes a JSON object").hasMessageContaining("got a string");
        tc.completeNow();
      })));
    }

    @Test
    void generic_address_names_a_missing_or_unknown_route(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("loopkit.timeout", new JsonObject().put("body", 1)).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST).hasMessageStartingWith("route: required")
          .hasMessageContaining("svc.guarded");
        vertx.eventBus().request("loopkit.timeout", new JsonObject().put("route", "nope")).onComplete(tc.failing(err2 -> tc.verify(() -> {
          assertThatFailure(err2).failedWith(FailureCode.NOT_FOUND)
            .hasMessageStartingWith("route: no route \"nope\"; configured routes: svc.guarded, slow.guarded");
          vertx.eventBus().request("loopkit.timeout", new JsonObject().put("route", "svc.guarded").put("bdy", 1))
            .onComplete(tc.failing(err3 -> tc.verify(() -> {
              assertThatFailure(err3).failedWith(FailureCode.BAD_REQUEST).hasMessageStartingWith("bdy: unknown key");
              tc.completeNow();
            })));
        })));
      })));
    }

    @Test
    void stats_address_rejects_non_json_and_unknown_routes(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().request("loopkit.timeout.stats", 42).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST).hasMessageContaining("got a Integer");
        vertx.eventBus().request("loopkit.timeout.stats", new JsonObject().put("route", "nope"))
          .onComplete(tc.failing(err2 -> tc.verify(() -> {
            assertThatFailure(err2).failedWith(FailureCode.NOT_FOUND).hasMessageContaining("no route \"nope\"");
            tc.completeNow();
          })));
      })));
    }
  }

  @Test
  void instances_share_one_guard_per_route(Vertx vertx, VertxTestContext tc) {
    Probe.ok(vertx, "svc");
    vertx.deployVerticle(TimeoutVerticle.class, new DeploymentOptions().setInstances(3)
        .setConfig(CONFIG.copy().put("address", "other.timeout").put("statsAddress", "other.stats")
          .put("routes", new JsonArray().add(new JsonObject().put("address", "svc.other").put("target", "svc")))))
      .compose(id -> {
        Future<Void> calls = Future.succeededFuture();
        for (int i = 0; i < 6; i++) {
          calls = calls.compose(v -> vertx.eventBus().request("svc.other", "x").mapEmpty());
        }
        return calls.compose(v -> vertx.eventBus().<JsonObject>request("other.stats", new JsonObject().put("route", "svc.other")))
          .compose(stats -> {
            tc.verify(() -> assertThat(stats.body().getLong("calls")).isEqualTo(6));
            return vertx.undeploy(id);
          });
      })
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void startup_line_says_what_is_guarded(Vertx vertx, VertxTestContext tc) {
    tc.verify(() -> assertThat(verticle.startupLine())
      .contains("svc.guarded → svc (300 ms)")
      .contains("nobody.guarded → nobody (300 ms, retry ×2)")
      .contains("flaky.guarded → flaky (1000 ms, breaker)")
      .contains("call loopkit.timeout, stats loopkit.timeout.stats"));
    tc.completeNow();
  }
}
