package dev.loopkit.http;

import dev.loopkit.bus.Addresses;
import dev.loopkit.hostile.HttpText;
import dev.loopkit.hostile.RawClient;
import dev.loopkit.hostile.Released;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("HTTP front: every resource a client can take is bounded")
class HttpFrontLimitsTest {

  private static Future<Void> noneOpen(Vertx vertx, HttpFrontVerticle front) {
    return Released.eventually(vertx, 5_000, () -> front.openConnections() == 0, () -> front.openConnections() + " connections open")
      .compose(v -> Released.counters(vertx, 3_000));
  }

  @Test
  @DisplayName("maxConnections: the next connection is closed at once, the open ones keep working")
  void max_connections(Vertx vertx, VertxTestContext tc) {
    NetClient net = vertx.createNetClient();
    List<NetSocket> held = new ArrayList<>();
    FrontFixture.deploy(vertx, FrontFixture.quick().setMaxConnections(3).setIdleTimeoutMs(20_000)).compose((HttpFrontVerticle front) -> {
      Future<Void> opened = Future.succeededFuture();
      for (int i = 0; i < 3; i++) {
        opened = opened.compose(v -> net.connect(front.actualPort(), "127.0.0.1").map(s -> {
          held.add(s);
          return null;
        }));
      }
      return opened
        .compose(v -> Released.eventually(vertx, 3_000, () -> front.openConnections() == 3, () -> "open=" + front.openConnections()))
        .compose(v -> RawClient.exchange(vertx, front.actualPort(), "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", 5_000))
        .compose((RawClient.Exchange refused) -> {
          tc.verify(() -> {
            assertThat(refused.closedByServer()).as("the 4th connection is closed").isTrue();
            assertThat(refused.received().length()).as("and gets nothing").isZero();
            assertThat(refused.elapsedMs()).isLessThan(3_000);
          });
          // an open one still works
          Buffer got = Buffer.buffer();
          NetSocket first = held.get(0);
          first.handler(got::appendBuffer);
          first.write("GET /health HTTP/1.1\r\nHost: a\r\n\r\n");
          return Released.eventually(vertx, 3_000, () -> got.toString().contains("\"outcome\""), got::toString);
        })
        .compose(v -> {
          held.forEach(NetSocket::close);
          return noneOpen(vertx, front);
        });
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("idleTimeoutMs: a connection that sends nothing, or nothing more after an answer, is closed")
  void idle_connections_are_closed(Vertx vertx, VertxTestContext tc) {
    FrontFixture.deploy(vertx, FrontFixture.quick().setIdleTimeoutMs(400).setRequestHeadTimeoutMs(60_000)).compose((HttpFrontVerticle front) ->
      RawClient.exchange(vertx, front.actualPort(), "", 10_000).compose((RawClient.Exchange silent) -> {
        tc.verify(() -> {
          assertThat(silent.closedByServer()).isTrue();
          assertThat(silent.elapsedMs()).isBetween(300L, 5_000L);
        });
        return RawClient.exchange(vertx, front.actualPort(), "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", 10_000);
      }).compose((RawClient.Exchange keptAlive) -> {
        tc.verify(() -> {
          assertThat(HttpText.finals(keptAlive, false)).extracting(HttpText.Response::status).containsExactly(200);
          assertThat(keptAlive.closedByServer()).isTrue();
          assertThat(keptAlive.elapsedMs()).isBetween(300L, 5_000L);
        });
        return noneOpen(vertx, front);
      })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("requestHeadTimeoutMs: a head trickled in one byte at a time is cut off, however long idleTimeoutMs is")
  void slowloris_head(Vertx vertx, VertxTestContext tc) {
    String head = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "a".repeat(200) + "\r\n\r\n";
    FrontFixture.deploy(vertx, FrontFixture.quick().setIdleTimeoutMs(60_000).setRequestHeadTimeoutMs(600)).compose((HttpFrontVerticle front) ->
      FrontFixture.trickle(vertx, front.actualPort(), head, 50, 15_000).compose((RawClient.Exchange x) -> {
        tc.verify(() -> {
          assertThat(x.closedByServer()).as("closed by the server").isTrue();
          assertThat(x.received().length()).as("without an answer").isZero();
          assertThat(x.elapsedMs()).isBetween(500L, 5_000L);
        });
        return noneOpen(vertx, front);
      })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("requestBodyTimeoutMs: a body trickled in is answered 408 and the connection closed")
  void slowloris_body(Vertx vertx, VertxTestContext tc) {
    String head = "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 200\r\n\r\n";
    FrontFixture.deploy(vertx, FrontFixture.quick().setRequestBodyTimeoutMs(500).setIdleTimeoutMs(60_000)).compose((HttpFrontVerticle front) ->
      FrontFixture.trickle(vertx, front.actualPort(), head, "{".repeat(200), 20, 15_000)
        .compose((RawClient.Exchange x) -> {
          tc.verify(() -> {
            List<HttpText.Response> answers = HttpText.finals(x, false);
            assertThat(answers).extracting(HttpText.Response::status).containsExactly(408);
            assertThat(answers.get(0).json().getString("error")).isEqualTo("REQUEST_TIMEOUT");
            assertThat(answers.get(0).json().getString("message")).contains("http.requestBodyTimeoutMs");
            assertThat(x.closedByServer()).isTrue();
            assertThat(x.elapsedMs()).isLessThan(4_000);
          });
          return noneOpen(vertx, front);
        })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("file uploads: a multipart upload writes nothing to disk (no file-uploads directory)")
  void uploads_write_nothing(Vertx vertx, VertxTestContext tc) throws Exception {
    Path uploads = Path.of("file-uploads");
    assertThat(uploads).doesNotExist();
    String boundary = "XyZ";
    String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"evil.bin\"\r\n"
      + "Content-Type: application/octet-stream\r\n\r\n" + "A".repeat(10_000) + "\r\n--" + boundary + "--\r\n";
    String request = "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=" + boundary
      + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) ->
      RawClient.exchange(vertx, front.actualPort(), request, 1_500).compose((RawClient.Exchange x) -> {
        tc.verify(() -> {
          assertThat(HttpText.finals(x, false)).extracting(HttpText.Response::status).containsExactly(400);
          assertThat(HttpText.finals(x, false).get(0).json().getString("message")).startsWith("body: not valid JSON");
          assertThat(uploads).as("nothing written by the front").doesNotExist();
        });
        return noneOpen(vertx, front);
      })).onComplete(ar -> {
        if (Files.exists(uploads)) {
          vertx.fileSystem().deleteRecursiveBlocking(uploads.toString());
        }
        tc.completeNow();
        if (ar.failed()) {
          tc.failNow(ar.cause());
        }
      });
  }

  @Test
  @DisplayName("maxBufferedBodyBytes: bodies arriving together are bounded across connections (503, closed)")
  void buffered_bodies_are_bounded_in_total(Vertx vertx, VertxTestContext tc) {
    String head = "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\n";
    NetClient net = vertx.createNetClient();
    FrontFixture.deploy(vertx, FrontFixture.quick().setMaxBodyBytes(1000).setMaxBufferedBodyBytes(1500)
      .setRequestBodyTimeoutMs(20_000)).compose((HttpFrontVerticle front) ->
      net.connect(front.actualPort(), "127.0.0.1").compose((NetSocket first) -> {
        first.write(head + "{\"a\":");
        return Released.eventually(vertx, 3_000, () -> front.bufferedBodyBytes() == 1000, () -> "buffered=" + front.bufferedBodyBytes())
          .compose(v -> RawClient.exchange(vertx, front.actualPort(), head + "x", 5_000))
          .compose((RawClient.Exchange second) -> {
            tc.verify(() -> {
              assertThat(HttpText.finals(second, false)).extracting(HttpText.Response::status).containsExactly(503);
              assertThat(HttpText.finals(second, false).get(0).json().getString("message")).contains("http.maxBufferedBodyBytes");
              assertThat(second.closedByServer()).isTrue();
            });
            first.close();
            return Released.eventually(vertx, 3_000, () -> front.bufferedBodyBytes() == 0, () -> "buffered=" + front.bufferedBodyBytes());
          })
          .compose(v -> noneOpen(vertx, front));
      })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("maxReplyBytes: a reply too large to encode within the limit is answered 413, not built")
  void reply_too_large_is_413(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> msg.reply(new JsonObject()
      .put("results", new JsonArray().add("x".repeat(600_000)).add("y".repeat(600_000)))));
    FrontFixture.deploy(vertx, FrontFixture.quick().setMaxReplyBytes(1024 * 1024)).compose((HttpFrontVerticle front) ->
      RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", 1_500)
        .compose((RawClient.Exchange x) -> {
          tc.verify(() -> {
            List<HttpText.Response> answers = HttpText.finals(x, false);
            assertThat(answers).extracting(HttpText.Response::status).containsExactly(413);
            assertThat(answers.get(0).json().getString("message")).contains("http.maxReplyBytes", "application/x-ndjson");
          });
          return noneOpen(vertx, front);
        })).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("maxJsonDepth and maxJsonValues: a body that would cost far more memory than its size is refused unparsed")
  void json_depth_and_values_are_bounded(Vertx vertx, VertxTestContext tc) {
    AtomicInteger served = new AtomicInteger();
    vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
      served.incrementAndGet();
      msg.reply(new JsonObject());
    });
    String deep = "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}";
    StringBuilder many = new StringBuilder("{\"urls\":[");
    for (int i = 0; i < 5_000; i++) {
      many.append(i == 0 ? "[]" : ",[]");
    }
    String wide = many.append("]}").toString();
    FrontFixture.deploy(vertx, FrontFixture.quick().setMaxJsonValues(1_000)).compose((HttpFrontVerticle front) ->
      RawClient.exchange(vertx, front.actualPort(), post(deep), 1_500).compose((RawClient.Exchange d) ->
        RawClient.exchange(vertx, front.actualPort(), post(wide), 1_500).map(w -> {
          tc.verify(() -> {
            assertThat(HttpText.finals(d, false)).extracting(HttpText.Response::status).containsExactly(400);
            assertThat(HttpText.finals(d, false).get(0).json().getString("message"))
              .startsWith("body: nested deeper than 64 levels (http.maxJsonDepth)");
            assertThat(HttpText.finals(w, false)).extracting(HttpText.Response::status).containsExactly(400);
            assertThat(HttpText.finals(w, false).get(0).json().getString("message"))
              .startsWith("body: more than 1000 JSON values (http.maxJsonValues)");
            assertThat(served.get()).as("nothing reached the service").isZero();
          });
          return null;
        })).compose(v -> noneOpen(vertx, front))).onComplete(tc.succeedingThenComplete());
  }

  static String post(String body) {
    return "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
  }
}
