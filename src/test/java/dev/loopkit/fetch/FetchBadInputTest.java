package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("bad-input catalog: every malformed request is answered 400/403 naming the field, and the verticle keeps serving")
class FetchBadInputTest {

  private DemoUpstreamVerticle up;
  private FetchVerticle verticle;
  private String ok;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose(u -> {
      up = u;
      ok = u.baseUrl() + "/item/1";
      verticle = new FetchVerticle(Fixture.allowing(u).setMaxRequestsPerCall(5));
      return vertx.deployVerticle(verticle);
    }).onComplete(tc.succeedingThenComplete());
  }

  private record Case(String name, Object body, String budgetHeader, FailureCode code, String field) {
  }

  private List<Case> catalog() {
    String port = Integer.toString(up.actualPort());
    List<Case> c = new ArrayList<>();
    c.add(new Case("non-JSON body", "hello, fetch", null, FailureCode.BAD_REQUEST, "body"));
    c.add(new Case("JSON array body", new JsonArray().add(ok), null, FailureCode.BAD_REQUEST, "body"));
    c.add(new Case("no body", null, null, FailureCode.BAD_REQUEST, "body"));
    c.add(new Case("neither urls nor requests", new JsonObject(), null, FailureCode.BAD_REQUEST, "requests"));
    c.add(new Case("urls not a list", new JsonObject().put("urls", ok), null, FailureCode.BAD_REQUEST, "urls"));
    c.add(new Case("url not a string", urls(7), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("both urls and requests", urls(ok).put("requests", new JsonArray()), null, FailureCode.BAD_REQUEST, "urls"));
    c.add(new Case("requests not a list", new JsonObject().put("requests", new JsonObject()), null, FailureCode.BAD_REQUEST, "requests"));
    c.add(new Case("request not an object", new JsonObject().put("requests", new JsonArray().add(ok)), null, FailureCode.BAD_REQUEST, "requests[0]"));
    c.add(new Case("missing url", requests(new JsonObject().put("method", "GET")), null, FailureCode.BAD_REQUEST, "requests[0].url"));
    c.add(new Case("url of wrong type", requests(new JsonObject().put("url", 5)), null, FailureCode.BAD_REQUEST, "requests[0].url"));
    c.add(new Case("empty url", urls(""), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("invalid URL syntax", urls("http://127.0.0.1:" + port + "/a b"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("relative URL", urls("/item/1"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("unsupported scheme ftp", urls("ftp://127.0.0.1:" + port + "/x"), null, FailureCode.BAD_REQUEST, "unsupported scheme"));
    c.add(new Case("unsupported scheme file", urls("file:///etc/passwd"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("credentials in URL", urls("http://u:p@127.0.0.1:" + port + "/"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("port out of range", urls("http://127.0.0.1:99999/"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("no host", urls("http:///item/1"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("decimal IP trick", urls("http://2130706433:" + port + "/"), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("URL too long", urls(ok + "?q=" + "x".repeat(9000)), null, FailureCode.BAD_REQUEST, "urls[0]"));
    c.add(new Case("unknown method", requests(new JsonObject().put("url", ok).put("method", "BREW")), null, FailureCode.BAD_REQUEST, "requests[0].method"));
    c.add(new Case("method of wrong type", requests(new JsonObject().put("url", ok).put("method", 7)), null, FailureCode.BAD_REQUEST, "requests[0].method"));
    c.add(new Case("headers not an object", requests(new JsonObject().put("url", ok).put("headers", "a: b")), null, FailureCode.BAD_REQUEST, "requests[0].headers"));
    c.add(new Case("header value not a string", requests(new JsonObject().put("url", ok).put("headers", new JsonObject().put("x-n", 1))), null, FailureCode.BAD_REQUEST, "requests[0].headers.x-n"));
    c.add(new Case("header name invalid", requests(new JsonObject().put("url", ok).put("headers", new JsonObject().put("bad name", "v"))), null, FailureCode.BAD_REQUEST, "requests[0].headers"));
    c.add(new Case("header injection", requests(new JsonObject().put("url", ok).put("headers", new JsonObject().put("x-inject", "a\r\nhost: evil"))), null, FailureCode.BAD_REQUEST, "requests[0].headers.x-inject"));
    c.add(new Case("reserved header", requests(new JsonObject().put("url", ok).put("headers", new JsonObject().put("Host", "evil"))), null, FailureCode.BAD_REQUEST, "requests[0].headers.Host"));
    c.add(new Case("body of wrong type", requests(new JsonObject().put("url", ok).put("method", "POST").put("body", 42)), null, FailureCode.BAD_REQUEST, "requests[0].body"));
    c.add(new Case("GET with a body", requests(new JsonObject().put("url", ok).put("body", "x")), null, FailureCode.BAD_REQUEST, "requests[0].body"));
    c.add(new Case("negative timeout", urls(ok).put("timeoutMs", -1), null, FailureCode.BAD_REQUEST, "timeoutMs"));
    c.add(new Case("zero timeout", urls(ok).put("timeoutMs", 0), null, FailureCode.BAD_REQUEST, "timeoutMs"));
    c.add(new Case("timeout as a string", urls(ok).put("timeoutMs", "100"), null, FailureCode.BAD_REQUEST, "timeoutMs"));
    c.add(new Case("fractional timeout", urls(ok).put("timeoutMs", 1.5), null, FailureCode.BAD_REQUEST, "timeoutMs"));
    c.add(new Case("NaN timeout", urls(ok).put("timeoutMs", Double.NaN), null, FailureCode.BAD_REQUEST, "timeoutMs"));
    c.add(new Case("huge timeout", urls(ok).put("timeoutMs", 1_000_000_000_000L), null, FailureCode.BAD_REQUEST, "maxTimeoutMs"));
    c.add(new Case("negative request timeout", requests(new JsonObject().put("url", ok).put("timeoutMs", -5)), null, FailureCode.BAD_REQUEST, "requests[0].timeoutMs"));
    c.add(new Case("unknown mode", urls(ok).put("mode", "sometimes"), null, FailureCode.BAD_REQUEST, "mode"));
    c.add(new Case("mode of wrong type", urls(ok).put("mode", 3), null, FailureCode.BAD_REQUEST, "mode"));
    c.add(new Case("quorum mode without quorum", urls(ok).put("mode", "quorum"), null, FailureCode.BAD_REQUEST, "quorum"));
    c.add(new Case("quorum larger than n", urls(ok, ok).put("mode", "quorum").put("quorum", 3), null, FailureCode.BAD_REQUEST, "quorum"));
    c.add(new Case("quorum zero", urls(ok).put("mode", "quorum").put("quorum", 0), null, FailureCode.BAD_REQUEST, "quorum"));
    c.add(new Case("quorum with mode all", urls(ok).put("mode", "all").put("quorum", 1), null, FailureCode.BAD_REQUEST, "quorum"));
    c.add(new Case("zero concurrency", urls(ok).put("concurrency", 0), null, FailureCode.BAD_REQUEST, "concurrency"));
    c.add(new Case("concurrency of wrong type", urls(ok).put("concurrency", "many"), null, FailureCode.BAD_REQUEST, "concurrency"));
    c.add(new Case("too many requests", urls(ok, ok, ok, ok, ok, ok), null, FailureCode.BAD_REQUEST, "maxRequestsPerCall"));
    c.add(new Case("unknown key", urls(ok).put("timeout", 100), null, FailureCode.BAD_REQUEST, "did you mean 'timeoutMs'"));
    c.add(new Case("unknown request key", requests(new JsonObject().put("url", ok).put("methd", "GET")), null, FailureCode.BAD_REQUEST, "requests[0].methd"));
    c.add(new Case("empty progress address", urls(ok).put("progressAddress", ""), null, FailureCode.BAD_REQUEST, "progressAddress"));
    c.add(new Case("progress address of wrong type", urls(ok).put("progressAddress", 5), null, FailureCode.BAD_REQUEST, "progressAddress"));
    c.add(new Case("budget header not a number", urls(ok), "soon", FailureCode.BAD_REQUEST, Headers.TIMEOUT_MS));
    c.add(new Case("host outside the allowlist", urls("http://127.0.0.2:" + port + "/item/1"), null, FailureCode.FORBIDDEN, "urls[0]"));
    c.add(new Case("port outside the allowlist", urls("http://127.0.0.1:1/item/1"), null, FailureCode.FORBIDDEN, "not in allowedHosts"));
    c.add(new Case("host name outside the allowlist", urls("http://metadata.google.internal/computeMetadata/v1/"), null, FailureCode.FORBIDDEN, "urls[0]"));
    c.add(new Case("cloud metadata address", urls("http://169.254.169.254/latest/meta-data/"), null, FailureCode.FORBIDDEN, "urls[0]"));
    c.add(new Case("forbidden host among good ones", urls(ok, "http://[::1]:" + port + "/"), null, FailureCode.FORBIDDEN, "urls[1]"));
    return c;
  }

  private static JsonObject urls(Object... urls) {
    JsonArray a = new JsonArray();
    for (Object u : urls) {
      a.add(u);
    }
    return new JsonObject().put("urls", a);
  }

  private static JsonObject requests(JsonObject... rs) {
    JsonArray a = new JsonArray();
    for (JsonObject r : rs) {
      a.add(r);
    }
    return new JsonObject().put("requests", a);
  }

  @Test
  void every_malformed_request_is_refused_with_its_field_and_the_verticle_keeps_serving(Vertx vertx, VertxTestContext tc) {
    List<Case> cases = catalog();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(30);
    List<String> problems = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (Case c : cases) {
      chain = chain.compose(v -> {
        DeliveryOptions d = new DeliveryOptions().setSendTimeout(5_000);
        if (c.budgetHeader() != null) {
          d.addHeader(Headers.TIMEOUT_MS, c.budgetHeader());
        }
        return vertx.eventBus().request(FetchOptions.DEFAULT_ADDRESS, c.body(), d).transform(ar -> {
          System.out.println(c.name() + " -> " + (ar.succeeded() ? "OK" : ((ReplyException) ar.cause()).failureCode() + " " + ar.cause().getMessage()));
          if (ar.succeeded()) {
            problems.add(c.name() + ": answered " + ar.result().body());
          } else if (!(ar.cause() instanceof ReplyException)
            || ((ReplyException) ar.cause()).failureType() != ReplyFailure.RECIPIENT_FAILURE
            || ((ReplyException) ar.cause()).failureCode() != c.code().code()) {
            problems.add(c.name() + ": expected " + c.code().code() + " but got " + ar.cause());
          } else if (!ar.cause().getMessage().contains(c.field())) {
            problems.add(c.name() + ": message does not name '" + c.field() + "': " + ar.cause().getMessage());
          }
          return Future.<Void>succeededFuture();
        });
      });
    }
    chain.compose(v -> vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, urls(ok, ok)))
      .map(Message::body)
      .map(reply -> {
        assertThat(problems).as("cases answered wrongly").isEmpty();
        assertThat(reply.getInteger("succeeded")).as("still serving after the catalog").isEqualTo(2);
        assertThat(up.connectionsAccepted()).as("no malformed request reached the upstream").isLessThanOrEqualTo(2);
        return reply;
      })
      .compose(r -> Fixture.released(vertx, verticle.engine(), up))
      .onComplete(tc.succeedingThenComplete());
  }
}
