package dev.loopkit.cluster;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * kill -9 of a serving node, in one JVM ({@link ClusterFixture#kill}): node a calls, nodes b and c serve.
 * Vert.x 5.0.7's clustered event bus does not fail a request whose connection to a dead node closed (the
 * caller would wait for its send timeout, 30 s by default): loopkit's deadlines must answer it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("node loss: callers are answered within their own deadlines; a retrying route is served by the survivor")
class NodeLossTest {

  private static final long PLAIN_MS = 1_500;
  private static final long RETRY_BUDGET_MS = 5_000;

  @Test
  void killing_the_serving_node_mid_request() throws Exception {
    try (ClusterFixture f = ClusterFixture.start("a", "b", "c")) {
      Vertx a = f.node(0);
      Vertx b = f.node(1);
      Vertx c = f.node(2);
      AtomicInteger onlyB = new AtomicInteger();
      AtomicInteger svcOnB = new AtomicInteger();
      // b takes the work and never answers (it is about to die); c answers at once
      b.eventBus().consumer("loss.only-b", m -> onlyB.incrementAndGet()).completion().await(10, TimeUnit.SECONDS);
      b.eventBus().consumer("loss.svc", m -> svcOnB.incrementAndGet()).completion().await(10, TimeUnit.SECONDS);
      c.eventBus().consumer("loss.svc", m -> m.reply(new JsonObject().put("servedBy", "c"))).completion().await(10, TimeUnit.SECONDS);
      a.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("routes", new JsonArray()
        .add(new JsonObject().put("address", "loss.plain").put("target", "loss.only-b").put("timeoutMs", PLAIN_MS))
        .add(new JsonObject().put("address", "loss.retrying").put("target", "loss.svc").put("timeoutMs", RETRY_BUDGET_MS)
          .put("retry", new JsonObject().put("maxAttempts", 6).put("backoffMs", 1).put("attemptTimeoutMs", 400)
            .put("retryOn", new JsonArray().add("TIMEOUT").add("NO_HANDLERS").add(503)))))))
        .await(30, TimeUnit.SECONDS);
      ClusterFixture.registered(a, "loss.only-b", 1).await(30, TimeUnit.SECONDS);
      ClusterFixture.registered(a, "loss.svc", 2).await(30, TimeUnit.SECONDS);

      long sent = System.nanoTime();
      // a guarded route with no retry, and a bare BusRequest under a 1.5 s scope, both to b only
      Future<Message<Object>> plain = a.eventBus().request("loss.plain", new JsonObject(), new DeliveryOptions().setSendTimeout(60_000));
      CancelScope bareScope = CancelScope.withTimeout(a, PLAIN_MS);
      Future<Message<Object>> bare = BusRequest.request(bareScope, "loss.only-b", new JsonObject(),
        new DeliveryOptions().setSendTimeout(60_000));
      // four retrying calls: round-robin sends two first attempts to b, two to c (answered at once)
      List<Future<Message<JsonObject>>> retrying = new ArrayList<>();
      AtomicLong firstServedAfterKill = new AtomicLong();
      long[] killedAt = {0};
      for (int i = 0; i < 4; i++) {
        Future<Message<JsonObject>> call = a.eventBus().request("loss.retrying", new JsonObject(), new DeliveryOptions().setSendTimeout(60_000));
        call.onSuccess(m -> {
          if (killedAt[0] != 0) {
            firstServedAfterKill.compareAndSet(0, System.nanoTime());
          }
        });
        retrying.add(call);
      }
      ClusterFixture.eventually(a, 10_000, () -> onlyB.get() == 2 && svcOnB.get() >= 1,
        () -> "arrived on b: only-b=" + onlyB + " svc=" + svcOnB).await(15, TimeUnit.SECONDS);
      int firstAttemptsOnB = svcOnB.get();

      killedAt[0] = System.nanoTime();
      f.kill(1);
      ClusterFixture.eventually(a, 20_000, () -> ClusteredVertx.members(a).size() == 2,
        () -> ClusteredVertx.describe(a)).await(30, TimeUnit.SECONDS);
      long removedMs = (System.nanoTime() - killedAt[0]) / 1_000_000;

      // the callers of b alone: answered by their own deadlines, with a stable code
      plain.transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
      long plainMs = (System.nanoTime() - sent) / 1_000_000;
      assertThat(plain.failed()).isTrue();
      assertThat(((ReplyException) plain.cause()).failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
      assertThat(((ReplyException) plain.cause()).failureCode()).isEqualTo(FailureCode.TIMEOUT.code());
      bare.transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
      assertThat(bare.failed()).isTrue();
      assertThat(bare.cause()).isInstanceOf(CancelledException.class);
      assertThat(FailureCode.of(bare.cause())).isEqualTo(FailureCode.TIMEOUT);
      assertThat(plainMs).as("answered at the 1.5 s deadline, never at the bus's send timeout").isLessThan(PLAIN_MS + 2_000);
      a.runOnContext(v -> bareScope.close());

      // the retrying calls whose first attempt died with b: served by c inside the same budget
      for (Future<Message<JsonObject>> call : retrying) {
        JsonObject body = call.await(30, TimeUnit.SECONDS).body();
        assertThat(body.getString("servedBy")).isEqualTo("c");
      }
      long allServedMs = (System.nanoTime() - sent) / 1_000_000;
      assertThat(allServedMs).as("within the retrying route's budget").isLessThan(RETRY_BUDGET_MS);
      assertThat(firstAttemptsOnB).as("some calls had their first attempt on b when it died").isGreaterThanOrEqualTo(1);
      long survivorMs = (firstServedAfterKill.get() - killedAt[0]) / 1_000_000;

      // a new call after b's removal goes straight to c
      long t0 = System.nanoTime();
      assertThat(a.eventBus().<JsonObject>request("loss.svc", new JsonObject()).await(10, TimeUnit.SECONDS).body()
        .getString("servedBy")).isEqualTo("c");
      long freshMs = (System.nanoTime() - t0) / 1_000_000;
      System.out.println("node loss (in-JVM kill): member removed " + removedMs + " ms after the kill; first retrying call served "
        + "by the survivor " + survivorMs + " ms after the kill; plain callers answered 504 at " + plainMs
        + " ms (deadline " + PLAIN_MS + "); all retrying calls served within " + allServedMs + " ms of sending; a new call after removal: "
        + freshMs + " ms");
    }
  }
}
