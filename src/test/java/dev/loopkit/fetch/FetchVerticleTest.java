package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.loopkit.fetch.ReplyAssert.assertItem;
import static dev.loopkit.fetch.ReplyAssert.assertOk;
import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("FetchVerticle on the event bus: budgets, cancel notices, progress")
class FetchVerticleTest {

  private DemoUpstreamVerticle up;
  private FetchVerticle verticle;
  /** Same, with a margin wide enough for a loaded 2-core test machine (the default is 50 ms). */
  private FetchVerticle wideMargin;
  private static final String MARGIN_ADDRESS = "test.fetch.margin";
  private String base;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose(u -> {
      up = u;
      base = u.baseUrl();
      verticle = new FetchVerticle(Fixture.allowing(u));
      wideMargin = new FetchVerticle(Fixture.allowing(u).setAddress(MARGIN_ADDRESS).setDeadlineMarginMs(200));
      return vertx.deployVerticle(verticle).compose(id -> vertx.deployVerticle(wideMargin));
    }).onComplete(tc.succeedingThenComplete());
  }

  private static JsonObject urls(String... urls) {
    return new JsonObject().put("urls", new JsonArray(List.of((Object[]) urls)));
  }

  private Future<Void> clean(Vertx vertx) {
    return Fixture.released(vertx, verticle.engine(), up);
  }

  @Nested
  @DisplayName("budget: loopkit-timeout-ms")
  class BudgetTests {

    @Test
    void caller_whose_send_timeout_is_its_budget_sees_our_504_not_a_bus_timeout(Vertx vertx, VertxTestContext tc) {
      long t0 = System.nanoTime();
      JsonObject req = urls(base + "/item/1?fault=hang").put("mode", "all").put("timeoutMs", 10_000);
      DeliveryOptions d = new DeliveryOptions().setSendTimeout(600).addHeader(Headers.TIMEOUT_MS, "600");
      vertx.eventBus().request(MARGIN_ADDRESS, req, d).transform(ar -> {
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ar.failed()).isTrue();
        assertThat(ar.cause()).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) ar.cause()).failureType()).as("a reply from the verticle, not the bus's own TIMEOUT: %s", ar.cause())
          .isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
        assertThatFailure(ar.cause()).failedWith(FailureCode.TIMEOUT).messageContains("deadline");
        assertThat(ms).as("answered by the budget (600 ms), not by timeoutMs").isBetween(300L, 2_000L);
        return Future.<Void>succeededFuture();
      }).compose(v -> Fixture.released(vertx, wideMargin.engine(), up)).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void settled_replies_partial_results_within_the_budget(Vertx vertx, VertxTestContext tc) {
      CancelScope scope = CancelScope.withTimeout(vertx, 400);
      JsonObject req = urls(base + "/item/1", base + "/item/2?delay_ms=5000");
      BusRequest.<JsonObject>request(scope, FetchOptions.DEFAULT_ADDRESS, req).map(m -> {
        scope.close();
        JsonArray rs = m.body().getJsonArray("results");
        assertOk(rs.getJsonObject(0), 200);
        assertItem(rs.getJsonObject(1), FetchErrorCode.DEADLINE_EXCEEDED);
        return m;
      }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void a_spent_budget_is_answered_504_without_touching_the_upstream(Vertx vertx, VertxTestContext tc) {
      DeliveryOptions d = new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "0");
      vertx.eventBus().request(FetchOptions.DEFAULT_ADDRESS, urls(base + "/item/1"), d).transform(ar -> {
        assertThatFailure(ar.cause()).failedWith(FailureCode.TIMEOUT).messageContains("shed");
        assertThat(up.connectionsAccepted()).isZero();
        return Future.<Void>succeededFuture();
      }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }

    @Test
    void the_remaining_budget_travels_to_the_upstream_as_a_header(Vertx vertx, VertxTestContext tc) {
      DeliveryOptions d = new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "2000");
      vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, urls(base + "/echo"), d).map(m -> {
        JsonObject echoed = m.body().getJsonArray("results").getJsonObject(0).getJsonObject("json");
        long budget = Long.parseLong(echoed.getJsonObject("headers").getString(Headers.TIMEOUT_MS));
        assertThat(budget).as("remaining budget, below the caller's minus the margin").isBetween(1L, 1_950L);
        assertThat(echoed.getJsonObject("headers").getString("user-agent")).isEqualTo(FetchOptions.DEFAULT_USER_AGENT);
        return m;
      }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }
  }

  @Nested
  @DisplayName("cancel notices")
  class CancelTests {

    @Test
    void a_cancel_notice_stops_the_call_and_resets_its_connections(Vertx vertx, VertxTestContext tc) {
      CancelScope scope = CancelScope.create(vertx);
      Future<Message<JsonObject>> call = BusRequest.request(scope, FetchOptions.DEFAULT_ADDRESS,
        urls(base + "/item/1?fault=hang", base + "/item/2?fault=trickle&bytes=1000&interval_ms=20").put("timeoutMs", 20_000));
      long[] cancelledAt = {0};
      Fixture.eventually(vertx, 5_000, () -> up.activeRequests() == 2, () -> "upstream active=" + up.activeRequests())
        .compose(v -> {
          cancelledAt[0] = System.nanoTime();
          scope.cancel("caller went away");
          return Fixture.eventually(vertx, 2_000, () -> up.openConnections() == 0, () -> "open=" + up.openConnections());
        })
        .compose(v -> {
          long ms = (System.nanoTime() - cancelledAt[0]) / 1_000_000;
          System.out.println("cancel notice -> upstream saw both connections closed after " + ms + " ms");
          assertThat(ms).as("the upstream sees the connections closed promptly (goal 50 ms; loose on a loaded machine)").isLessThan(500);
          // the caller's request fails once its reply consumer is released: that can come a loop turn after
          // the upstream saw the close (another event loop), so wait for it rather than race it
          return call.<Void>transform(ar -> Future.succeededFuture());
        })
        .map(v -> {
          assertThat(call.failed()).isTrue();
          assertThat(call.cause()).hasMessageContaining("caller went away");
          scope.close();
          return v;
        })
        .compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }
  }

  @Nested
  @DisplayName("cancel notices match the request id exactly")
  class ExactIdTests {

    @Test
    void notices_for_other_ids_prefixes_or_case_variants_cancel_nothing(Vertx vertx, VertxTestContext tc) {
      DeliveryOptions d = new DeliveryOptions().addHeader(Headers.REQUEST_ID, "job-42");
      Future<Message<JsonObject>> call = vertx.eventBus().request(FetchOptions.DEFAULT_ADDRESS,
        urls(base + "/item/1?fault=hang").put("timeoutMs", 20_000), d);
      List<String> near = List.of("job-4", "job-421", "JOB-42", " job-42", "job-42 ", "job-", "", "job-42\n", "job-4*");
      long before = dev.loopkit.timeout.CancelNotices.received(vertx);
      Fixture.eventually(vertx, 5_000, () -> up.activeRequests() == 1, () -> "active=" + up.activeRequests())
        .compose(v -> {
          near.forEach(id -> dev.loopkit.timeout.CancelNotices.publish(vertx, id, "not yours"));
          return Fixture.eventually(vertx, 5_000, () -> dev.loopkit.timeout.CancelNotices.received(vertx) - before >= near.size(),
            () -> "notices received " + (dev.loopkit.timeout.CancelNotices.received(vertx) - before));
        })
        .compose(v -> {
          assertThat(call.isComplete()).as("no near-miss id cancels the call").isFalse();
          assertThat(up.activeRequests()).isEqualTo(1);
          dev.loopkit.timeout.CancelNotices.publish(vertx, "job-42", "yours");
          return call.<Void>transform(ar -> {
            assertThatFailure(ar.cause()).failedWith(FailureCode.CANCELLED).messageContains("yours");
            return Future.succeededFuture();
          });
        })
        .compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }
  }

  @Nested
  @DisplayName("progress: results as completed")
  class ProgressTests {

    @Test
    void each_result_is_published_with_seq_and_index_before_the_reply(Vertx vertx, VertxTestContext tc) {
      List<JsonObject> seen = new ArrayList<>();
      MessageConsumer<JsonObject> consumer = vertx.eventBus().consumer("loopkit.progress.test", m -> seen.add(m.body()));
      JsonObject req = urls(base + "/item/0?delay_ms=700", base + "/item/1?delay_ms=10", base + "/item/2?status=500",
        base + "/item/3?delay_ms=80").put("progressAddress", "loopkit.progress.test");
      DeliveryOptions d = new DeliveryOptions().addHeader(Headers.REQUEST_ID, "req-42");
      consumer.completion()
        .compose(v -> vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, req, d))
        .map(reply -> {
          assertThat(seen).as("one progress message per request, all before the reply").hasSize(4);
          Set<Integer> indexes = new HashSet<>();
          for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i).getInteger("seq")).isEqualTo(i);
            assertThat(seen.get(i).getString("requestId")).isEqualTo("req-42");
            indexes.add(seen.get(i).getInteger("index"));
          }
          assertThat(indexes).containsExactlyInAnyOrder(0, 1, 2, 3);
          assertThat(seen.get(3).getInteger("index")).as("the slowest completes last").isEqualTo(0);
          assertThat(reply.body().getJsonArray("results")).hasSize(4);
          return reply;
        })
        .compose(v -> consumer.unregister())
        .compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
    }
  }

  @Test
  void post_with_a_json_body_and_per_request_headers(Vertx vertx, VertxTestContext tc) {
    JsonObject req = new JsonObject().put("requests", new JsonArray()
      .add(new JsonObject().put("url", base + "/echo").put("method", "POST")
        .put("headers", new JsonObject().put("x-trace", "abc")).put("body", new JsonObject().put("q", 1)))
      .add(new JsonObject().put("url", base + "/echo").put("method", "PUT").put("body", "plain text")));
    vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, req).map(m -> {
      JsonObject first = m.body().getJsonArray("results").getJsonObject(0).getJsonObject("json");
      assertThat(first.getString("method")).isEqualTo("POST");
      assertThat(first.getJsonObject("headers").getString("x-trace")).isEqualTo("abc");
      assertThat(first.getJsonObject("headers").getString("content-type")).isEqualTo("application/json");
      assertThat(new JsonObject(first.getString("body")).getInteger("q")).isEqualTo(1);
      JsonObject second = m.body().getJsonArray("results").getJsonObject(1).getJsonObject("json");
      assertThat(second.getString("method")).isEqualTo("PUT");
      assertThat(second.getString("body")).isEqualTo("plain text");
      assertThat(second.getJsonObject("headers").getString("content-type")).startsWith("text/plain");
      return m;
    }).compose(v -> clean(vertx)).onComplete(tc.succeedingThenComplete());
  }
}
