package dev.loopkit.http;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.Headers;
import dev.loopkit.metrics.LoopkitMetricsFactory;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("HTTP front: health, metrics, and HTTP bridges to event-bus services")
class HttpFrontVerticleTest {

  private HttpFrontVerticle front;
  private WebClient client;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    client = WebClient.create(vertx);
    vertx.deployVerticle(front).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void health_is_up(Vertx vertx, VertxTestContext tc) {
    client.get(front.actualPort(), "127.0.0.1", "/health").send().onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getString("outcome")).isEqualTo("UP");
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a request asking for an h2c upgrade (as the JDK HttpClient does) is answered over HTTP/1.1")
  void h2c_upgrade_is_declined(Vertx vertx, VertxTestContext tc) {
    String request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
      + "Upgrade: h2c\r\nHTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n\r\n";
    Buffer received = Buffer.buffer();
    vertx.createNetClient().connect(front.actualPort(), "127.0.0.1").onComplete(tc.succeeding(socket -> {
      socket.handler(chunk -> {
        received.appendBuffer(chunk);
        String text = received.toString();
        if (text.contains("\r\n\r\n") && text.contains("\"outcome\"")) {
          tc.verify(() -> {
            assertThat(text).startsWith("HTTP/1.1 200");
            assertThat(text).doesNotContain("101 Switching Protocols");
          });
          socket.close().onComplete(tc.succeedingThenComplete());
        }
      });
      socket.write(request);
    }));
  }

  @Test
  void metrics_without_vertx_metrics_is_503_with_a_reason(Vertx vertx, VertxTestContext tc) {
    client.get(front.actualPort(), "127.0.0.1", "/metrics").send().onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.bodyAsJsonObject().getString("message")).contains("metrics are disabled");
      tc.completeNow();
    })));
  }

  @Test
  void post_fetch_with_a_non_json_body_is_400(Vertx vertx, VertxTestContext tc) {
    client.post(front.actualPort(), "127.0.0.1", "/fetch").sendBuffer(Buffer.buffer("urls=1")).onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("BAD_REQUEST");
      assertThat(r.bodyAsJsonObject().getString("message")).startsWith("body:");
      tc.completeNow();
    })));
  }

  @Test
  void a_missing_service_is_503_naming_the_address(Vertx vertx, VertxTestContext tc) {
    client.get(front.actualPort(), "127.0.0.1", "/blocking").send().onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.bodyAsJsonObject().getString("message")).contains(Addresses.BLOCKING_REPORT);
      tc.completeNow();
    })));
  }

  @Test
  void bridges_the_reply_and_forwards_the_budget(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> msg.reply(new JsonObject()
      .put("echo", msg.body()).put("budget", Long.parseLong(msg.headers().get(Headers.TIMEOUT_MS)))));
    client.post(front.actualPort(), "127.0.0.1", "/fetch").putHeader(Headers.TIMEOUT_MS, "700")
      .sendJsonObject(new JsonObject().put("urls", new io.vertx.core.json.JsonArray()))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(200);
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.getJsonObject("echo").containsKey("urls")).isTrue();
        assertThat(body.getLong("budget")).isBetween(1L, 700L);
        tc.completeNow();
      })));
  }

  @Test
  void a_failed_reply_maps_to_its_http_status(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().consumer(Addresses.FETCH, msg -> msg.fail(403, "requests[0].url: host not allowed"));
    client.post(front.actualPort(), "127.0.0.1", "/fetch").sendJsonObject(new JsonObject()).onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(403);
      assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo("FORBIDDEN");
      assertThat(r.bodyAsJsonObject().getString("message")).isEqualTo("requests[0].url: host not allowed");
      tc.completeNow();
    })));
  }

  @Test
  void budget_header_errors(Vertx vertx, VertxTestContext tc) {
    client.post(front.actualPort(), "127.0.0.1", "/fetch").putHeader(Headers.TIMEOUT_MS, "soon")
      .sendJsonObject(new JsonObject()).onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(400);
        client.post(front.actualPort(), "127.0.0.1", "/fetch").putHeader(Headers.TIMEOUT_MS, "0")
          .sendJsonObject(new JsonObject()).onComplete(tc.succeeding(r2 -> tc.verify(() -> {
            assertThat(r2.statusCode()).isEqualTo(504);
            tc.completeNow();
          })));
      })));
  }

  @Test
  @DisplayName("a service that does not answer within the budget header is a 504 naming the budget")
  void silent_service_within_budget_is_504(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> { });
    client.post(front.actualPort(), "127.0.0.1", "/fetch").putHeader(Headers.TIMEOUT_MS, "80")
      .sendJsonObject(new JsonObject()).onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.bodyAsJsonObject().getString("message"))
          .isEqualTo("no reply from 'loopkit.fetch' within the request's budget (loopkit-timeout-ms: 80 ms)");
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("when the HTTP client goes away, the service sees a cancel notice")
  void client_gone_cancels_the_work(Vertx vertx, VertxTestContext tc) {
    var listening = CancelNotices.listen(vertx);
    Promise<Void> received = Promise.promise();
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
      CancelScope scope = Budget.serve(vertx, msg, Long.MAX_VALUE);
      scope.onCancel(e -> tc.verify(() -> {
        assertThat(e.getMessage()).contains("HTTP client closed the connection");
        scope.close();
        listening.remove();
        tc.completeNow();
      }));
      received.complete();
    });
    HttpClient http = vertx.createHttpClient();
    http.request(HttpMethod.POST, front.actualPort(), "127.0.0.1", "/fetch").onComplete(tc.succeeding(req -> {
      req.putHeader("content-type", "application/json").end("{}");
      received.future().onSuccess(v -> req.connection().close());
    }));
  }

  @Test
  void metrics_are_served_when_enabled(VertxTestContext tc) {
    Vertx withMetrics = Vertx.vertx(new VertxOptions().setMetricsOptions(LoopkitMetricsFactory.defaults()));
    HttpFrontVerticle f = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    withMetrics.deployVerticle(f)
      .compose(id -> WebClient.create(withMetrics).get(f.actualPort(), "127.0.0.1", "/metrics").send())
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsString()).contains("vertx_http_server");
        withMetrics.close().onComplete(v -> tc.completeNow());
      })));
  }

}
