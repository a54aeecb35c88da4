package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Tasks;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.Replies;
import dev.loopkit.async.Registration;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
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

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.loopkit.timeout.FailureAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A three-hop chain, each hop a service behind a guarded route:
 * {@code caller → hop1.guarded → hop1 → hop2.guarded → hop2 → hop3.guarded → hop3}. Each service serves
 * with {@link Budget#serve}, works 100 ms (a timer under its scope), then calls the next route with
 * {@link BusRequest}. The budget shrinks hop by hop; the last hop is shed.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
@DisplayName("a deadline travels down a chain of hops")
class DeadlineChainTest {

  private final Map<String, List<Long>> budgets = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> finishedWork = new ConcurrentHashMap<>();
  private String deployment;
  private Registration listening = Registration.NONE;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    JsonArray routes = new JsonArray();
    for (int i = 1; i <= 3; i++) {
      routes.add(new JsonObject().put("address", "hop" + i + ".guarded").put("target", "hop" + i)
        .put("timeoutMs", 1_000).put("minAttemptMs", i == 3 ? 150 : 10).put("lateReplyWindowMs", 0));
    }
    listening = CancelNotices.listen(vertx);
    hop(vertx, "hop1", "hop2.guarded");
    hop(vertx, "hop2", "hop3.guarded");
    hop(vertx, "hop3", null);
    vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("routes", routes)))
      .onComplete(tc.succeeding(id -> {
        deployment = id;
        tc.completeNow();
      }));
  }

  @AfterEach
  void nothing_left_behind(Vertx vertx, VertxTestContext tc) {
    vertx.undeploy(deployment).onComplete(ar -> {
      listening.remove();
      Leaks.awaitNone(vertx).onComplete(tc.succeedingThenComplete());
    });
  }

  /** A service that records its budget, works 100 ms under it, then calls {@code next} (if any). */
  private void hop(Vertx vertx, String name, String next) {
    budgets.put(name, new CopyOnWriteArrayList<>());
    finishedWork.put(name, new AtomicInteger());
    vertx.eventBus().consumer(name, Replies.guarded(name, msg -> {
      budgets.get(name).add(Long.parseLong(msg.headers().get(Headers.TIMEOUT_MS)));
      CancelScope scope = Budget.serve(vertx, msg, 10_000);
      if (scope == null) {
        return;
      }
      Tasks.sleep(scope, 100)
        .compose(v -> {
          finishedWork.get(name).incrementAndGet();
          return next == null ? io.vertx.core.Future.succeededFuture(new JsonObject().put("from", name))
            : BusRequest.<Object>request(scope, next, msg.body()).map(m -> m.body());
        })
        .onComplete(ar -> {
          scope.close();
          if (ar.succeeded()) {
            msg.reply(ar.result());
          } else if (ar.cause() instanceof dev.loopkit.async.CancelledException) {
            Replies.fail(msg, FailureCode.TIMEOUT, name + " stopped: " + ar.cause().getMessage());
          } else {
            Replies.fail(msg, ar.cause());
          }
        });
    }));
  }

  @Test
  void the_budget_shrinks_hop_by_hop_and_the_last_hop_is_shed(Vertx vertx, VertxTestContext tc) {
    long start = System.nanoTime();
    vertx.eventBus().request("hop1.guarded", "order-7", new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "300"))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        long ms = (System.nanoTime() - start) / 1_000_000;
        long b1 = budgets.get("hop1").get(0);
        long b2 = budgets.get("hop2").get(0);
        // 300 ms at the top; ~100 ms of work later, ~200 ms left for hop 2
        assertThat(b1).isBetween(250L, 300L);
        assertThat(b2).isBetween(100L, b1 - 90);
        // hop 3's guard saw ~100 ms left, below its 150 ms minimum: shed, hop 3 never ran
        assertThat(budgets.get("hop3")).isEmpty();
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT)
          .hasMessageContaining("'hop3.guarded' → 'hop3'").hasMessageContaining("below the route's minAttemptMs 150")
          .hasMessageContaining("shed");
        // answered as soon as hop 3 was shed, well before the 300 ms deadline
        assertThat(ms).isLessThan(1_000L);
        assertThat(finishedWork.get("hop1")).hasValue(1);
        assertThat(finishedWork.get("hop2")).hasValue(1);
        tc.completeNow();
      })));
  }

  @Test
  void the_chain_stops_at_the_deadline_and_no_hop_works_past_it(Vertx vertx, VertxTestContext tc) {
    long start = System.nanoTime();
    vertx.eventBus().request("hop1.guarded", "order-8", new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "150"))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT);
        assertThat(ms).isBetween(130L, 1_000L);
        // hop 2 got ~50 ms, started its 100 ms of work and was stopped at the deadline; hop 3 never called.
        // (On a starved machine hop 1's 100 ms of work can use up the whole budget: then hop 2 is shed by
        // its guard and never runs, which keeps the claim — no hop works past the deadline.)
        assertThat(budgets.get("hop2")).allSatisfy(b -> assertThat(b).isBetween(1L, 60L));
        vertx.setTimer(150, t -> tc.verify(() -> {
          assertThat(finishedWork.get("hop2")).hasValue(0);
          assertThat(budgets.get("hop3")).isEmpty();
          tc.completeNow();
        }));
      })));
  }
}
