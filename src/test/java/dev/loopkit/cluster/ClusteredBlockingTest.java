package dev.loopkit.cluster;

import dev.loopkit.blocking.BlockingCheckerVerticle;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import dev.loopkit.metrics.Meters;
import io.micrometer.core.instrument.Meter;
import io.vertx.core.AsyncResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The blocking checker across three nodes: a and b run a checker, c runs none. Incidents cross nodes naming
 * theirs; the cluster report gathers every live node within the caller's budget and lists the others as
 * missing; the HTTP front asks for it with {@code ?scope=cluster}; meters carry a {@code node} tag.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("blocking across nodes: incidents name their node, one cluster report within the budget, missing nodes listed")
class ClusteredBlockingTest {

  private static final String REPORT = Addresses.BLOCKING_REPORT;

  private ClusterFixture cluster;
  private Vertx a;
  private Vertx b;
  private Vertx c;
  private HttpFrontVerticle front;

  @BeforeAll
  void three_nodes() throws Exception {
    cluster = ClusterFixture.start("a", "b", "c");
    a = cluster.node(0);
    b = cluster.node(1);
    c = cluster.node(2);
    for (Vertx v : List.of(a, b)) {
      v.deployVerticle(new BlockingCheckerVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("thresholdMs", 50)))
        .await(30, TimeUnit.SECONDS);
    }
    front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    a.deployVerticle(front).await(30, TimeUnit.SECONDS);
    for (Vertx v : List.of(a, b)) {
      ClusterFixture.registered(c, ClusterNode.of(v).address(REPORT), 1).await(30, TimeUnit.SECONDS);
    }
    ClusterFixture.registered(c, REPORT, 2).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static <T> AsyncResult<T> settle(Future<T> f) throws Exception {
    f.transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
    return f;
  }

  /** Blocks an event loop of {@code v} for {@code ms}: what the checker is there to see. */
  private static void block(Vertx v, long ms) {
    v.runOnContext(x -> {
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
    });
  }

  @Test
  void an_incident_on_b_reaches_a_consumer_on_a_naming_b() throws Exception {
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> consumer = a.eventBus().consumer(Addresses.BLOCKING, m -> seen.add(m.body()));
    consumer.completion().await(10, TimeUnit.SECONDS);
    ClusterFixture.registered(b, Addresses.BLOCKING, 1).await(30, TimeUnit.SECONDS);
    try {
      block(b, 200);
      ClusterFixture.eventually(a, 10_000, () -> seen.stream().anyMatch(r -> "b".equals(nodeName(r))),
        () -> "records on a: " + seen).await(15, TimeUnit.SECONDS);
      JsonObject fromB = seen.stream().filter(r -> "b".equals(nodeName(r))).findFirst().orElseThrow();
      assertThat(ClusterNode.fromJson(fromB.getValue("node"))).isEqualTo(ClusterNode.of(b));
      assertThat(fromB.getString("kind")).isNotNull();
    } finally {
      consumer.unregister().await(10, TimeUnit.SECONDS);
    }
  }

  private static String nodeName(JsonObject record) {
    ClusterNode n = ClusterNode.fromJson(record.getValue("node"));
    return n == null ? null : n.name();
  }

  @Test
  void the_cluster_report_gathers_every_live_node_within_the_callers_budget() throws Exception {
    // c runs no checker, but something on its per-node address that never answers: missing after the budget
    String cAddress = ClusterNode.of(c).address(REPORT);
    MessageConsumer<Object> silent = c.eventBus().consumer(cAddress, m -> { });
    silent.completion().await(10, TimeUnit.SECONDS);
    ClusterFixture.registered(a, cAddress, 1).await(30, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    JsonObject report = c.eventBus().<JsonObject>request(REPORT, new JsonObject().put("scope", "cluster"),
      new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "800").setSendTimeout(10_000)).await(30, TimeUnit.SECONDS).body();
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ms).as("answered within the caller's 800 ms budget (loose margin)").isLessThan(1_500);
    assertThat(report.getString("scope")).isEqualTo("cluster");
    assertThat(report.getInteger("members")).isEqualTo(3);
    assertThat(names(report.getJsonArray("nodes"))).containsExactly("a", "b");
    for (Object n : report.getJsonArray("nodes")) {
      assertThat(((JsonObject) n).getLong("thresholdMs")).isEqualTo(50);
      assertThat(((JsonObject) n).getJsonArray("loops")).isNotEmpty();
    }
    JsonArray missing = report.getJsonArray("missing");
    assertThat(names(missing)).containsExactly("c");
    assertThat(missing.getJsonObject(0).getString("reason")).startsWith("no answer within ");
    assertThat(report.getJsonObject("node").getString("name")).isIn("a", "b");

