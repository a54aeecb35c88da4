package dev.loopkit.config;

import io.vertx.core.ThreadingModel;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("AppConfig: validates everything before anything is deployed")
class AppConfigTest {

  private static final String UPSTREAM = "dev.loopkit.demo.DemoUpstreamVerticle";

  private static JsonObject withVerticle(JsonObject entry) {
    return new JsonObject().put("verticles", new JsonObject().put("up", entry));
  }

  @Test
  void defaults_apply() {
    AppConfig app = AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM)));
    assertThat(app.http().getPort()).isEqualTo(8080);
    VerticleSpec spec = app.verticles().get(0);
    assertThat(spec.instances()).isEqualTo(1);
    assertThat(spec.threading()).isEqualTo(ThreadingModel.EVENT_LOOP);
    assertThat(spec.deploymentOptions().getConfig()).isEqualTo(new JsonObject());
  }

  @Test
  void unknown_top_level_key() {
    assertThatThrownBy(() -> AppConfig.read(new JsonObject().put("verticle", new JsonObject())))
      .hasMessageStartingWith("verticle: unknown key (did you mean 'verticles'?)");
  }

  @Test
  void unknown_class() {
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", "dev.loopkit.Nope"))))
      .hasMessage("verticles.up.class: no such class on the class path: \"dev.loopkit.Nope\"");
  }

  @Test
  void class_that_is_not_a_verticle() {
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", "java.lang.String"))))
      .hasMessageStartingWith("verticles.up.class: \"java.lang.String\" is not a verticle");
  }

  @Test
  void instances_out_of_range() {
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM).put("instances", 0))))
      .hasMessage("verticles.up.instances: must be an integer in [1, 256], got 0");
  }

  @Test
  void unknown_threading_model() {
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM).put("threading", "eventloop"))))
      .hasMessage("verticles.up.threading: must be one of event-loop, worker, virtual-thread, got \"eventloop\"");
  }

  @Test
  @EnabledForJreRange(max = JRE.JAVA_20)
  void virtual_threads_need_java_21() {
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM).put("threading", "virtual-thread"))))
      .hasMessageStartingWith("verticles.up.threading: virtual-thread needs Java 21 or later");
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_21)
  void virtual_threads_accepted_on_java_21() {
    AppConfig app = AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM).put("threading", "virtual-thread")));
    assertThat(app.verticles().get(0).threading()).isEqualTo(ThreadingModel.VIRTUAL_THREAD);
  }

  @Test
  void a_verticle_checks_its_own_section_with_the_full_path() {
    JsonObject entry = new JsonObject().put("class", UPSTREAM).put("config", new JsonObject().put("port", "eighty"));
    assertThatThrownBy(() -> AppConfig.read(withVerticle(entry)))
      .hasMessage("verticles.up.config.port: must be an integer in [0, 65535], got \"eighty\"");
  }

  @Test
  void disabled_entries_are_skipped_but_still_validated() {
    AppConfig app = AppConfig.read(withVerticle(new JsonObject().put("class", UPSTREAM).put("enabled", false)));
    assertThat(app.verticles()).isEmpty();
    assertThatThrownBy(() -> AppConfig.read(withVerticle(new JsonObject().put("class", "x.Y").put("enabled", false))))
      .hasMessageContaining("no such class");
  }

  @Test
  void http_section_is_strict() {
    assertThatThrownBy(() -> AppConfig.read(new JsonObject().put("http", new JsonObject().put("port", 70000))))
      .hasMessage("http.port: must be an integer in [0, 65535], got 70000");
  }
}
