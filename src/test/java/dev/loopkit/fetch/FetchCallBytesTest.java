package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.hostile.RawUpstream;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
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

import static dev.loopkit.fetch.ReplyAssert.assertItem;
import static dev.loopkit.fetch.ReplyAssert.assertOk;
import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
@DisplayName("maxCallBytes: a call keeps at most that many response bytes; items past it fail PAYLOAD_TOO_LARGE, the call still replies")
class FetchCallBytesTest {

  private DemoUpstreamVerticle up;
  private String base;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).onComplete(tc.succeeding(u -> {
      up = u;
      base = u.baseUrl();
      tc.completeNow();
    }));
  }

  private FetchEngine engine(Vertx vertx, long maxCallBytes) {
    return FetchEngine.create(vertx, Fixture.allowing(up).setMaxCallBytes(maxCallBytes));
  }

  private List<String> items(int n, String query) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      urls.add(base + "/item/" + i + "?" + query);
    }
    return urls;
  }

  @Test
  void declared_bodies_past_the_call_limit_fail_at_once_and_the_rest_keep_their_results(Vertx vertx, VertxTestContext tc) {
    // each 40 kB text body costs 80 kB (as received, and as the reply's text) plus its head: two fit in 200 kB
    FetchEngine engine = engine(vertx, 200_000);
    engine.fetch(FetchRequest.of(items(5, "bytes=40000&type=text")).concurrency(1)).map((FetchReply reply) -> {
      JsonArray rs = reply.toJson().getJsonArray("results");
      assertOk(rs.getJsonObject(0), 200);
      assertOk(rs.getJsonObject(1), 200);
      for (int i = 2; i < 5; i++) {
        assertItem(rs.getJsonObject(i), FetchErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(rs.getJsonObject(i).getJsonObject("error").getString("message"))
          .contains("content-length 40000", "maxCallBytes (200000", "without reading");
        assertThat(rs.getJsonObject(i).containsKey("text")).isFalse();
      }
      assertThat(reply.succeeded()).isEqualTo(2);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void streamed_bodies_are_counted_chunk_by_chunk_and_the_item_crossing_the_limit_is_reset(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = engine(vertx, 300_000);
    // chunked, no content-length: the limit can only be seen while reading
    engine.fetch(FetchRequest.of(items(6, "bytes=100000&type=text&chunked=true")).concurrency(6)).map((FetchReply reply) -> {
      long kept = 0;
      int tooLarge = 0;
      int resetMidBody = 0;
      for (FetchResult r : reply.results()) {
        if (r.ok()) {
          kept += 2L * r.body().length();
        } else {
          assertThat(r.error()).as(r.message()).isEqualTo(FetchErrorCode.PAYLOAD_TOO_LARGE);
          tooLarge++;
          if (r.message().contains("connection reset after")) {
            assertThat(r.message()).contains("the rest not read");
            resetMidBody++;
          }
        }
      }
      assertThat(kept).as("bodies kept by the call, as received and as reply text").isLessThanOrEqualTo(300_000);
      assertThat(reply.succeeded()).isLessThanOrEqualTo(1);
      assertThat(tooLarge).isEqualTo(6 - reply.succeeded());
      assertThat(resetMidBody).as("items that crossed the limit while streaming").isGreaterThanOrEqualTo(3);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void in_mode_all_the_first_item_past_the_limit_fails_the_call_413(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = engine(vertx, 100_000);
    engine.fetch(FetchRequest.of(items(3, "bytes=40000&type=text")).concurrency(1).mode(FetchMode.ALL)).transform((AsyncResult<FetchReply> ar) -> {
      assertThatFailure(ar.cause()).failedWith(FailureCode.PAYLOAD_TOO_LARGE).messageContains("requests[1]", "PAYLOAD_TOO_LARGE");
      return Future.<Void>succeededFuture();
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_json_body_is_charged_for_its_parsed_size_before_it_is_parsed(Vertx vertx, VertxTestContext tc) {
    // 30 kB of "[{},{},...]" becomes ~0.6 MB of maps once parsed: refused under a 200 kB call limit,
    // while the same bytes as text fit
    String bomb = "[" + "{},".repeat(10_000) + "{}]";
    Future<RawUpstream> json = RawUpstream.start(vertx, RawUpstream.write(RawUpstream.response(200, "OK", "application/json", bomb)));
    Future<RawUpstream> text = RawUpstream.start(vertx, RawUpstream.write(RawUpstream.response(200, "OK", "text/plain", bomb)));
    Future.all(json, text).compose(cf -> {
      FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setMaxCallBytes(200_000)
        .setAllowedHosts(List.of("127.0.0.1:" + json.result().port(), "127.0.0.1:" + text.result().port())));
      return engine.fetch(FetchRequest.of(json.result().base() + "/", text.result().base() + "/")).map((FetchReply reply) -> {
        FetchResult parsed = reply.results().get(0);
        assertThat(parsed.error()).as(parsed.message()).isEqualTo(FetchErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(parsed.message()).contains("JSON body of 30004 bytes", "not parsed");
        assertThat(reply.results().get(1).ok()).isTrue();
        assertThat(reply.results().get(1).text()).hasSize(30_004);
        return engine;
      });
    }).compose(engine -> engine.close())
      .compose(v -> Fixture.eventually(vertx, 3_000, () -> json.result().open() + text.result().open() == 0,
        () -> "raw upstreams still open: " + json.result().open() + text.result().open()))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void the_worst_single_call_is_bounded_and_still_answered(Vertx vertx, VertxTestContext tc) {
    // 400 items, each a 256 KiB streamed body, under a 2 MiB call limit: each kept body costs 512 KiB (as
    // received and as the reply's text), so at most 3 are kept; the others fail PAYLOAD_TOO_LARGE; the
    // encoded reply stays below the limit
    long limit = 2L * 1024 * 1024;
    FetchEngine engine = engine(vertx, limit);
    engine.fetch(FetchRequest.of(items(400, "bytes=262144&type=text&chunked=true"))).map((FetchReply reply) -> {
      long kept = reply.results().stream().filter(FetchResult::ok).mapToLong(r -> r.body().length()).sum();
      long tooLarge = reply.results().stream().filter(r -> r.error() == FetchErrorCode.PAYLOAD_TOO_LARGE).count();
      assertThat(kept).isLessThanOrEqualTo(limit);
      assertThat(reply.succeeded()).isBetween(1, 4);
      assertThat(tooLarge).isEqualTo(400 - reply.succeeded());
      int encoded = reply.toJson().toBuffer().length();
      System.out.println("worst call: " + reply.succeeded() + " kept (" + kept + " bytes), " + tooLarge
        + " PAYLOAD_TOO_LARGE, reply " + encoded + " bytes encoded");
      assertThat((long) encoded).isLessThan(limit);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void response_heads_count_too(Vertx vertx, VertxTestContext tc) {
    // a head with 90 headers of 60 bytes costs 90 * (60 + 128) bytes: two of them do not fit in 20 kB
    StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n");
    for (int i = 0; i < 90; i++) {
      head.append("x-h").append(i).append(": ").append("v".repeat(50)).append("\r\n");
    }
    head.append("\r\n");
    RawUpstream.start(vertx, RawUpstream.write(head.toString())).compose(raw -> {
      FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setMaxCallBytes(20_000)
        .setAllowedHosts(List.of("127.0.0.1:" + raw.port())));
      return engine.fetch(FetchRequest.of(raw.base() + "/a", raw.base() + "/b").concurrency(1)).map((FetchReply reply) -> {
        assertThat(reply.results().get(0).ok()).isTrue();
        FetchResult second = reply.results().get(1);
        assertThat(second.error()).as(second.message()).isEqualTo(FetchErrorCode.PAYLOAD_TOO_LARGE);
        assertThat(second.message()).contains("response head");
        return engine;
      }).compose(e -> e.close()).compose(v -> Fixture.eventually(vertx, 3_000, () -> raw.open() == 0, () -> "open " + raw.open()));
    }).onComplete(tc.succeedingThenComplete());
  }
}
