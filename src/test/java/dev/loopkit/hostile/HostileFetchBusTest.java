package dev.loopkit.hostile;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.hostile.FetchCaseRunner.Case;
import dev.loopkit.hostile.FetchCaseRunner.Expect;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
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
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile inputs over the event bus to {@code loopkit.fetch}: reserved and foreign progress addresses,
 * non-ASCII budget digits, alias spellings of hosts, oversized and control-character values, wrong types.
 * Each gets exactly one reply with a stable code within its deadline, and nothing is left behind.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, timeUnit = TimeUnit.SECONDS)
@DisplayName("hostile bus inputs to loopkit.fetch: one reply, a stable code, in time, nothing leaked")
class HostileFetchBusTest {

  private DemoUpstreamVerticle demo;
  private FetchVerticle verticle;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    demo = new DemoUpstreamVerticle();
    vertx.deployVerticle(demo, new DeploymentOptions().setConfig(new JsonObject().put("port", 0)))
      .compose(id -> {
        verticle = new FetchVerticle(FetchCaseRunner.options());
        return vertx.deployVerticle(verticle);
      })
      .onComplete(tc.succeedingThenComplete());
  }

  private static Function<String, JsonObject> urls(String... paths) {
    return base -> {
      JsonArray a = new JsonArray();
      for (String p : paths) {
        a.add(p.startsWith("http") || p.startsWith("ftp") ? p : base + p);
      }
      return new JsonObject().put("urls", a);
    };
  }

  private static Function<String, JsonObject> with(Function<String, JsonObject> base, String key, Object value) {
    return b -> base.apply(b).put(key, value);
  }

  private static Function<String, JsonObject> fixed(Object body) {
    return b -> body instanceof JsonObject ? (JsonObject) body : null;
  }

  private static DeliveryOptions header(String name, String value) {
    return new DeliveryOptions().addHeader(name, value);
  }

  private Function<String, JsonObject> onPort(String host, String path) {
    return b -> new JsonObject().put("urls", new JsonArray().add("http://" + host + ":" + demo.actualPort() + path));
  }

  private List<Case> cases() {
    Function<String, JsonObject> ok = urls("/item/1");
    FailureCode bad = FailureCode.BAD_REQUEST;
    List<Case> c = new ArrayList<>();
    // progress addresses
    c.add(new Case("progress __vertx.reply", null, with(ok, "progressAddress", "__vertx.reply.1"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress loopkit.cancel", null, with(ok, "progressAddress", "loopkit.cancel"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress loopkit.fetch", null, with(ok, "progressAddress", "loopkit.fetch"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress loopkit.blocking.report", null, with(ok, "progressAddress", "loopkit.blocking.report"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress outside the prefix", null, with(ok, "progressAddress", "evil.sink"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress equal to the prefix", null, with(ok, "progressAddress", "loopkit.progress."), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress with CR LF", null, with(ok, "progressAddress", "loopkit.progress.a\r\nb"), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress of 10k characters", null, with(ok, "progressAddress", "loopkit.progress." + "p".repeat(10_000)), null, Expect.fails(bad, "progressAddress"), 3_000));
    c.add(new Case("progress as an array", null, with(ok, "progressAddress", new JsonArray().add("loopkit.progress.x")), null, Expect.fails(bad, "progressAddress"), 3_000));
    // budget header
    c.add(new Case("budget in Arabic-Indic digits", null, ok, header(Headers.TIMEOUT_MS, "\u0665\u0660\u0660"), Expect.fails(bad, Headers.TIMEOUT_MS), 3_000));
    c.add(new Case("budget in full-width digits", null, ok, header(Headers.TIMEOUT_MS, "\uff15\uff10\uff10"), Expect.fails(bad, Headers.TIMEOUT_MS), 3_000));
    c.add(new Case("budget of 100k characters", null, ok, header(Headers.TIMEOUT_MS, "9".repeat(100_000)), Expect.fails(bad, Headers.TIMEOUT_MS), 3_000));
    c.add(new Case("budget in exponent form", null, ok, header(Headers.TIMEOUT_MS, "1e3"), Expect.fails(bad, Headers.TIMEOUT_MS), 3_000));
    c.add(new Case("budget with CR LF", null, ok, header(Headers.TIMEOUT_MS, "500\r\nx: y"), Expect.fails(bad, Headers.TIMEOUT_MS), 3_000));
    c.add(new Case("budget spent", null, ok, header(Headers.TIMEOUT_MS, "-5"), Expect.fails(FailureCode.TIMEOUT, "spent"), 3_000));
    // host spellings
    c.add(new Case("alias 127.1", null, onPort("127.1", "/item/1"), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("alias 2130706433", null, onPort("2130706433", "/item/1"), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("alias 0x7f.0.0.1", null, onPort("0x7f.0.0.1", "/item/1"), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("alias 0177.0.0.1", null, onPort("0177.0.0.1", "/item/1"), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("forbidden 127.0.0.2", null, onPort("127.0.0.2", "/item/1"), null, Expect.fails(FailureCode.FORBIDDEN, "urls[0]"), 3_000));
    c.add(new Case("alias [::ffff:7f00:1] accepted", null, onPort("[::ffff:7f00:1]", "/item/1"), null, Expect.ok(200), 3_000));
    c.add(new Case("alias 127.00.000.001 accepted", null, onPort("127.00.000.001", "/item/1"), null, Expect.ok(200), 3_000));
    // oversized and control-character values
    c.add(new Case("URL of 1 MB", null, urls("/item/1?q=" + "x".repeat(1_000_000)), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("URL with raw CR LF", null, urls("/item/1\r\nhost: evil"), null, Expect.fails(bad, "urls[0]"), 3_000));
    c.add(new Case("header name of 100k characters", null, b -> new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("url", b + "/item/1").put("headers", new JsonObject().put("x\n".repeat(50_000), "v")))), null,
      Expect.fails(bad, "requests[0].headers"), 3_000));
    c.add(new Case("header value with NUL", null, b -> new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("url", b + "/item/1").put("headers", new JsonObject().put("x-a", "v\0w")))), null,
      Expect.fails(bad, "requests[0].headers.x-a"), 3_000));
    c.add(new Case("method with CR LF", null, b -> new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("url", b + "/item/1").put("method", "GET\r\nX: y"))), null, Expect.fails(bad, "requests[0].method"), 3_000));
    c.add(new Case("unknown key of 10k control characters", null, with(ok, "\u0001\r\n".repeat(3_400), 1), null, Expect.fails(bad, "\\u0001\\r\\n"), 3_000));
    // wrong types and shapes
    c.add(new Case("urls as a number", null, fixed(new JsonObject().put("urls", 42)), null, Expect.fails(bad, "urls"), 3_000));
    c.add(new Case("timeoutMs as a string", null, with(ok, "timeoutMs", "500"), null, Expect.fails(bad, "timeoutMs"), 3_000));
    c.add(new Case("mode as an array", null, with(ok, "mode", new JsonArray().add("all")), null, Expect.fails(bad, "mode"), 3_000));
    c.add(new Case("quorum of zero", null, with(with(ok, "mode", "quorum"), "quorum", 0), null, Expect.fails(bad, "quorum"), 3_000));
    c.add(new Case("body null", null, fixed(null), null, Expect.fails(bad, "body"), 3_000));
    c.add(new Case("too many requests", null, b -> {
      JsonArray a = new JsonArray();
      for (int i = 0; i < 51; i++) {
        a.add(b + "/item/" + i);
      }
      return new JsonObject().put("urls", a);
    }, null, Expect.fails(bad, "maxRequestsPerCall"), 3_000));
    c.add(new Case("requests nested 200 deep", null, b -> {
      JsonObject deep = new JsonObject().put("url", b + "/item/1");
      for (int i = 0; i < 200; i++) {
        deep = new JsonObject().put("url", deep);
      }
      return new JsonObject().put("requests", new JsonArray().add(deep));
    }, null, Expect.fails(bad, "requests[0].url"), 3_000));
    // request ids
    c.add(new Case("request id of 100k characters", null, ok, header(Headers.REQUEST_ID, "r".repeat(100_000)), Expect.ok(200), 3_000));
    return c;
  }

  @Test
  void every_hostile_input_gets_one_reply_with_a_stable_code_in_time_and_leaks_nothing(Vertx vertx, VertxTestContext tc) {
    List<Case> cases = cases();
    assertThat(cases.stream().map(Case::name).distinct().count()).isEqualTo(cases.size()).isGreaterThanOrEqualTo(35);
    new FetchCaseRunner(vertx, FetchOptions.DEFAULT_ADDRESS, verticle.engine(), demo).run(cases)
      .onComplete(tc.succeeding(problems -> tc.verify(() -> {
        assertThat(problems).isEmpty();
        tc.completeNow();
      })));
  }

  @Test
  void non_json_bodies_get_one_reply_too(Vertx vertx, VertxTestContext tc) {
    List<String> problems = new ArrayList<>();
    List<Object> bodies = List.of("a string", 42, new JsonArray().add(1), true);
    io.vertx.core.Future<Void> chain = io.vertx.core.Future.succeededFuture();
    for (Object body : bodies) {
      chain = chain.compose(v -> vertx.eventBus().request(FetchOptions.DEFAULT_ADDRESS, body).transform(ar -> {
        if (ar.succeeded() || !(ar.cause() instanceof io.vertx.core.eventbus.ReplyException)
          || ((io.vertx.core.eventbus.ReplyException) ar.cause()).failureCode() != 400) {
          problems.add(body + " -> " + (ar.succeeded() ? "reply" : ar.cause()));
        }
        return io.vertx.core.Future.<Void>succeededFuture();
      }));
    }
    chain.compose(v -> Released.counters(vertx, 3_000)).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(problems).isEmpty();
      tc.completeNow();
    })));
  }
}
