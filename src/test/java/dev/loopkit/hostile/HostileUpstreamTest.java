package dev.loopkit.hostile;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.hostile.FetchCaseRunner.Case;
import dev.loopkit.hostile.FetchCaseRunner.Expect;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
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

import static dev.loopkit.hostile.RawUpstream.response;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile upstreams behind {@code loopkit.fetch}, each a raw TCP server writing exact bytes: malformed
 * status lines, interim-response storms, oversized heads, endless and dripping bodies, resets, redirect
 * loops and redirects to forbidden hosts, JSON bombs. The caller gets exactly one reply with a stable
 * item code within its deadline, and nothing is left behind (connections included).
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 180, timeUnit = TimeUnit.SECONDS)
@DisplayName("hostile upstreams behind loopkit.fetch: one reply, a stable code, in time, nothing leaked")
class HostileUpstreamTest {

  private static final String OK = response(200, "OK", "text/plain", "fine");

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

  /** One GET of {@code path} on the hostile upstream, bounded by {@code timeoutMs}. */
  private static Function<String, JsonObject> get(String path, long timeoutMs) {
    return base -> new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("url", base + path).put("timeoutMs", timeoutMs)));
  }

  private static Function<String, JsonObject> get() {
    return get("/x", 3_000);
  }

  private static Case fault(String name, RawUpstream.Script script, FetchErrorCode code) {
    return new Case(name, script, get(), null, Expect.item(code), 4_000);
  }

  private static Case fine(String name, RawUpstream.Script script) {
    return new Case(name, script, get(), null, Expect.ok(200), 4_000);
  }

  private List<Case> cases() {
    FetchErrorCode invalid = FetchErrorCode.INVALID_RESPONSE;
    StringBuilder manyHeaders = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n");
    for (int i = 0; i < 150; i++) {
      manyHeaders.append("x-").append(i).append(": v\r\n");
    }
    manyHeaders.append("\r\n");
    String bomb = "[" + "{},".repeat(20_000) + "{}]";
    List<Case> c = new ArrayList<>();
    // interim responses
    c.add(fine("102 then 200", RawUpstream.write("HTTP/1.1 102 Processing\r\n\r\n" + OK)));
    c.add(fine("100, 102, 103, 199 then 200", RawUpstream.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
      + "HTTP/1.1 103 Early Hints\r\nlink: </a.css>\r\n\r\nHTTP/1.1 199 Misc\r\n\r\n" + OK)));
    c.add(fault("storm of 30 interim responses", RawUpstream.write("HTTP/1.1 102 Processing\r\n\r\n".repeat(30) + OK), invalid));
    c.add(fault("endless drip of 102s", RawUpstream.forever("", "HTTP/1.1 102 Processing\r\n\r\n", 10), invalid));
    c.add(fault("unsolicited 101", RawUpstream.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n" + OK), invalid));
    c.add(fault("interim then close", RawUpstream.writeAndClose("HTTP/1.1 102 Processing\r\n\r\n"), FetchErrorCode.CONNECTION_RESET));
    // malformed heads
    c.add(fault("status 2x0", RawUpstream.write("HTTP/1.1 2x0 OK\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("garbage instead of a status line", RawUpstream.write("hello there\r\n\r\n"), invalid));
    c.add(fault("status 99999", RawUpstream.write("HTTP/1.1 99999 Big\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("status 000", RawUpstream.write("HTTP/1.1 000 Zero\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("version HTTP/2.0", RawUpstream.write("HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("head over 8 KiB", RawUpstream.write("HTTP/1.1 200 OK\r\nx-big: " + "b".repeat(9_000) + "\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("150 header fields", RawUpstream.write(manyHeaders.toString()), invalid));
    c.add(fault("status line of 5000 characters", RawUpstream.write("HTTP/1.1 200 " + "O".repeat(5_000) + "\r\ncontent-length: 0\r\n\r\n"), invalid));
    c.add(fault("two different content-lengths", RawUpstream.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\nhello"), invalid));
    c.add(fault("bad chunk size", RawUpstream.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"), invalid));
    // bodies
    c.add(fault("endless chunked body", RawUpstream.forever("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
      "400\r\n" + "x".repeat(1024) + "\r\n", 1), FetchErrorCode.BODY_TOO_LARGE));
    c.add(fault("content-length of 10 GB", RawUpstream.write("HTTP/1.1 200 OK\r\ncontent-length: 10000000000\r\n\r\nxx"), FetchErrorCode.BODY_TOO_LARGE));
    c.add(new Case("bodies past maxCallBytes", RawUpstream.write(response(200, "OK", "text/plain", "y".repeat(60_000))), base -> {
      JsonArray urls = new JsonArray();
      for (int i = 0; i < 6; i++) {
        urls.add(base + "/x" + i);
      }
      return new JsonObject().put("urls", urls).put("concurrency", 1);
    }, null, Expect.item(2, FetchErrorCode.PAYLOAD_TOO_LARGE), 4_000));
    c.add(fault("JSON bomb past maxCallBytes", RawUpstream.write(response(200, "OK", "application/json", bomb)), FetchErrorCode.PAYLOAD_TOO_LARGE));
    c.add(fault("JSON content type, not JSON", RawUpstream.write(response(200, "OK", "application/json", "{nope")), FetchErrorCode.INVALID_BODY));
    c.add(new Case("slow drip of the body", RawUpstream.drip("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + "z".repeat(1000), 5),
      get("/x", 400), null, Expect.item(FetchErrorCode.TIMEOUT), 2_500));
    c.add(new Case("slow drip of the head", RawUpstream.drip("HTTP/1.1 200 OK\r\n" + "x-slow: 1\r\n".repeat(100), 20),
      get("/x", 400), null, Expect.item(FetchErrorCode.TIMEOUT), 2_500));
    c.add(new Case("never answers", RawUpstream.hang(), get("/x", 300), null, Expect.item(FetchErrorCode.TIMEOUT), 2_500));
    c.add(fault("reset mid-body", RawUpstream.writeAndClose("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + "x".repeat(100)),
      FetchErrorCode.CONNECTION_RESET));
    c.add(fault("reset before any response", RawUpstream.writeAndClose(""), FetchErrorCode.CONNECTION_RESET));
    c.add(fine("HTTP/1.0 body until close", RawUpstream.graceful(RawUpstream.writeAndClose("HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close"))));
    c.add(fine("a second response nobody asked for", RawUpstream.write(OK + OK)));
    // redirects
    c.add(fault("redirect loop", (v, so, head) -> so.write(RawUpstream.latin1("HTTP/1.1 302 Found\r\nlocation: /x\r\ncontent-length: 0\r\n\r\n")),
      FetchErrorCode.TOO_MANY_REDIRECTS));
    c.add(fault("redirect to a forbidden host", RawUpstream.write("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:8081/\r\ncontent-length: 0\r\n\r\n"),
      FetchErrorCode.FORBIDDEN_HOST));
    c.add(fault("redirect to cloud metadata", RawUpstream.write("HTTP/1.1 307 Temporary Redirect\r\nlocation: http://169.254.169.254/latest/meta-data/\r\ncontent-length: 0\r\n\r\n"),
      FetchErrorCode.FORBIDDEN_HOST));
    c.add(fault("redirect to file:", RawUpstream.write("HTTP/1.1 302 Found\r\nlocation: file:///etc/passwd\r\ncontent-length: 0\r\n\r\n"),
      FetchErrorCode.INVALID_URL));
    c.add(fault("redirect to an 8 kB location", RawUpstream.write("HTTP/1.1 302 Found\r\nlocation: /" + "%zz".repeat(2_000)
      + "\r\ncontent-length: 0\r\n\r\n"), FetchErrorCode.INVALID_URL));
    c.add(new Case("redirect to an alias spelling of itself",
      (v, so, head) -> {
        String port = head.replaceAll("(?s).*\r\n[Hh]ost: [^:\r\n]*:(\\d+).*", "$1");
        so.write(RawUpstream.latin1(head.startsWith("GET /x ")
          ? "HTTP/1.1 302 Found\r\nlocation: http://[::ffff:7f00:1]:" + port + "/final\r\ncontent-length: 0\r\n\r\n" : OK));
      }, get(), null, Expect.ok(200), 4_000));
    // mode all: the hostile item decides the call
    c.add(new Case("mode all with a malformed item", RawUpstream.write("HTTP/1.1 2x0 OK\r\n\r\n"),
      base -> get().apply(base).put("mode", "all"), null, Expect.fails(FailureCode.BAD_GATEWAY, "INVALID_RESPONSE"), 4_000));
    return c;
  }

  @Test
  void every_hostile_upstream_gets_one_reply_with_a_stable_code_in_time_and_leaks_nothing(Vertx vertx, VertxTestContext tc) {
    List<Case> cases = cases();
    assertThat(cases.stream().map(Case::name).distinct().count()).isEqualTo(cases.size()).isGreaterThanOrEqualTo(35);
    new FetchCaseRunner(vertx, FetchOptions.DEFAULT_ADDRESS, verticle.engine(), demo).run(cases)
      .onComplete(tc.succeeding(problems -> tc.verify(() -> {
        assertThat(problems).isEmpty();
        tc.completeNow();
      })));
  }
}
