package dev.loopkit.http;

import dev.loopkit.bus.Addresses;
import dev.loopkit.hostile.HttpText;
import dev.loopkit.hostile.RawClient;
import dev.loopkit.hostile.Released;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("HTTP front: strict framing (RFC 9112), 413 closes, HEAD wherever GET")
class HttpFrontFramingTest {

  private static Vertx vertx;
  private static HttpFrontVerticle front;
  private static final AtomicInteger SERVED = new AtomicInteger();

  @BeforeAll
  static void deploy() {
    vertx = FrontFixture.withMetrics("framing-test");
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
      SERVED.incrementAndGet();
      msg.reply(new JsonObject().put("ok", true));
    });
    vertx.eventBus().<JsonObject>consumer(Addresses.BLOCKING_REPORT, msg -> msg.reply(new JsonObject().put("loops", 2)));
    front = FrontFixture.deploy(vertx, FrontFixture.quick().setMaxBodyBytes(1_000).setIdleTimeoutMs(5_000)).await();
  }

  @AfterAll
  static void close() {
    vertx.close().await();
  }

  private static Future<RawClient.Exchange> send(String request) {
    return RawClient.exchange(vertx, front.actualPort(), request, 4_000);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
    "Content-Length: 5\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding: chunked\r\nContent-Length: 5",
    "Transfer-Encoding: gzip\r\nContent-Length: 5",
  })
  @DisplayName("Content-Length with Transfer-Encoding: 400, the connection closed, nothing served")
  void content_length_and_transfer_encoding(String headers, VertxTestContext tc) {
    int before = SERVED.get();
    send("POST /fetch HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n\r\n2\r\n{}\r\n0\r\n\r\n").onComplete(tc.succeeding(x -> tc.verify(() -> {
      List<HttpText.Response> answers = HttpText.finals(x, false);
      assertThat(answers).extracting(HttpText.Response::status).containsExactly(400);
      assertThat(answers.get(0).json().getString("message")).contains("Content-Length", "Transfer-Encoding");
      assertThat(answers.get(0).header("connection")).isEqualTo("close");
      assertThat(x.closedByServer()).isTrue();
      assertThat(x.elapsedMs()).isLessThan(3_000);
      assertThat(SERVED.get()).isEqualTo(before);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a Content-Length over maxBodyBytes: 413 at once and the connection closed, the body never awaited")
  void too_large_is_413_and_closed(VertxTestContext tc) {
    send("POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n{\"urls\":").onComplete(tc.succeeding(x -> tc.verify(() -> {
      List<HttpText.Response> answers = HttpText.finals(x, false);
      assertThat(answers).extracting(HttpText.Response::status).containsExactly(413);
      assertThat(answers.get(0).json().getString("message")).contains("http.maxBodyBytes");
      assertThat(x.closedByServer()).isTrue();
      assertThat(x.elapsedMs()).isLessThan(2_000);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a chunked body growing past maxBodyBytes: 413 when it does, connection closed")
  void chunked_too_large_is_413_and_closed(VertxTestContext tc) {
    String chunk = Integer.toHexString(600) + "\r\n" + "a".repeat(600) + "\r\n";
    send("POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk).onComplete(tc.succeeding(x -> tc.verify(() -> {
      assertThat(HttpText.finals(x, false)).extracting(HttpText.Response::status).containsExactly(413);
      assertThat(x.closedByServer()).isTrue();
      assertThat(x.elapsedMs()).isLessThan(2_000);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("Expect: 100-continue with a too-large Content-Length: 413 without 100 Continue, connection closed")
  void expect_continue_too_large(VertxTestContext tc) {
    send("POST /fetch HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 99999999\r\n\r\n").onComplete(tc.succeeding(x -> tc.verify(() -> {
      assertThat(x.text()).doesNotContain("100 Continue");
      assertThat(HttpText.finals(x, false)).extracting(HttpText.Response::status).containsExactly(413);
      assertThat(x.closedByServer()).isTrue();
      assertThat(x.elapsedMs()).isLessThan(2_000);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("Expect: 100-continue within the limit: 100 Continue, then the answer")
  void expect_continue_ok(VertxTestContext tc) {
    vertx.createNetClient().connect(front.actualPort(), "127.0.0.1").compose(socket -> {
      Buffer got = Buffer.buffer();
      socket.handler(b -> {
        got.appendBuffer(b);
        if (got.toString().startsWith("HTTP/1.1 100 Continue\r\n\r\n") && got.length() == "HTTP/1.1 100 Continue\r\n\r\n".length()) {
          socket.write("{}");
        }
      });
      socket.write("POST /fetch HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
      return Released.eventually(vertx, 3_000, () -> got.toString().contains("\"ok\":true"), got::toString)
        .onComplete(v -> socket.close());
    }).onComplete(tc.succeedingThenComplete());
  }

  @ParameterizedTest(name = "HEAD {0}")
  @ValueSource(strings = {"/health", "/metrics", "/blocking", "/nowhere"})
  @DisplayName("HEAD answers as GET does: same status and headers, no body")
  void head_is_get_without_a_body(String path, VertxTestContext tc) {
    String get = "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n";
    String head = "HEAD " + path + " HTTP/1.1\r\nHost: a\r\n\r\n";
    RawClient.exchange(vertx, front.actualPort(), get, 600).compose(g ->
      RawClient.exchange(vertx, front.actualPort(), head, 600).map(h -> {
        tc.verify(() -> {
          HttpText.Response gr = HttpText.finals(g, false).get(0);
          List<HttpText.Response> hr = HttpText.finals(h, true);
          assertThat(hr).hasSize(1);
          assertThat(hr.get(0).status()).isEqualTo(gr.status());
          Map<String, String> gh = new HashMap<>(gr.headers());
          Map<String, String> hh = new HashMap<>(hr.get(0).headers());
          gh.remove("loopkit-request-id");
          hh.remove("loopkit-request-id");
          if (path.equals("/metrics")) {
            // the metrics change between the two requests
            assertThat(hh.remove("content-length")).isNotNull();
            gh.remove("content-length");
          }
          assertThat(hh).isEqualTo(gh);
          assertThat(h.text()).endsWith("\r\n\r\n");
        });
        return null;
      })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("a client that sends without reading waits for its answers to drain; the front does not queue answer after answer")
  void pipelining_without_reading_is_bounded(VertxTestContext tc) {
    AtomicInteger reports = new AtomicInteger();
    String big = "r".repeat(256 * 1024);
    String address = "test.big.report";
    vertx.eventBus().<JsonObject>consumer(address, msg -> {
      reports.incrementAndGet();
      msg.reply(new JsonObject().put("report", big));
    });
    HttpFrontVerticle bigFront = new HttpFrontVerticle(FrontFixture.quick().setBlockingReportAddress(address)
      .setIdleTimeoutMs(1_500), Map.of());
    vertx.deployVerticle(bigFront).compose(id -> vertx.createNetClient().connect(bigFront.actualPort(), "127.0.0.1"))
      .compose(socket -> {
        socket.pause(); // reads nothing, so the client cannot see the close: watch the server's count
        socket.write("GET /blocking HTTP/1.1\r\nHost: a\r\n\r\n".repeat(200));
        return Released.eventually(vertx, 3_000, () -> bigFront.openConnections() == 1, () -> "not connected")
          .compose(v -> Released.eventually(vertx, 10_000, () -> bigFront.openConnections() == 0,
            () -> "still open after " + reports.get() + " answers"))
          .map(v -> socket);
      }).onComplete(tc.succeeding(socket -> tc.verify(() -> {
        assertThat(reports.get()).as("answers made for a client that reads none").isLessThan(120);
        // the paused socket never sees the server's close: close it here, or closing Vert.x waits out the
        // client's 30 s shutdown grace period for it
        socket.close().onComplete(c -> tc.completeNow());
      })));
  }
}
