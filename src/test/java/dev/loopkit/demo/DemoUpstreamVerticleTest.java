package dev.loopkit.demo;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
@DisplayName("Demo upstream: GET /item/{n}, delayed by a timer")
class DemoUpstreamVerticleTest {

  private DemoUpstreamVerticle upstream;
  private WebClient client;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    upstream = new DemoUpstreamVerticle();
    client = WebClient.create(vertx);
    vertx.deployVerticle(upstream, new io.vertx.core.DeploymentOptions().setConfig(new JsonObject().put("port", 0)))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void serves_a_small_json_item(VertxTestContext tc) {
    client.get(upstream.actualPort(), "127.0.0.1", "/item/7").send().onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.getHeader("content-type")).isEqualTo("application/json");
      assertThat(r.bodyAsJsonObject().getInteger("id")).isEqualTo(7);
      assertThat(r.bodyAsString().length()).isBetween(80, 120);
      tc.completeNow();
    })));
  }

  @Test
  void many_delayed_requests_complete_together(VertxTestContext tc) {
    long start = System.nanoTime();
    var futures = new java.util.ArrayList<io.vertx.core.Future<?>>();
    for (int i = 0; i < 20; i++) {
      futures.add(client.get(upstream.actualPort(), "127.0.0.1", "/item/" + i + "?delay_ms=200").send());
    }
    io.vertx.core.Future.all(futures).onComplete(tc.succeeding(all -> tc.verify(() -> {
      long ms = (System.nanoTime() - start) / 1_000_000;
      assertThat(ms).as("20 × 200 ms in parallel").isBetween(190L, 1_500L);
      tc.completeNow();
    })));
  }

  @Test
  void bad_inputs_are_400_and_unknown_paths_404(VertxTestContext tc) {
    client.get(upstream.actualPort(), "127.0.0.1", "/item/x").send()
      .compose(r -> {
        tc.verify(() -> assertThat(r.statusCode()).isEqualTo(400));
        return client.get(upstream.actualPort(), "127.0.0.1", "/item/1?delay_ms=-3").send();
      })
      .compose(r -> {
        tc.verify(() -> assertThat(r.statusCode()).isEqualTo(400));
        return client.get(upstream.actualPort(), "127.0.0.1", "/nope").send();
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(404);
        tc.completeNow();
      })));
  }

  @Test
  void config_is_strict() {
    assertThatThrownBy(() -> new DemoUpstreamVerticle().checkConfig(new JsonObject().put("prot", 1)))
      .hasMessageStartingWith("prot: unknown key (did you mean 'port'?)");
  }
}
