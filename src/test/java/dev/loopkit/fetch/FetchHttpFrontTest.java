package dev.loopkit.fetch;

import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("POST /fetch on the HTTP front: same JSON in and out, failure codes as HTTP statuses")
class FetchHttpFrontTest {

  private DemoUpstreamVerticle up;
  private FetchVerticle fetch;
  private HttpFrontVerticle front;
  private HttpClient client;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose(u -> {
      up = u;
      fetch = new FetchVerticle(Fixture.allowing(u));
      return vertx.deployVerticle(fetch);
    }).compose(id -> {
      front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of("fetch", id));
      return vertx.deployVerticle(front);
    }).onComplete(tc.succeeding(id -> {
      client = vertx.createHttpClient();
      tc.completeNow();
    }));
  }

  private record Answer(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  private Future<Answer> post(String body, String budget) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(front.actualPort())
      .setURI("/fetch").putHeader("content-type", "application/json");
    if (budget != null) {
      ro.putHeader(Headers.TIMEOUT_MS, budget);
    }
    return client.request(ro)
      .compose(req -> req.send(Buffer.buffer(body)))
      .compose(resp -> resp.body().map(b -> new Answer(resp.statusCode(), b.toString())));
  }

  private JsonObject urls(String... urls) {
    return new JsonObject().put("urls", new JsonArray(List.of((Object[]) urls)));
  }

  @Test
  void a_fetch_over_http_returns_the_same_reply_as_the_bus(Vertx vertx, VertxTestContext tc) {
    post(urls(up.baseUrl() + "/item/1", up.baseUrl() + "/item/2?status=404").encode(), null).map(a -> {
      assertThat(a.status()).isEqualTo(200);
      JsonObject reply = a.json();
      assertThat(reply.getInteger("succeeded")).isEqualTo(1);
      assertThat(reply.getInteger("failed")).isEqualTo(1);
      assertThat(reply.getJsonArray("results").getJsonObject(0).getJsonObject("json").getInteger("id")).isEqualTo(1);
      assertThat(reply.getJsonArray("results").getJsonObject(1).getInteger("status")).isEqualTo(404);
      return a;
    }).compose(a -> Fixture.released(vertx, fetch.engine(), up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void failures_map_to_http_statuses_with_a_json_body(Vertx vertx, VertxTestContext tc) {
    Future<Answer> notJson = post("{not json", null);
    Future<Answer> badField = post(new JsonObject().put("urls", new JsonArray().add(up.baseUrl())).put("mode", "most").encode(), null);
    Future<Answer> forbidden = post(urls("http://127.0.0.2:" + up.actualPort() + "/item/1").encode(), null);
    Future<Answer> failedAll = post(urls(up.baseUrl() + "/item/1?status=500").put("mode", "all").encode(), null);
    Future<Answer> deadline = post(urls(up.baseUrl() + "/item/1?fault=hang").put("mode", "all").encode(), "300");
    Future.all(notJson, badField, forbidden, failedAll, deadline).map(cf -> {
      assertThat(notJson.result().status()).isEqualTo(400);
      assertThat(notJson.result().json().getString("message")).contains("body");
      assertThat(badField.result().status()).isEqualTo(400);
      assertThat(badField.result().json().getString("message")).startsWith("mode:");
      assertThat(forbidden.result().status()).isEqualTo(403);
      assertThat(forbidden.result().json().getString("error")).isEqualTo("FORBIDDEN");
      assertThat(failedAll.result().status()).isEqualTo(502);
      assertThat(failedAll.result().json().getString("message")).contains("requests[0]", "HTTP_STATUS");
      assertThat(deadline.result().status()).isEqualTo(504);
      assertThat(deadline.result().json().getString("message")).contains("deadline");
      return cf;
    }).compose(a -> Fixture.released(vertx, fetch.engine(), up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void an_http_client_that_goes_away_cancels_the_fetch_down_to_the_upstream_socket(Vertx vertx, VertxTestContext tc) {
    RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(front.actualPort()).setURI("/fetch");
    HttpClientRequest[] sent = new HttpClientRequest[1];
    long[] t0 = {0};
    client.request(ro).compose(req -> {
      sent[0] = req;
      req.send(urls(up.baseUrl() + "/item/1?fault=hang").put("timeoutMs", 20_000).encode());
      return Fixture.eventually(vertx, 5_000, () -> up.activeRequests() == 1, () -> "active=" + up.activeRequests());
    }).compose(v -> {
      t0[0] = System.nanoTime();
      return sent[0].connection().close();
    }).compose(v -> Fixture.eventually(vertx, 3_000, () -> up.openConnections() == 0, () -> "open=" + up.openConnections()))
      .map(v -> {
        System.out.println("HTTP client gone -> upstream connection closed after " + (System.nanoTime() - t0[0]) / 1_000_000 + " ms");
        return v;
      })
      .compose(v -> Fixture.released(vertx, fetch.engine(), up)).onComplete(tc.succeedingThenComplete());
  }
}