    // without anything on c's per-node address: missing at once, for that reason
    silent.unregister().await(10, TimeUnit.SECONDS);
    JsonObject again = awaitMissingReason(c, "nothing serves '" + REPORT + "' on this node");
    assertThat(names(again.getJsonArray("nodes"))).containsExactly("a", "b");
  }

  /** Asks for the cluster report until c's missing reason is {@code reason} (its unregistration travels). */
  private JsonObject awaitMissingReason(Vertx from, String reason) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    JsonObject last = null;
    while (System.nanoTime() < until) {
      last = from.eventBus().<JsonObject>request(REPORT, new JsonObject().put("scope", "cluster"),
        new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "800")).await(30, TimeUnit.SECONDS).body();
      JsonArray missing = last.getJsonArray("missing");
      if (missing.size() == 1 && reason.equals(missing.getJsonObject(0).getString("reason"))) {
        return last;
      }
      from.timer(20).await(5, TimeUnit.SECONDS);
    }
    throw new AssertionError("missing reason never became '" + reason + "': " + last);
  }

  private static List<String> names(JsonArray entries) {
    return entries.stream().map(e -> ((JsonObject) e).getJsonObject("node").getString("name")).collect(Collectors.toList());
  }

  @Test
  void scope_node_is_this_nodes_report_and_any_other_scope_is_400_naming_the_field() throws Exception {
    JsonObject own = b.eventBus().<JsonObject>request(ClusterNode.of(b).address(REPORT), new JsonObject().put("scope", "node"))
      .await(30, TimeUnit.SECONDS).body();
    assertThat(ClusterNode.fromJson(own.getValue("node"))).isEqualTo(ClusterNode.of(b));
    AsyncResult<Message<Object>> bad = settle(a.eventBus().request(REPORT, new JsonObject().put("scope", "planet")));
    assertThat(((ReplyException) bad.cause()).failureCode()).isEqualTo(FailureCode.BAD_REQUEST.code());
    assertThat(bad.cause().getMessage()).isEqualTo("body.scope: must be one of node, cluster, got \"planet\"");
    // a per-node address answers for its node only: asking it to gather is refused, not recursed
    AsyncResult<Message<Object>> loop = settle(a.eventBus().request(ClusterNode.of(b).address(REPORT), new JsonObject().put("scope", "cluster")));
    assertThat(((ReplyException) loop.cause()).failureCode()).isEqualTo(FailureCode.BAD_REQUEST.code());
  }

  @Test
  void get_blocking_scope_cluster_on_the_http_front() throws Exception {
    HttpClient client = a.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(front.actualPort()));
    try {
      JsonObject ok = get(client, "/blocking?scope=cluster");
      assertThat(ok.getInteger("status")).isEqualTo(200);
      assertThat(names(ok.getJsonArray("nodes"))).containsExactly("a", "b");
      assertThat(names(ok.getJsonArray("missing"))).containsExactly("c");
      JsonObject bad = get(client, "/blocking?scope=planet");
      assertThat(bad.getInteger("status")).isEqualTo(400);
      assertThat(bad.getString("message")).isEqualTo("body.scope: must be one of node, cluster, got \"planet\"");
      JsonObject local = get(client, "/blocking");
      assertThat(local.getInteger("status")).isEqualTo(200);
      assertThat(local.getJsonObject("node").getString("name")).isIn("a", "b");
    } finally {
      client.close().await(10, TimeUnit.SECONDS);
    }
  }

  private static JsonObject get(HttpClient client, String uri) throws Exception {
    return client.request(HttpMethod.GET, uri).compose(req -> req.send())
      .compose(resp -> resp.body().map(body -> new JsonObject(body).put("status", resp.statusCode())))
      .await(30, TimeUnit.SECONDS);
  }

  @Test
  void each_nodes_meters_carry_its_node_tag() throws Exception {
    for (Vertx v : List.of(a, b)) {
      String name = ClusterNode.of(v).name();
      ClusterFixture.eventually(v, 10_000, () -> !lagMeters(v).isEmpty(), () -> "no lag meters yet").await(15, TimeUnit.SECONDS);
      assertThat(lagMeters(v)).allSatisfy(m -> assertThat(m.getId().getTag("node")).isEqualTo(name));
    }
  }

  private static List<Meter> lagMeters(Vertx v) {
    // in this JVM each node has its own registry (metrics are off: Meters' per-instance fallback)
    return Meters.registry(v).getMeters().stream().filter(m -> m.getId().getName().equals("loopkit.blocking.lag"))
      .collect(Collectors.toList());
  }
}
