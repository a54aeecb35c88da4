package dev.loopkit.cluster;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.AsyncResult;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fetch across two cluster nodes: the caller (and an HTTP front) on node a, the fetch verticle and its
 * upstream on node b. One cluster for the class (forming one costs seconds); each test leaves both nodes as
 * it found them (nothing in flight, counters back to zero).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@DisplayName("fetch across nodes: requested on a, served on b, with the same JSON, codes, budgets and cancellation")
class ClusteredFetchTest {

  private ClusterFixture cluster;
  private Vertx a;
  private Vertx b;
  private DemoUpstreamVerticle up;
  private FetchVerticle fetch;
  private HttpFrontVerticle front;
  private String base;

  @BeforeAll
  void two_nodes() throws Exception {
    cluster = ClusterFixture.start("a", "b");
    a = cluster.node(0);
    b = cluster.node(1);
    up = new DemoUpstreamVerticle();
    b.deployVerticle(up, new DeploymentOptions().setConfig(new JsonObject().put("port", 0))).await(30, TimeUnit.SECONDS);
    base = up.baseUrl();
    fetch = new FetchVerticle(new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort())));
    b.deployVerticle(fetch).await(30, TimeUnit.SECONDS);
    front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    a.deployVerticle(front).await(30, TimeUnit.SECONDS);
    ClusterFixture.registered(a, FetchOptions.DEFAULT_ADDRESS, 1).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  void close() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void nothing_in_flight_on_either_node() throws Exception {
    ClusterFixture.eventually(b, 5_000, () -> {
      JsonObject s = fetch.engine().stats();
      return s.getInteger("calls") == 0 && s.getInteger("inFlight") == 0 && up.activeRequests() == 0
        && up.openConnections() == s.getInteger("connections") && zero(a) && zero(b);
    }, () -> "engine=" + fetch.engine().stats() + " upstream active=" + up.activeRequests() + " open=" + up.openConnections()
      + " a=" + LiveResources.of(a) + " b=" + LiveResources.of(b)).await(10, TimeUnit.SECONDS);
  }

  private static boolean zero(Vertx v) {
    return LiveResources.of(v).snapshot().entrySet().stream()
      .allMatch(e -> e.getKey().endsWith(".consumers") || e.getValue() == 0);
  }

  private JsonObject urls(String... paths) {
    JsonArray list = new JsonArray();
    for (String p : paths) {
      list.add(base + p);
    }
    return new JsonObject().put("urls", list);
  }

  private static <T> AsyncResult<T> settle(Future<T> f) throws Exception {
    f.transform(ar -> Future.succeededFuture()).await(30, TimeUnit.SECONDS);
    return f;
  }

  @Test
  void a_fetch_requested_on_a_is_served_by_b_with_the_same_json_as_locally() throws Exception {
    JsonObject request = urls("/item/1", "/item/2?delay_ms=20", "/item/3?status=503");
    JsonObject remote = a.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, request).await(30, TimeUnit.SECONDS).body();
    JsonObject local = b.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, request).await(30, TimeUnit.SECONDS).body();
    assertThat(remote.fieldNames()).isEqualTo(local.fieldNames());
    assertThat(remote.getInteger("succeeded")).isEqualTo(local.getInteger("succeeded")).isEqualTo(2);
    assertThat(remote.getInteger("failed")).isEqualTo(local.getInteger("failed")).isEqualTo(1);
    for (int i = 0; i < 3; i++) {
      JsonObject r = remote.getJsonArray("results").getJsonObject(i);
      JsonObject l = local.getJsonArray("results").getJsonObject(i);
      assertThat(r.fieldNames()).isEqualTo(l.fieldNames());
      for (String key : List.of("index", "url", "ok", "status", "json", "error")) {
        assertThat(r.getValue(key)).as("results[%d].%s", i, key).isEqualTo(l.getValue(key));
      }
    }
  }

  @Test
  void failures_cross_nodes_with_the_same_codes_and_messages() throws Exception {
    List<Object> bad = List.of(
      "not json",
      new JsonObject(),
      new JsonObject().put("urls", new JsonArray().add("http://127.0.0.2:" + up.actualPort() + "/item/1")).put("mode", "all"),
      urls("/item/1").put("mode", "sometimes"),
      urls("/item/1?status=500").put("mode", "all"));
    for (Object body : bad) {
      AsyncResult<Message<Object>> remote = settle(a.eventBus().request(FetchOptions.DEFAULT_ADDRESS, body));
      AsyncResult<Message<Object>> local = settle(b.eventBus().request(FetchOptions.DEFAULT_ADDRESS, body));
      assertThat(remote.failed()).as("remote %s", body).isTrue();
      ReplyException r = (ReplyException) remote.cause();
      ReplyException l = (ReplyException) local.cause();
      assertThat(r.failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
      assertThat(r.failureCode()).as("code of %s", body).isEqualTo(l.failureCode()).isIn(400, 403, 502);
      assertThat(r.getMessage()).isEqualTo(l.getMessage());
    }
  }

  @Test
  void progress_messages_cross_nodes_one_per_request_all_before_the_reply() throws Exception {
    String address = "loopkit.progress.test-" + UUID.randomUUID();
    List<JsonObject> seen = new CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> consumer = a.eventBus().consumer(address, m -> seen.add(m.body()));
    consumer.completion().await(10, TimeUnit.SECONDS);
    ClusterFixture.registered(b, address, 1).await(30, TimeUnit.SECONDS);
    JsonObject request = urls("/item/0?delay_ms=120", "/item/1", "/item/2?delay_ms=40").put("progressAddress", address);
    List<Integer> seenAtReply = new CopyOnWriteArrayList<>();
    JsonObject reply = a.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, request,
        new DeliveryOptions().addHeader(Headers.REQUEST_ID, "progress-7"))
      .map(m -> {
        seenAtReply.add(seen.size());
        return m.body();
      }).await(30, TimeUnit.SECONDS);
    assertThat(seenAtReply).containsExactly(3);
    for (int i = 0; i < 3; i++) {
      assertThat(seen.get(i).getInteger("seq")).isEqualTo(i);
      assertThat(seen.get(i).getString("requestId")).isEqualTo("progress-7");
    }
    assertThat(seen.get(2).getInteger("index")).as("the slowest completes last").isZero();
    assertThat(reply.getJsonArray("results")).hasSize(3);
    consumer.unregister().await(10, TimeUnit.SECONDS);
  }

  @Test
  void the_budget_header_is_honoured_on_the_serving_node() throws Exception {
    long t0 = System.nanoTime();
    AsyncResult<Message<Object>> ar = settle(a.eventBus().request(FetchOptions.DEFAULT_ADDRESS,
      urls("/item/1?delay_ms=5000").put("mode", "all").put("timeoutMs", 20_000),
      new DeliveryOptions().setSendTimeout(10_000).addHeader(Headers.TIMEOUT_MS, "500")));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(ar.failed()).isTrue();
    assertThat(((ReplyException) ar.cause()).failureType()).isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(((ReplyException) ar.cause()).failureCode()).isEqualTo(FailureCode.TIMEOUT.code());
    assertThat(ms).as("answered by b at the 500 ms budget, not at timeoutMs (20 s)").isBetween(300L, 3_000L);
    // a spent budget is shed on b without touching the upstream
    long accepted = up.connectionsAccepted();
    AsyncResult<Message<Object>> shed = settle(a.eventBus().request(FetchOptions.DEFAULT_ADDRESS, urls("/item/1"),
      new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "0")));
    assertThat(((ReplyException) shed.cause()).failureCode()).isEqualTo(FailureCode.TIMEOUT.code());
    assertThat(shed.cause().getMessage()).contains("shed");
    assertThat(up.connectionsAccepted()).isEqualTo(accepted);
  }

  @Test
  void a_cancel_notice_published_on_a_stops_the_work_on_b_and_resets_its_upstream_connections() throws Exception {
    CancelNotices.ready(b).await(10, TimeUnit.SECONDS);
    long closedBefore = up.connectionsClosed();
    long noticesBefore = CancelNotices.cancelledByNotice(b);
    CancelScope scope = CancelScope.create(a);
    Future<Message<JsonObject>> call = BusRequest.request(scope, FetchOptions.DEFAULT_ADDRESS,
      urls("/item/1?fault=hang", "/item/2?fault=trickle&bytes=1000&interval_ms=20").put("timeoutMs", 20_000));
    ClusterFixture.eventually(b, 10_000, () -> up.activeRequests() == 2, () -> "upstream active=" + up.activeRequests())
      .await(15, TimeUnit.SECONDS);
    long t0 = System.nanoTime();
    a.runOnContext(v -> scope.cancel("the user left"));
    ClusterFixture.eventually(b, 5_000, () -> up.activeRequests() == 0 && up.connectionsClosed() >= closedBefore + 2,
      () -> "upstream active=" + up.activeRequests() + " closed=" + up.connectionsClosed()).await(10, TimeUnit.SECONDS);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("cancel on node a -> upstream of node b saw both connections closed after " + ms + " ms");
    settle(call);
    assertThat(call.failed()).isTrue();
    assertThat(call.cause()).hasMessageContaining("the user left");
    assertThat(CancelNotices.cancelledByNotice(b)).isEqualTo(noticesBefore + 1);
    assertThat(ms).as("loose bound: the notice crosses the bus and the engine resets at once").isLessThan(3_000);
    a.runOnContext(v -> scope.close());
  }

  @Test
  void the_http_front_on_a_answers_from_b_and_a_client_leaving_a_stops_the_work_on_b() throws Exception {
    HttpClient client = a.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(front.actualPort()));
    try {
      JsonObject ok = client.request(HttpMethod.POST, "/fetch")
        .compose(req -> req.send(urls("/item/5").encode()))
        .compose(resp -> resp.body().map(body -> new JsonObject(body).put("status", resp.statusCode())))
        .await(30, TimeUnit.SECONDS);
      assertThat(ok.getInteger("status")).isEqualTo(200);
      assertThat(ok.getJsonArray("results").getJsonObject(0).getJsonObject("json").getInteger("id")).isEqualTo(5);
    } finally {
      client.close().await(10, TimeUnit.SECONDS);
    }
    // a raw client sends a slow fetch, then goes away: the front's cancel notice reaches b, which resets the upstream
    CancelNotices.ready(b).await(10, TimeUnit.SECONDS);
    long closedBefore = up.connectionsClosed();
    NetClient raw = a.createNetClient();
    String body = urls("/item/6?fault=hang").put("timeoutMs", 20_000).encode();
    NetSocket socket = raw.connect(front.actualPort(), "127.0.0.1").await(10, TimeUnit.SECONDS);
    socket.write("POST /fetch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
      + body.length() + "\r\n\r\n" + body).await(10, TimeUnit.SECONDS);
    ClusterFixture.eventually(b, 10_000, () -> up.activeRequests() == 1, () -> "upstream active=" + up.activeRequests())
      .await(15, TimeUnit.SECONDS);
    socket.close().await(10, TimeUnit.SECONDS);
    ClusterFixture.eventually(b, 5_000, () -> up.activeRequests() == 0 && up.connectionsClosed() > closedBefore,
      () -> "upstream active=" + up.activeRequests() + " closed=" + up.connectionsClosed()).await(10, TimeUnit.SECONDS);
    raw.close().await(10, TimeUnit.SECONDS);
  }
}
