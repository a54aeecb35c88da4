package dev.loopkit.http;

import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.hostile.HttpText;
import dev.loopkit.hostile.RawClient;
import dev.loopkit.hostile.Released;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("HTTP front bridges: no client reaches another client's work")
class HttpFrontBridgeTest {

  static Future<RawClient.Exchange> post(Vertx vertx, HttpFrontVerticle front, String headers, String body) {
    return RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\n" + headers
      + "Content-Length: " + Buffer.buffer(body).length() + "\r\n\r\n" + body, 1_500);
  }

  static HttpText.Response only(RawClient.Exchange x) {
    List<HttpText.Response> answers = HttpText.finals(x, false);
    assertThat(answers).hasSize(1);
    return answers.get(0);
  }

  @Nested
  @DisplayName("address-valued fields")
  class AddressFields {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
      "{\"urls\":[],\"progressAddress\":\"loopkit.progress.mine\"}",
      "{\"urls\":[],\"progressAddress\":\"__vertx.reply.1\"}",
      "{\"urls\":[],\"progressAddress\":\"loopkit.cancel\"}",
      "{\"urls\":[],\"progress\\u0041ddress\":\"loopkit.fetch\"}",
      "{\"urls\":[],\"PROGRESSADDRESS\":\"x\"}",
      "{\"urls\":[],\"replyAddress\":\"loopkit.fetch\"}",
    })
    @DisplayName("a field naming an event-bus address is 400, naming the field and the NDJSON way")
    void refused(String body, Vertx vertx, VertxTestContext tc) {
      Set<Object> served = ConcurrentHashMap.newKeySet();
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        served.add(msg.body());
        msg.reply(new JsonObject());
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) -> post(vertx, front, "", body)).onComplete(tc.succeeding((RawClient.Exchange x) -> tc.verify(() -> {
        HttpText.Response r = only(x);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().getString("message")).startsWith("body.").containsIgnoringCase("address: not accepted over HTTP")
          .contains("Accept: application/x-ndjson");
        assertThat(served).as("nothing reached the fetch service").isEmpty();
        tc.completeNow();
      })));
    }
  }

  @Nested
  @DisplayName("request ids")
  class RequestIds {

    @Test
    @DisplayName("every request gets a fresh unpredictable id, returned in loopkit-request-id; a client's own id is ignored")
    void ids_are_the_fronts(Vertx vertx, VertxTestContext tc) {
      List<String> seen = new ArrayList<>();
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        seen.add(msg.headers().get(Headers.REQUEST_ID));
        msg.reply(new JsonObject());
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) ->
        post(vertx, front, Headers.REQUEST_ID + ": victims-id-42\r\n", "{}").compose((RawClient.Exchange a) ->
          post(vertx, front, Headers.REQUEST_ID + ": victims-id-42\r\n", "{}").map((RawClient.Exchange b) -> {
            tc.verify(() -> {
              String idA = only(a).header(Headers.REQUEST_ID);
              String idB = only(b).header(Headers.REQUEST_ID);
              assertThat(seen).containsExactly(idA, idB);
              assertThat(idA).matches("[A-Za-z0-9_-]{22}").isNotEqualTo(idB).isNotEqualTo("victims-id-42");
              assertThat(idB).matches("[A-Za-z0-9_-]{22}");
            });
            return null;
          }))).onComplete(tc.succeedingThenComplete());
    }

    @Test
    @DisplayName("a client cannot cancel another client's work by sending its id")
    void no_cross_client_cancel(Vertx vertx, VertxTestContext tc) {
      List<JsonObject> notices = new ArrayList<>();
      vertx.eventBus().<JsonObject>consumer(Addresses.CANCEL, m -> notices.add(m.body()));
      Promise<String> victimId = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        if (msg.body().containsKey("victim")) {
          victimId.tryComplete(msg.headers().get(Headers.REQUEST_ID));
          vertx.setTimer(600, t -> msg.reply(new JsonObject().put("done", true)));
        } else {
          msg.reply(new JsonObject());
        }
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) -> {
        Future<RawClient.Exchange> victim = post(vertx, front, "", "{\"victim\":true}");
        return victimId.future().compose((String id) ->
          // the attacker sends the victim's id and goes away mid-request
          RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\n" + Headers.REQUEST_ID + ": " + id
            + "\r\nContent-Length: 2\r\n\r\n{}", 50).map(x -> id))
          .compose((String id) -> victim.map((RawClient.Exchange v) -> {
            tc.verify(() -> {
              assertThat(only(v).status()).isEqualTo(200);
              assertThat(only(v).json().getBoolean("done")).isTrue();
              assertThat(notices).noneMatch(n -> id.equals(n.getString("requestId")));
            });
            return null;
          }));
      }).onComplete(tc.succeedingThenComplete());
    }
  }

  @Nested
  @DisplayName("budget header")
  class Budget {

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"\u0663\u0660\u0660", "\uff13\uff10\uff10", "1e3", "0x10", "300ms", "1234567890123456789", "", " "})
    @DisplayName("not 1-18 ASCII digits: 400 naming the header (Arabic-Indic and full-width digits included)")
    void malformed(String value, Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> msg.reply(new JsonObject()));
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) -> {
        // header values are octets: send the UTF-8 bytes as a client would
        String header = new String((Headers.TIMEOUT_MS + ": " + value + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8),
          java.nio.charset.StandardCharsets.ISO_8859_1);
        return post(vertx, front, header, "{}");
      }).onComplete(tc.succeeding((RawClient.Exchange x) -> tc.verify(() -> {
        HttpText.Response r = only(x);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().getString("message")).startsWith("header loopkit-timeout-ms must be an integer number of milliseconds");
        tc.completeNow();
      })));
    }

    @Test
    @DisplayName("given twice: 400")
    void twice(Vertx vertx, VertxTestContext tc) {
      FrontFixture.deploy(vertx, FrontFixture.quick())
        .compose((HttpFrontVerticle front) -> post(vertx, front, Headers.TIMEOUT_MS + ": 100\r\n" + Headers.TIMEOUT_MS + ": 90000\r\n", "{}"))
        .onComplete(tc.succeeding((RawClient.Exchange x) -> tc.verify(() -> {
          assertThat(only(x).status()).isEqualTo(400);
          assertThat(only(x).json().getString("message")).contains("given 2 times");
          tc.completeNow();
        })));
    }
  }

  @Nested
  @DisplayName("POST /fetch with Accept: application/x-ndjson")
  class Ndjson {

    private Future<DemoUpstreamVerticle> upstream(Vertx vertx) {
      DemoUpstreamVerticle u = new DemoUpstreamVerticle();
      return vertx.deployVerticle(u, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0)))
        .map(id -> u);
    }

    record Line(long atMs, JsonObject json) {
    }

    record Stream(int status, String contentType, String transferEncoding, String requestId, List<Line> lines) {
    }

    private Future<Stream> stream(Vertx vertx, HttpFrontVerticle front, String body) {
      HttpClient client = vertx.createHttpClient();
      RequestOptions ro = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(front.actualPort())
        .setURI("/fetch").putHeader("accept", "application/x-ndjson");
      long t0 = System.nanoTime();
      return client.request(ro).compose(req -> req.send(body)).compose((HttpClientResponse resp) -> {
        Promise<Stream> done = Promise.promise();
        List<Line> lines = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        resp.handler(b -> {
          pending.append(b.toString());
          int nl;
          while ((nl = pending.indexOf("\n")) >= 0) {
            lines.add(new Line((System.nanoTime() - t0) / 1_000_000, new JsonObject(pending.substring(0, nl))));
            pending.delete(0, nl + 1);
          }
        });
        resp.endHandler(v -> done.complete(new Stream(resp.statusCode(), resp.getHeader("content-type"),
          resp.getHeader("transfer-encoding"), resp.getHeader(Headers.REQUEST_ID), lines)));
        resp.exceptionHandler(done::tryFail);
        return done.future();
      }).eventually(client::close);
    }

    @Test
    @DisplayName("one line per result as it completes, then the summary; the private progress consumer is released")
    void streams_results_as_they_complete(Vertx vertx, VertxTestContext tc) {
      upstream(vertx).compose((DemoUpstreamVerticle up) -> {
        FetchVerticle fetch = new FetchVerticle(new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort())));
        return vertx.deployVerticle(fetch).compose(id -> FrontFixture.deploy(vertx, FrontFixture.quick().setIdleTimeoutMs(5_000)))
          .compose((HttpFrontVerticle front) -> stream(vertx, front, new JsonObject().put("urls", new JsonArray()
            .add(up.baseUrl() + "/item/0?delay_ms=900")
            .add(up.baseUrl() + "/item/1?delay_ms=10")
            .add(up.baseUrl() + "/item/2?delay_ms=400")).encode()))
          .map((Stream s) -> {
            tc.verify(() -> {
              assertThat(s.status()).isEqualTo(200);
              assertThat(s.contentType()).isEqualTo("application/x-ndjson");
              assertThat(s.transferEncoding()).isEqualTo("chunked");
              assertThat(s.lines()).hasSize(4);
              assertThat(s.lines().subList(0, 3)).extracting(l -> l.json().getInteger("index")).containsExactly(1, 2, 0);
              assertThat(s.lines().subList(0, 3)).extracting(l -> l.json().getInteger("seq")).containsExactly(0, 1, 2);
              assertThat(s.lines().subList(0, 3)).allMatch(l -> s.requestId().equals(l.json().getString("requestId")));
              JsonObject summary = s.lines().get(3).json();
              assertThat(summary.getInteger("succeeded")).isEqualTo(3);
              assertThat(summary.containsKey("results")).isFalse();
              assertThat(s.lines().get(0).atMs()).as("the first line is written when its result completes")
                .isLessThan(s.lines().get(2).atMs() - 300);
            });
            return null;
          })
          .compose(v -> Released.eventually(vertx, 3_000, () -> LiveResources.of(vertx).get(LiveResources.CONSUMERS) == 0,
            () -> "consumers: " + LiveResources.of(vertx)));
      }).onComplete(tc.succeedingThenComplete());
    }

    @Test
    @DisplayName("the progress address is private: loopkit.progress.http.<128 random bits>, a new one per request")
    void progress_address_is_private(Vertx vertx, VertxTestContext tc) {
      List<String> addresses = new ArrayList<>();
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        addresses.add(msg.body().getString("progressAddress"));
        msg.reply(new JsonObject().put("results", new JsonArray()).put("succeeded", 0));
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) ->
        stream(vertx, front, "{\"urls\":[]}").compose((Stream a) -> stream(vertx, front, "{\"urls\":[]}").map((Stream b) -> {
          tc.verify(() -> {
            assertThat(addresses).hasSize(2).allMatch(a1 -> a1.matches("loopkit\\.progress\\.http\\.[A-Za-z0-9_-]{22}"));
            assertThat(addresses.get(0)).isNotEqualTo(addresses.get(1));
            assertThat(a.lines()).hasSize(1);
            assertThat(a.lines().get(0).json().getInteger("succeeded")).isZero();
          });
          return null;
        }))).onComplete(tc.succeedingThenComplete());
    }

    @Test
    @DisplayName("a failure before the first line keeps its status; after it, the stream ends with an error line")
    void failures(Vertx vertx, VertxTestContext tc) {
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        if (msg.body().getBoolean("early", false)) {
          msg.fail(403, "requests[0].url: host not allowed");
          return;
        }
        vertx.eventBus().publish(msg.body().getString("progressAddress"), new JsonObject().put("index", 0).put("ok", true));
        vertx.setTimer(50, t -> msg.fail(502, "requests[1]: upstream reset"));
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) ->
        RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\nAccept: application/x-ndjson\r\n"
          + "Content-Length: 14\r\n\r\n{\"early\":true}", 1_500).compose((RawClient.Exchange early) ->
          stream(vertx, front, "{\"early\":false}").map((Stream late) -> {
            tc.verify(() -> {
              HttpText.Response e = only(early);
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.header("content-type")).isEqualTo("application/json");
              assertThat(e.json().getString("error")).isEqualTo("FORBIDDEN");
              assertThat(late.status()).isEqualTo(200);
              assertThat(late.lines()).hasSize(2);
              assertThat(late.lines().get(0).json().getInteger("index")).isZero();
              assertThat(late.lines().get(1).json()).isEqualTo(new JsonObject().put("code", 502)
                .put("error", FailureCode.BAD_GATEWAY.name()).put("message", "requests[1]: upstream reset"));
            });
            return null;
          }))).compose(v -> Released.eventually(vertx, 3_000, () -> LiveResources.of(vertx).get(LiveResources.CONSUMERS) == 0,
            () -> "consumers: " + LiveResources.of(vertx)))
        .onComplete(tc.succeedingThenComplete());
    }

    @Test
    @DisplayName("a client gone mid-stream: the call is cancelled and the progress consumer released")
    void client_gone(Vertx vertx, VertxTestContext tc) {
      Promise<String> cancelled = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.CANCEL, m -> cancelled.tryComplete(m.body().getString("requestId")));
      Promise<String> started = Promise.promise();
      vertx.eventBus().<JsonObject>consumer(Addresses.FETCH, msg -> {
        vertx.eventBus().publish(msg.body().getString("progressAddress"), new JsonObject().put("index", 0).put("ok", true));
        started.tryComplete(msg.headers().get(Headers.REQUEST_ID));
        // never replies: only the client going away ends it
      });
      FrontFixture.deploy(vertx, FrontFixture.quick()).compose((HttpFrontVerticle front) -> {
        RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\nAccept: application/x-ndjson\r\n"
          + "Content-Length: 2\r\n\r\n{}", 300);
        return started.future().compose((String id) -> cancelled.future().map((String c) -> {
          tc.verify(() -> assertThat(c).isEqualTo(id));
          return front;
        }));
      }).compose((HttpFrontVerticle front) -> Released.eventually(vertx, 3_000, () -> LiveResources.of(vertx).get(LiveResources.CONSUMERS) == 0
          && front.openConnections() == 0, () -> "consumers: " + LiveResources.of(vertx) + " open=" + front.openConnections()))
        .onComplete(tc.succeedingThenComplete());
    }
  }
}
