package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
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

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets quoted in the README (Concurrent fetch), compiled and run against the demo upstream. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("README fetch examples")
class FetchExamplesTest {

  private DemoUpstreamVerticle up;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).onComplete(tc.succeeding(u -> {
      up = u;
      tc.completeNow();
    }));
  }

  @Test
  void three_fetches_in_the_time_of_one_over_the_event_bus(Vertx vertx, VertxTestContext tc) {
    String base = up.baseUrl();
    vertx.deployVerticle(new FetchVerticle(new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort()))))
      .compose(id -> {
        // --8<-- [start:bus]
        JsonObject request = new JsonObject()
          .put("urls", new JsonArray()
            .add(base + "/item/1?delay_ms=1000")
            .add(base + "/item/2?delay_ms=1000")
            .add(base + "/item/3?delay_ms=1000"))
          .put("mode", "all")
          .put("timeoutMs", 2_000);
        long t0 = System.nanoTime();
        return vertx.eventBus().<JsonObject>request("loopkit.fetch", request)
          .map(Message::body)
          .onSuccess(reply -> System.out.printf("%d items in %d ms%n",
            reply.getInteger("succeeded"), (System.nanoTime() - t0) / 1_000_000)); // 3 items in ~1000 ms, not 3000
        // --8<-- [end:bus]
      })
      .map(reply -> {
        assertThat(reply.getInteger("succeeded")).isEqualTo(3);
        assertThat(reply.getDouble("elapsedMs")).isLessThan(2_000.0);
        return reply;
      }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void the_engine_from_java_with_a_cancel_scope(Vertx vertx, VertxTestContext tc) {
    String base = up.baseUrl();
    // --8<-- [start:engine]
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions()
      .setAllowedHosts(List.of("127.0.0.1:" + up.actualPort()))
      .setMaxPerHost(16));
    CancelScope scope = CancelScope.withTimeout(vertx, 1_500);        // the caller's own deadline
    FetchRequest request = FetchRequest.of(base + "/item/1", base + "/item/2?delay_ms=5000")
      .timeoutMs(500);                                                  // mode settled: partial results at 500 ms
    Future<FetchReply> done = engine.fetch(request, scope, result ->   // each result as it completes
        System.out.println("done: " + result))
      .onComplete(ar -> scope.close())
      .onSuccess(reply -> reply.results().forEach(r ->
        System.out.println(r.index() + " " + (r.ok() ? r.json() : r.error() + ": " + r.message()))));
    // --8<-- [end:engine]
    done.map(reply -> {
      assertThat(reply.results().get(0).ok()).isTrue();
      assertThat(reply.results().get(1).error()).isEqualTo(FetchErrorCode.DEADLINE_EXCEEDED);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_caller_with_a_budget_gets_an_answer_before_it(Vertx vertx, VertxTestContext tc) {
    String base = up.baseUrl();
    vertx.deployVerticle(new FetchVerticle(new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort()))))
      // a first request with a budget warms the path: in a cold JVM the verticle's first budget (class loading,
      // the first log line) took ~100 ms before it read the header, which counts from there, so the answer
      // could miss the caller's own deadline
      .compose(id -> {
        CancelScope warm = CancelScope.withTimeout(vertx, 5_000);
        return BusRequest.<JsonObject>request(warm, "loopkit.fetch", new JsonObject().put("urls", new JsonArray().add(base + "/item/0")))
          .onComplete(ar -> warm.close());
      })
      .compose(warm -> {
        // --8<-- [start:budget]
        CancelScope scope = CancelScope.withTimeout(vertx, 800);   // sends loopkit-timeout-ms: 800
        JsonObject request = new JsonObject().put("urls", new JsonArray()
          .add(base + "/item/1").add(base + "/item/2?fault=hang"));
        return BusRequest.<JsonObject>request(scope, "loopkit.fetch", request)
          .onComplete(ar -> scope.close());                        // settled: item 1 ok, item 2 DEADLINE_EXCEEDED
        // --8<-- [end:budget]
      })
      .map(m -> {
        assertThat(m.body().getJsonArray("results").getJsonObject(1).getJsonObject("error").getString("code"))
          .isEqualTo("DEADLINE_EXCEEDED");
        return m;
      }).onComplete(tc.succeedingThenComplete());
  }
}
