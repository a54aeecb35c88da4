package dev.loopkit.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("ConfigReader: the strict validation helper")
class ConfigReaderTest {

  @Nested
  @DisplayName("absent keys take the default")
  class Defaults {
    @Test
    void absent_and_null_read_as_default() {
      ConfigReader r = ConfigReader.of(new JsonObject().putNull("port"));
      assertThat(r.integer("port", 8080, 0, 65535)).isEqualTo(8080);
      assertThat(r.string("host", "127.0.0.1")).isEqualTo("127.0.0.1");
      assertThat(r.bool("enabled", true)).isTrue();
      assertThat(r.strings("hosts", List.of("a"))).containsExactly("a");
      r.done();
    }

    @Test
    void null_json_reads_as_empty() {
      ConfigReader r = ConfigReader.of(null);
      assertThat(r.longValue("x", 5, 0, 10)).isEqualTo(5);
      r.done();
    }
  }

  @Nested
  @DisplayName("wrong types and ranges are rejected with path and value")
  class Rejections {
    @Test
    void string_where_integer_expected() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("maxInFlight", "ten"), "verticles.fetch.config");
      assertThatThrownBy(() -> r.integer("maxInFlight", 1, 1, 100))
        .isInstanceOf(ConfigException.class)
        .hasMessage("verticles.fetch.config.maxInFlight: must be an integer in [1, 100], got \"ten\"");
    }

    @Test
    void decimal_is_not_an_integer() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("n", 10.5));
      assertThatThrownBy(() -> r.integer("n", 1, 1, 100)).hasMessageContaining("got 10.5");
    }

    @Test
    void out_of_range() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("thresholdMs", 0));
      assertThatThrownBy(() -> r.longValue("thresholdMs", 100, 1, Long.MAX_VALUE))
        .hasMessage("thresholdMs: must be an integer in [1, ∞), got 0");
    }

    @Test
    void number_where_string_expected() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("host", 7));
      assertThatThrownBy(() -> r.string("host", "x")).hasMessage("host: must be a string, got 7");
    }

    @Test
    void empty_string() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("host", ""));
      assertThatThrownBy(() -> r.string("host", "x")).hasMessage("host: must not be empty");
    }

    @Test
    void string_where_boolean_expected() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("enabled", "yes"));
      assertThatThrownBy(() -> r.bool("enabled", false)).hasMessage("enabled: must be true or false, got \"yes\"");
    }

    @Test
    void not_one_of_the_allowed_values() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("mode", "fastest"));
      assertThatThrownBy(() -> r.oneOf("mode", "all", "all", "settled"))
        .hasMessage("mode: must be one of all, settled, got \"fastest\"");
    }

    @Test
    void array_item_of_wrong_type_names_its_index() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("hosts", new JsonArray().add("a").add(3)), "fetch");
      assertThatThrownBy(() -> r.strings("hosts", List.of()))
        .hasMessage("fetch.hosts[1]: must be a non-empty string, got 3");
    }

    @Test
    void required_string_missing() {
      ConfigReader r = ConfigReader.of(new JsonObject(), "verticles.x");
      assertThatThrownBy(() -> r.requiredString("class")).hasMessage("verticles.x.class: is required (a string)");
    }

    @Test
    void nan_number() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("ratio", Double.NaN));
      assertThatThrownBy(() -> r.number("ratio", 0.1, 0, 1)).hasMessageContaining("ratio: must be a number");
    }
  }

  @Nested
  @DisplayName("unknown keys")
  class UnknownKeys {
    @Test
    void typo_is_rejected_with_a_suggestion() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("maxInflight", 3), "fetch");
      r.integer("maxInFlight", 1, 1, 10);
      r.string("address", "a");
      assertThatThrownBy(r::done)
        .isInstanceOf(ConfigException.class)
        .hasMessage("fetch.maxInflight: unknown key (did you mean 'maxInFlight'?); known keys: maxInFlight, address");
    }

    @Test
    void far_off_key_gets_no_suggestion() {
      ConfigReader r = ConfigReader.of(new JsonObject().put("zzzzzzzz", 3));
      r.integer("port", 1, 1, 10);
      assertThatThrownBy(r::done).hasMessage("zzzzzzzz: unknown key; known keys: port");
    }

    @Test
    void nested_sections_report_full_paths() {
      JsonObject json = new JsonObject().put("routes", new JsonArray()
        .add(new JsonObject().put("address", "a"))
        .add(new JsonObject().put("address", "b").put("retry", new JsonObject().put("maxAttempts", -1))));
      ConfigReader r = ConfigReader.of(json);
      List<ConfigReader> routes = r.sections("routes");
      routes.get(0).string("address", null);
      routes.get(0).done();
      ConfigReader retry = routes.get(1).section("retry");
      assertThatThrownBy(() -> retry.integer("maxAttempts", 1, 1, 10))
        .hasMessage("routes[1].retry.maxAttempts: must be an integer in [1, 10], got -1");
    }
  }

  @Test
  void within_prefixes_the_path_and_names_the_source() {
    ConfigException e = new ConfigException("port", "must be an integer").within("conf/a.json", "verticles.u.config");
    assertThat(e.getMessage()).isEqualTo("conf/a.json: verticles.u.config.port: must be an integer");
    assertThat(e.getStackTrace()).isEmpty();
  }
}
