package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
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

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.loopkit.fetch.ReplyAssert.assertItem;
import static dev.loopkit.fetch.ReplyAssert.assertOk;
import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("fetch modes: all, settled, any, race, quorum — losers cancelled, nothing left behind")
class FetchModesTest {

  private DemoUpstreamVerticle up;
  private FetchEngine engine;
  private String base;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).onComplete(tc.succeeding(u -> {
      up = u;
      base = u.baseUrl();
      engine = FetchEngine.create(vertx, Fixture.allowing(u));
      tc.completeNow();
    }));
  }

  private String item(int n, String query) {
    return base + "/item/" + n + (query.isEmpty() ? "" : "?" + query);
  }

  private Future<Void> clean(Vertx vertx) {
    return Fixture.releasedAndClosed(vertx, engine, up);
  }

  @Test
  void all_returns_every_result_in_input_order(Vertx vertx, VertxTestContext tc) {
    List<String> urls = IntStream.range(0, 6).mapToObj(i -> item(i, "delay_ms=" + (60 - i * 10))).toList();
    engine.fetch(FetchRequest.of(urls).mode(FetchMode.ALL)).map((FetchReply reply) -> {
      JsonObject json = reply.toJson();
      assertThat(json.getInteger("succeeded")).isEqualTo(6);
      assertThat(json.getInteger("failed")).isZero();
      JsonArray results = json.getJsonArray("results");
      for (int i = 0; i < 6; i++) {
        JsonObject r = results.getJsonObject(i);
        assertOk(r, 200);
        assertThat(r.getInteger("index")).isEqualTo(i);
        assertThat(r.getJsonObject("json").getInteger("id")).isEqualTo(i);
        assertThat(r.getJsonObject("headers").getString("content-type")).isEqualTo("application/json");
        assertThat(r.getDouble("elapsedMs")).isGreaterThan(0.0);
      }
      return reply;
    }).compose(r -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void all_fails_fast_on_the_first_failure_and_resets_the_rest(Vertx vertx, VertxTestContext tc) {
    long t0 = System.nanoTime();
    FetchRequest req = FetchRequest.of(item(0, ""), item(1, "status=500&delay_ms=50"), item(2, "fault=hang"), item(3, "fault=hang"))
      .mode(FetchMode.ALL).timeoutMs(10_000);
    engine.fetch(req).transform((AsyncResult<FetchReply> ar) -> {
      assertThat(ar.failed()).as("mode all with a 500 must fail").isTrue();
      assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_GATEWAY).messageContains("requests[1]", "HTTP_STATUS", "500");
      assertThat((System.nanoTime() - t0) / 1_000_000).as("fail fast, not at the deadline").isLessThan(5_000);
      return Future.<Void>succeededFuture();
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void settled_keeps_finished_results_and_marks_the_rest_deadline_exceeded(Vertx vertx, VertxTestContext tc) {
    long t0 = System.nanoTime();
    FetchRequest req = FetchRequest.of(item(0, ""), item(1, "status=404"), item(2, "delay_ms=5000"), item(3, "fault=hang"))
      .timeoutMs(400);
    engine.fetch(req).map((FetchReply reply) -> {
      assertThat((System.nanoTime() - t0) / 1_000_000).as("replied at the deadline").isBetween(350L, 3_000L);
      JsonObject json = reply.toJson();
      JsonArray rs = json.getJsonArray("results");
      assertOk(rs.getJsonObject(0), 200);
      assertItem(rs.getJsonObject(1), FetchErrorCode.HTTP_STATUS);
      assertThat(rs.getJsonObject(1).getInteger("status")).isEqualTo(404);
      assertThat(rs.getJsonObject(1).getJsonObject("json").getInteger("id")).isEqualTo(1);
      assertItem(rs.getJsonObject(2), FetchErrorCode.DEADLINE_EXCEEDED);
      assertItem(rs.getJsonObject(3), FetchErrorCode.DEADLINE_EXCEEDED);
      assertThat(json.getInteger("succeeded")).isEqualTo(1);
      assertThat(json.getInteger("failed")).isEqualTo(3);
      assertThat(json.getString("mode")).isEqualTo("settled");
      return reply;
    }).compose(r -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void any_takes_the_first_success_and_cancels_the_losers(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, "fault=hang"), item(1, "delay_ms=80"), item(2, "status=500")).mode(FetchMode.ANY);
    engine.fetch(req).map((FetchReply reply) -> {
      JsonObject json = reply.toJson();
      assertThat(json.getInteger("winner")).isEqualTo(1);
      JsonArray rs = json.getJsonArray("results");
      assertItem(rs.getJsonObject(0), FetchErrorCode.CANCELLED);
      assertOk(rs.getJsonObject(1), 200);
      assertItem(rs.getJsonObject(2), FetchErrorCode.HTTP_STATUS);
      assertThat(json.getInteger("cancelled")).isEqualTo(1);
      return reply;
    }).compose(r -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void any_fails_when_every_request_failed(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, "status=500"), item(1, "fault=reset")).mode(FetchMode.ANY);
    engine.fetch(req).transform((AsyncResult<FetchReply> ar) -> {
      assertThat(ar.failed()).isTrue();
      assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_GATEWAY).messageContains("no request succeeded", "requests[0] HTTP_STATUS", "CONNECTION_RESET");
      return Future.<Void>succeededFuture();
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void race_takes_the_first_completion_even_a_failure(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, "delay_ms=3000"), item(1, "status=503&delay_ms=30")).mode(FetchMode.RACE);
    engine.fetch(req).map((FetchReply reply) -> {
      JsonObject json = reply.toJson();
      assertThat(json.getInteger("winner")).isEqualTo(1);
      assertItem(json.getJsonArray("results").getJsonObject(1), FetchErrorCode.HTTP_STATUS);
      assertItem(json.getJsonArray("results").getJsonObject(0), FetchErrorCode.CANCELLED);
      return reply;
    }).compose(r -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void quorum_stops_at_k_successes(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, "delay_ms=20"), item(1, "fault=hang"), item(2, "delay_ms=40"), item(3, "fault=hang"))
      .quorum(2);
    engine.fetch(req).map((FetchReply reply) -> {
      JsonObject json = reply.toJson();
      assertThat(json.getInteger("succeeded")).isEqualTo(2);
      assertThat(json.getInteger("cancelled")).isEqualTo(2);
      assertItem(json.getJsonArray("results").getJsonObject(1), FetchErrorCode.CANCELLED);
      return reply;
    }).compose(r -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void quorum_fails_as_soon_as_it_is_out_of_reach(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, "status=500"), item(1, "status=502"), item(2, "fault=hang")).quorum(2);
    engine.fetch(req).transform((AsyncResult<FetchReply> ar) -> {
      assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_GATEWAY).messageContains("quorum of 2 out of reach", "2 of 3 failed");
      return Future.<Void>succeededFuture();
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void overall_deadline_in_mode_all_is_a_504(Vertx vertx, VertxTestContext tc) {
    FetchRequest req = FetchRequest.of(item(0, ""), item(1, "fault=hang")).mode(FetchMode.ALL).timeoutMs(200);
    engine.fetch(req).transform((AsyncResult<FetchReply> ar) -> {
      // the Java API gives up with loopkit's one timeout type; the bus maps it to 504
      org.assertj.core.api.Assertions.assertThat(ar.cause()).isInstanceOf(dev.loopkit.async.DeadlineExceededException.class)
        .hasMessageContaining("deadline").hasMessageContaining("1 of 2 requests unfinished");
      org.assertj.core.api.Assertions.assertThat(FailureCode.of(ar.cause())).isEqualTo(FailureCode.TIMEOUT);
      return Future.<Void>succeededFuture();
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void an_empty_call_answers_at_once_in_every_mode(Vertx vertx, VertxTestContext tc) {
    Future<FetchReply> settled = engine.fetch(new FetchRequest());
    Future<FetchReply> all = engine.fetch(new FetchRequest().mode(FetchMode.ALL));
    Future<FetchReply> any = engine.fetch(new FetchRequest().mode(FetchMode.ANY));
    Future<FetchReply> race = engine.fetch(new FetchRequest().mode(FetchMode.RACE));
    Future.all(settled, all, any, race).map(cf -> {
      for (int i = 0; i < 4; i++) {
        FetchReply r = cf.resultAt(i);
        assertThat(r.results()).isEmpty();
        assertThat(r.toJson().getInteger("succeeded")).isZero();
      }
      return cf;
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }
}
