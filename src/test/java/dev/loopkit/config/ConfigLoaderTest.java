package dev.loopkit.config;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@ExtendWith(VertxExtension.class)
@DisplayName("ConfigLoader: vertx-config file store, then LOOPKIT_* env and -Dloopkit.* overrides")
class ConfigLoaderTest {

  @Nested
  @DisplayName("syntax errors name line and column")
  class Syntax {
    @Test
    void trailing_comma() {
      String text = "{\n  \"http\": { \"port\": 8080, }\n}";
      assertThatThrownBy(() -> ConfigLoader.parseStrict("conf/x.json", text))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("conf/x.json: invalid JSON at line 2, column 27:");
    }

    @Test
    void duplicate_key_is_an_error() {
      assertThatThrownBy(() -> ConfigLoader.parseStrict("c.json", "{\"a\": 1,\n \"a\": 2}"))
        .hasMessageContaining("line 2")
        .hasMessageContaining("Duplicate field 'a'");
    }

    @Test
    void not_an_object() {
      assertThatThrownBy(() -> ConfigLoader.parseStrict("c.json", "[1, 2]"))
        .hasMessage("c.json: line 1, column 1: must be a JSON object, starts with [");
    }

    @Test
    void trailing_content() {
      assertThatThrownBy(() -> ConfigLoader.parseStrict("c.json", "{}\n{}"))
        .hasMessage("c.json: line 2, column 1: unexpected content after the JSON object");
    }

    @Test
    void empty_file() {
      assertThatThrownBy(() -> ConfigLoader.parseStrict("c.json", "  "))
        .hasMessage("c.json: the file is empty; it must hold one JSON object");
    }

    @Test
    void valid_object_parses() {
      assertThat(ConfigLoader.parseStrict("c.json", "{\"a\": {\"b\": [1]}}").getJsonObject("a").getJsonArray("b").getInteger(0))
        .isEqualTo(1);
    }
  }

  @Nested
  @DisplayName("overrides")
  class Overrides {
    private JsonObject file() {
      return new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 8080))
        .put("verticles", new JsonObject().put("fetch", new JsonObject().put("config", new JsonObject().put("maxInFlight", 10))));
    }

    @Test
    void env_matches_existing_keys_case_insensitively() {
      ConfigLoader.Loaded loaded = ConfigLoader.overlay("f.json", file(),
        Map.of("LOOPKIT_HTTP__PORT", "9090", "LOOPKIT_VERTICLES__FETCH__CONFIG__MAXINFLIGHT", "500", "PATH", "/bin"), Map.of());
      assertThat(loaded.json().getJsonObject("http").getValue("port")).isEqualTo(9090);
      assertThat(loaded.json().getJsonObject("verticles").getJsonObject("fetch").getJsonObject("config").getValue("maxInFlight")).isEqualTo(500);
      assertThat(loaded.overrides()).containsEntry("http.port", "env LOOPKIT_HTTP__PORT");
    }

    @Test
    void sys_wins_over_env_and_may_add_keys() {
      ConfigLoader.Loaded loaded = ConfigLoader.overlay("f.json", file(),
        Map.of("LOOPKIT_HTTP__PORT", "9090"), Map.of("loopkit.http.port", "7070", "loopkit.http.enabled", "false", "java.home", "/x"));
      assertThat(loaded.json().getJsonObject("http").getValue("port")).isEqualTo(7070);
      assertThat(loaded.json().getJsonObject("http").getValue("enabled")).isEqualTo(false);
      assertThat(loaded.json().containsKey("java.home")).isFalse();
    }

    @Test
    void values_that_are_not_json_stay_strings() {
      ConfigLoader.Loaded loaded = ConfigLoader.overlay("f.json", file(), Map.of("LOOPKIT_HTTP__HOST", "0.0.0.0"), Map.of());
      assertThat(loaded.json().getJsonObject("http").getValue("host")).isEqualTo("0.0.0.0");
    }

    @Test
    void env_typo_names_the_variable() {
      assertThatThrownBy(() -> ConfigLoader.overlay("f.json", file(), Map.of("LOOPKIT_HTTP__PROT", "1"), Map.of()))
        .hasMessageStartingWith("env LOOPKIT_HTTP__PROT: http: no key matches 'prot' here (known: host, port)");
    }

    @Test
    void a_bad_overridden_value_is_blamed_on_the_override() {
      ConfigLoader.Loaded loaded = ConfigLoader.overlay("f.json", file(), Map.of("LOOPKIT_HTTP__PORT", "eighty"), Map.of());
      ConfigException e = loaded.locate(new ConfigException("http.port", "must be an integer in [0, 65535], got \"eighty\""));
      assertThat(e.getMessage()).isEqualTo("f.json (overridden by env LOOPKIT_HTTP__PORT): http.port: must be an integer in [0, 65535], got \"eighty\"");
    }
  }

  @Test
  void loads_a_file_through_vertx_config_with_system_property_overrides(Vertx vertx, VertxTestContext tc, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.json");
    Files.writeString(file, "{\"http\": {\"port\": 8080, \"host\": \"127.0.0.1\"}}");
    System.setProperty("loopkit.http.port", "6060");
    ConfigLoader.load(vertx, file.toString())
      .onComplete(ar -> System.clearProperty("loopkit.http.port"))
      .onComplete(tc.succeeding(loaded -> tc.verify(() -> {
        assertThat(loaded.source()).isEqualTo(file.toString());
        assertThat(loaded.json().getJsonObject("http").getValue("port")).isEqualTo(6060);
        assertThat(loaded.json().fieldNames()).containsExactly("http");
        tc.completeNow();
      })));
  }

  @Test
  void a_missing_file_is_named(Vertx vertx, VertxTestContext tc) {
    ConfigLoader.load(vertx, "/nonexistent/loopkit.json").onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(ConfigException.class).hasMessageStartingWith("/nonexistent/loopkit.json: cannot read the file");
      tc.completeNow();
    })));
  }

  @Test
  void the_embedded_default_loads_from_the_class_path(Vertx vertx, VertxTestContext tc) {
    ConfigLoader.load(vertx, ConfigLoader.DEFAULT_RESOURCE).onComplete(tc.succeeding(loaded -> tc.verify(() -> {
      AppConfig app = AppConfig.read(loaded.json());
      assertThat(app.http().getHost()).isEqualTo("127.0.0.1");
      assertThat(app.verticles()).extracting(VerticleSpec::name).contains("upstream");
      tc.completeNow();
    })));
  }

  @Test
  void launch_arguments_find_conf_in_every_spelling() {
    assertThat(LaunchArguments.confArgument(java.util.List.of("-jar", "a.jar", "-conf", "c.json"))).contains("c.json");
    assertThat(LaunchArguments.confArgument(java.util.List.of("--CONF", "c.json"))).contains("c.json");
    assertThat(LaunchArguments.confArgument(java.util.List.of("-conf=c.json"))).contains("c.json");
    assertThat(LaunchArguments.confArgument(java.util.List.of("-jar", "a.jar"))).isEmpty();
  }
}
