package dev.loopkit.examples;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
@DisplayName("The tutorial walkthrough runs every section and checks every claim")
class TutorialVerticleTest {

  @Test
  @Timeout(value = 30_000)
  void walkthrough_with_short_delays(Vertx vertx, VertxTestContext tc) {
    TutorialVerticle tutorial = new TutorialVerticle();
    vertx.deployVerticle(tutorial, new DeploymentOptions().setConfig(new JsonObject().put("delayMs", 200).put("exit", false)))
      .compose(id -> tutorial.finished())
      .onComplete(tc.succeeding(failures -> tc.verify(() -> {
        assertThat(failures).isEmpty();
        tc.completeNow();
      })));
  }

  @Test
  void config_is_strict() {
    assertThatThrownBy(() -> new TutorialVerticle().checkConfig(new JsonObject().put("delayMs", 5)))
      .hasMessage("delayMs: must be an integer in [10, 10000], got 5");
    assertThatThrownBy(() -> new TutorialVerticle().checkConfig(new JsonObject().put("delay", 5)))
      .hasMessageStartingWith("delay: unknown key (did you mean 'delayMs'?)");
    new TutorialVerticle().checkConfig(new JsonObject());
    assertThat(TutorialVerticle.DEFAULT_DELAY_MS).isEqualTo(1000);
  }
}
