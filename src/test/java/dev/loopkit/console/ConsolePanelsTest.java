package dev.loopkit.console;

import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.hostile.Released;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fetch and route panels' data on the live channel: a fetch in flight shows in the engine's per-host
 * counts, and a guarded route's stats (calls, 504s, breaker state) arrive with the next tick.
 */
@DisplayName("loop console: fetch and route panels")
class ConsolePanelsTest {

  private Vertx vertx;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  @Test
  @DisplayName("a fetch in flight shows per host; a route's stats and breaker arrive with the next tick")
  void fetch_and_route_counts_reach_the_page() throws Exception {
    DemoUpstreamVerticle up = new DemoUpstreamVerticle();
    get(vertx.deployVerticle(up, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0))));
    String host = "127.0.0.1:" + up.actualPort();
    get(vertx.deployVerticle(new FetchVerticle(new FetchOptions().setAllowedHosts(List.of(host)))));
    JsonObject timeout = new JsonObject().put("routes", new JsonArray().add(new JsonObject()
      .put("address", "console.panels.guarded").put("target", "console.nobody").put("timeoutMs", 500)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 1).put("resetTimeoutMs", 60_000))));
    get(vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(timeout)));
    HttpFrontVerticle front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    get(vertx.deployVerticle(front));
    ConsoleSecurityTest.Sse sse = ConsoleSecurityTest.Sse.open(vertx, front.actualPort(), "/console/live", Map.of());
    get(Released.eventually(vertx, 5_000, () -> sse.text().contains("event: hello"), sse::summary));

    Future<Object> slow = vertx.eventBus().request("loopkit.fetch", new JsonObject().put("urls", new JsonArray()
      .add("http://" + host + "/item/1?delay_ms=2500")), new DeliveryOptions().setSendTimeout(10_000)).map(m -> m.body());
    get(Released.eventually(vertx, 4_000, () -> sse.text().contains("\"perHost\":{\"") && sse.text().contains("\"inFlight\":1,\"queued\":0"),
      sse::summary));
    vertx.eventBus().request("console.panels.guarded", "x").otherwiseEmpty();
    get(Released.eventually(vertx, 4_000, () -> sse.text().contains("\"console.panels.guarded\":{"), sse::summary));
    get(Released.eventually(vertx, 4_000, () -> sse.text().contains("event: breaker") && sse.text().contains("\"state\":\"OPEN\""),
      sse::summary));
    get(slow);
    sse.close();
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
