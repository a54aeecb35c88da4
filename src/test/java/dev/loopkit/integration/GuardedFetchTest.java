package dev.loopkit.integration;

import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.testing.ReplyAssert;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The capabilities together, as the default configuration wires them: a TimeoutVerticle route guarding
 * the FetchVerticle, fetching from the demo upstream. The guard's deadline travels to the fetch verticle
 * and on to the upstream as {@code loopkit-timeout-ms}; when the guard gives up, its cancel notice
 * reaches the fetch verticle, which resets the connection — the upstream sees it closed.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("timeout guard → fetch verticle → upstream: deadlines travel, cancellation reaches the socket")
class GuardedFetchTest {

  private static final String ROUTE = "test.fetch.guarded";

  private DemoUpstreamVerticle upstream;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    upstream = new DemoUpstreamVerticle();
    vertx.deployVerticle(upstream, new DeploymentOptions().setConfig(new JsonObject().put("port", 0)))
      .compose(id -> vertx.deployVerticle(new FetchVerticle(new FetchOptions()
        .setAllowedHosts(List.of("127.0.0.1:" + upstream.actualPort())))))
      .compose(id -> vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(new JsonObject()
        .put("routes", new JsonArray().add(new JsonObject()
          .put("address", ROUTE).put("target", FetchOptions.DEFAULT_ADDRESS).put("timeoutMs", 3_000))))))
      // one request through the whole path first: the tests time cancellation, not a cold JVM loading classes
      .compose(id -> vertx.eventBus().request(ROUTE, fetch("/item/0")))
      .compose(warm -> eventually(vertx, 3_000, () -> upstream.activeRequests() == 0))
      .onComplete(tc.succeedingThenComplete());
  }

  private JsonObject fetch(String... paths) {
    JsonArray urls = new JsonArray();
    for (String p : paths) {
      urls.add(upstream.baseUrl() + p);
    }
    return new JsonObject().put("urls", urls).put("mode", "all").put("timeoutMs", 20_000);
  }

  @Test
  @DisplayName("the guard's 504 comes at its deadline and the hanging upstream connection is closed")
  void guard_gives_up_and_the_socket_is_reset(Vertx vertx, VertxTestContext tc) {
    long t0 = System.nanoTime();
    long[] answeredAt = {0};
    // the caller's 300 ms budget is shorter than the route's own 3 s: it is the deadline that travels
    vertx.eventBus().<JsonObject>request(ROUTE, fetch("/item/1?fault=hang"), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "300"))
      .onComplete(ar -> tc.verify(() -> {
        answeredAt[0] = System.nanoTime();
        ReplyAssert.assertThat(ar).failedWith(FailureCode.TIMEOUT);
        // the fetch verticle answers its own 504 a margin (50 ms) before the budget it was given runs out
        assertThat((answeredAt[0] - t0) / 1_000_000).as("504 by the caller's 300 ms budget").isBetween(200L, 1_500L);
      }))
      .transform(ar -> eventually(vertx, 3_000, () -> upstream.openConnections() == 0 && upstream.activeRequests() == 0))
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        long closedAfter = (upstream.lastConnectionClosedNanos() - answeredAt[0]) / 1_000_000;
        assertThat(closedAfter).as("upstream saw the connection closed soon after the 504 (goal 50 ms; loose here)").isLessThan(500);
        assertThat(LiveResources.of(vertx).get(LiveResources.HTTP_REQUESTS)).isZero();
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("the remaining budget reaches the upstream as an HTTP header, never larger than the guard's")
  void budget_travels_to_the_upstream(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>request(ROUTE, fetch("/echo"), new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "3000"))
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        JsonObject item = reply.body().getJsonArray("results").getJsonObject(0);
        assertThat(item.getBoolean("ok")).as(item.encode()).isTrue();
        String budget = item.getJsonObject("json").getJsonObject("headers").getString(Headers.TIMEOUT_MS);
        // a budget that suffices on a loaded machine's cold first request; what arrives is less than was sent
        assertThat(Long.parseLong(budget)).as("caller's 3000 ms, less what the hops used").isBetween(1L, 2999L);
        tc.completeNow();
      })));
  }

  private static Future<Void> eventually(Vertx vertx, long timeoutMs, BooleanSupplier condition) {
    Promise<Void> p = Promise.promise();
    long until = System.nanoTime() + timeoutMs * 1_000_000L;
    poll(vertx, condition, until, p);
    return p.future();
  }

  private static void poll(Vertx vertx, BooleanSupplier condition, long until, Promise<Void> p) {
    if (condition.getAsBoolean()) {
      p.complete();
    } else if (System.nanoTime() - until > 0) {
      p.fail(new AssertionError("condition not met in time"));
    } else {
      vertx.setTimer(5, t -> poll(vertx, condition, until, p));
    }
  }
}
