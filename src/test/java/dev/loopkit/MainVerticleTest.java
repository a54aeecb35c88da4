package dev.loopkit;

import dev.loopkit.config.ConfigException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@DisplayName("MainVerticle: validate everything, then deploy in order")
class MainVerticleTest {

  private static JsonObject config() {
    return new JsonObject()
      .put("http", new JsonObject().put("port", 0))
      .put("verticles", new JsonObject()
        .put("upstream", new JsonObject().put("class", "dev.loopkit.demo.DemoUpstreamVerticle")
          .put("config", new JsonObject().put("port", 0))));
  }

  @Test
  void deploys_the_verticles_and_the_front(Vertx vertx, VertxTestContext tc) {
    MainVerticle main = new MainVerticle();
    vertx.deployVerticle(main, new DeploymentOptions().setConfig(config()))
      .compose(id -> WebClient.create(vertx).get(main.httpPort(), "127.0.0.1", "/health").send())
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.bodyAsString()).contains("\"upstream\":\"deployed\"");
        assertThat(main.deployments()).containsKeys("upstream", "http");
        tc.completeNow();
      })));
  }

  @Test
  void a_bad_config_deploys_nothing(Vertx vertx, VertxTestContext tc) {
    JsonObject bad = config();
    bad.getJsonObject("verticles").getJsonObject("upstream").getJsonObject("config").put("port", -1);
    bad.getJsonObject("verticles").put("second", new JsonObject().put("class", "dev.loopkit.demo.DemoUpstreamVerticle"));
    int before = vertx.deploymentIDs().size();
    vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(bad)).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(ConfigException.class)
        .hasMessage("deployment config: verticles.upstream.config.port: must be an integer in [0, 65535], got -1");
      assertThat(vertx.deploymentIDs()).hasSize(before);
      tc.completeNow();
    })));
  }

  @Test
  void a_start_failure_names_the_verticle_and_what_to_do(Vertx vertx, VertxTestContext tc) {
    io.vertx.core.net.NetServer blocker = vertx.createNetServer();
    blocker.connectHandler(s -> { }).listen(0, "127.0.0.1").compose(server -> {
      JsonObject conf = config();
      conf.getJsonObject("verticles").getJsonObject("upstream").getJsonObject("config").put("port", server.actualPort());
      return vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf));
    }).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(ConfigException.class);
      assertThat(err.getMessage())
        .startsWith("deployment config: verticles.upstream: dev.loopkit.demo.DemoUpstreamVerticle failed to start:")
        .endsWith("— fix its config section or free the resource it needs")
        .doesNotContain("\n");
      tc.completeNow();
    })));
  }
}
