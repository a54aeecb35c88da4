package dev.loopkit.cluster;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.async.Tasks;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.Replies;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.AsyncResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deadlines and the timeout verticle across three cluster nodes a, b, c (one cluster for the class; each
 * test uses its own addresses and undeploys what it deployed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("deadlines across nodes: 504 at the deadline, budgets shrink hop by hop, retries, hedges and breaker events cross nodes")
class ClusteredTimeoutTest {

  private ClusterFixture cluster;
  private Vertx a;
  private Vertx b;
  private Vertx c;
  private final List<Runnable> cleanup = new ArrayList<>();

  @BeforeAll
  void three_nodes() throws Exception {
    cluster = ClusterFixture.start("a", "b", "c");
    a = cluster.node(0);
    b = cluster.node(1);
    c = cluster.node(2);
  }

  @AfterAll
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void undeploy_and_check_nothing_is_left() throws Exception {
    cleanup.forEach(Runnable::run);
    cleanup.clear();
    for (Vertx v : List.of(a, b, c)) {
      ClusterFixture.eventually(v, 5_000, () -> LiveResources.of(v).snapshot().entrySet().stream()
          .allMatch(e -> e.getKey().endsWith(".consumers") || e.getValue() == 0),
        () -> ClusterNode.of(v) + " " + LiveResources.of(v)).await(10, TimeUnit.SECONDS);
    }
  }

  private String routes(Vertx on, JsonObject... routes) throws Exception {
    String id = on.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(new JsonObject()
      .put("address", "t." + UUID.randomUUID()).put("statsAddress", "t.stats." + UUID.randomUUID())
      .put("routes", new JsonArray(List.of((Object[]) routes))))).await(30, TimeUnit.SECONDS);
    cleanup.add(() -> on.undeploy(id).await());
    return id;
  }

  private void consumer(Vertx on, String address, io.vertx.core.Handler<Message<Object>> handler) throws Exception {
    MessageConsumer<Object> mc = on.eventBus().consumer(address, Replies.guarded(address, handler));
    mc.completion().await(10, TimeUnit.SECONDS);
    cleanup.add(() -> mc.unregister().await());
  }

  private static <T> AsyncResult<T> settle(Future<T> f) throws Exception {
    f.transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
    return f;
  }

  private static String unique(String prefix) {
    return prefix + "." + UUID.randomUUID();
  }

  @Test
  void a_guarded_route_on_a_whose_target_lives_on_b_answers_504_at_the_deadline() throws Exception {
    String target = unique("never");
    String guarded = target + ".guarded";
    Registration listening = CancelNotices.listen(b);
    cleanup.add(listening::remove);
    List<String> stopped = new CopyOnWriteArrayList<>();
    // the target serves under its budget and never answers on its own: only its deadline or a notice stops it
    consumer(b, target, msg -> {
      CancelScope scope = Budget.serve(b, msg, 60_000);
      if (scope != null) {
        scope.onCancel(reason -> {
          stopped.add(reason.getMessage());
          scope.close();
        });
      }
    });
    routes(a, new JsonObject().put("address", guarded).put("target", target).put("timeoutMs", 400).put("lateReplyWindowMs", 0));
    CancelNotices.ready(b).await(10, TimeUnit.SECONDS);
    ClusterFixture.registered(a, target, 1).await(30, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    AsyncResult<Message<Object>> ar = settle(a.eventBus().request(guarded, new JsonObject(), new DeliveryOptions().setSendTimeout(10_000)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ar.failed()).isTrue();
    ReplyException e = (ReplyException) ar.cause();
    assertThat(e.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(e.failureCode()).isEqualTo(FailureCode.TIMEOUT.code());
    assertThat(ms).as("answered at the route's 400 ms deadline (loose upper bound on a loaded machine)").isBetween(390L, 1_500L);
    // the work on b was stopped too: by its own budget (sent with the attempt) or the guard's cancel notice
    ClusterFixture.eventually(b, 5_000, () -> stopped.size() == 1, () -> "stopped=" + stopped).await(10, TimeUnit.SECONDS);
    System.out.println("guarded route a -> target b: 504 after " + ms + " ms (deadline 400 ms); target stopped by: " + stopped);
  }

  /** A service that records its budget, works 100 ms under it, then calls {@code next} (if any). */
  private void hop(Vertx on, String name, String next, List<Long> budgets) throws Exception {
    consumer(on, name, msg -> {
      budgets.add(Long.parseLong(msg.headers().get(Headers.TIMEOUT_MS)));
      CancelScope scope = Budget.serve(on, msg, 10_000);
      if (scope == null) {
        return;
      }
      Tasks.sleep(scope, 100)
        .compose(v -> next == null ? Future.succeededFuture(new JsonObject().put("servedBy", ClusterNode.of(on).name()))
          : BusRequest.<Object>request(scope, next, msg.body()).map(m -> m.body()))
        .onComplete(r -> {
          scope.close();
          if (r.succeeded()) {
            msg.reply(r.result());
          } else {
            Replies.fail(msg, r.cause());
          }
        });
    });
  }

  @Test
  void the_budget_shrinks_hop_by_hop_over_a_three_node_chain() throws Exception {
    // caller (a) → hop1.guarded (route on a) → hop1 (b) → hop2.guarded (route on b) → hop2 (c)
    String hop1 = unique("hop1");
    String hop2 = unique("hop2");
    List<Long> atB = new CopyOnWriteArrayList<>();
    List<Long> atC = new CopyOnWriteArrayList<>();
    hop(b, hop1, hop2 + ".guarded", atB);
    hop(c, hop2, null, atC);
    routes(a, new JsonObject().put("address", hop1 + ".guarded").put("target", hop1).put("timeoutMs", 5_000));
    routes(b, new JsonObject().put("address", hop2 + ".guarded").put("target", hop2).put("timeoutMs", 5_000));
    ClusterFixture.registered(a, hop1, 1).await(30, TimeUnit.SECONDS);
    ClusterFixture.registered(b, hop2, 1).await(30, TimeUnit.SECONDS);
    ClusterFixture.registered(a, hop1 + ".guarded", 1).await(30, TimeUnit.SECONDS);
    ClusterFixture.registered(b, hop2 + ".guarded", 1).await(30, TimeUnit.SECONDS);
    JsonObject reply = a.eventBus().<JsonObject>request(hop1 + ".guarded", new JsonObject().put("order", 7),
      new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "1500")).await(30, TimeUnit.SECONDS).body();
    assertThat(reply.getString("servedBy")).isEqualTo("c");
    long b1 = atB.get(0);
    long b2 = atC.get(0);
    System.out.println("budget over a → b → c: 1500 ms at a, " + b1 + " ms at b, " + b2 + " ms at c");
    assertThat(b1).as("b's budget: the caller's, crossed a → b, never grown").isBetween(1L, 1_500L);
    assertThat(b2).as("c's budget: what b had left after 100 ms of work, crossed b → c").isBetween(1L, b1 - 90);
  }

  @Test
  void retries_and_hedges_land_on_other_nodes() throws Exception {
    // b's copy of the service fails 503, c's answers: a retried call reaches c
    String svc = unique("svc");
    List<String> attempts = new CopyOnWriteArrayList<>();
    consumer(b, svc, msg -> {
      attempts.add("b");
      Replies.fail(msg, FailureCode.UNAVAILABLE, "b is draining");
    });
    consumer(c, svc, msg -> {
      attempts.add("c");
      msg.reply(new JsonObject().put("servedBy", "c"));
    });
    routes(a, new JsonObject().put("address", svc + ".retried").put("target", svc).put("timeoutMs", 3_000)
      .put("retry", new JsonObject().put("maxAttempts", 3).put("backoffMs", 1).put("retryOn", new JsonArray().add(503))),
      new JsonObject().put("address", svc + ".hedged").put("target", svc).put("timeoutMs", 3_000).put("idempotent", true)
        .put("hedge", new JsonObject().put("delayMs", 20).put("maxExtra", 2)));
    ClusterFixture.registered(a, svc, 2).await(30, TimeUnit.SECONDS);
    for (int i = 0; i < 4; i++) {
      JsonObject r = a.eventBus().<JsonObject>request(svc + ".retried", new JsonObject()).await(30, TimeUnit.SECONDS).body();
      assertThat(r.getString("servedBy")).isEqualTo("c");
    }
    // round-robin over two nodes: some calls went to b first and were retried on c
    assertThat(attempts).contains("b");
    assertThat(attempts.stream().filter("c"::equals).count()).isEqualTo(4);
    attempts.clear();
    for (int i = 0; i < 4; i++) {
      JsonObject r = a.eventBus().<JsonObject>request(svc + ".hedged", new JsonObject()).await(30, TimeUnit.SECONDS).body();
      assertThat(r.getString("servedBy")).isEqualTo("c");
    }
    assertThat(attempts).contains("b", "c");
  }

  @Test
  void breaker_state_changes_are_published_cluster_wide_naming_the_node() throws Exception {
    String svc = unique("failing");
    String notifications = unique("test.breaker");
    List<JsonObject> events = new CopyOnWriteArrayList<>();
    consumer(b, svc, msg -> Replies.fail(msg, FailureCode.INTERNAL, "b is broken"));
    // the events are heard on c, a node with neither the route nor the target
    MessageConsumer<JsonObject> listener = c.eventBus().consumer(notifications, m -> events.add(m.body()));
    listener.completion().await(10, TimeUnit.SECONDS);
    cleanup.add(() -> listener.unregister().await());
    routes(a, new JsonObject().put("address", svc + ".guarded").put("target", svc).put("timeoutMs", 2_000)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 2).put("resetTimeoutMs", 60_000)
        .put("notificationAddress", notifications)));
    ClusterFixture.registered(a, svc, 1).await(30, TimeUnit.SECONDS);
    ClusterFixture.registered(a, notifications, 1).await(30, TimeUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      settle(a.eventBus().request(svc + ".guarded", new JsonObject()));
    }
    ClusterFixture.eventually(c, 10_000, () -> !events.isEmpty(), () -> "no breaker event on c").await(15, TimeUnit.SECONDS);
    JsonObject open = events.get(0);
    assertThat(open.getString("state")).isEqualTo("OPEN");
    assertThat(open.getString("route")).isEqualTo(svc + ".guarded");
    assertThat(ClusterNode.fromJson(open.getValue("node"))).isEqualTo(ClusterNode.of(a));
    // the third call was refused by a's open circuit, without reaching b
    AsyncResult<Message<Object>> refused = settle(a.eventBus().request(svc + ".guarded", new JsonObject()));
    assertThat(((ReplyException) refused.cause()).failureCode()).isEqualTo(FailureCode.UNAVAILABLE.code());
  }
}
