package dev.loopkit.console;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("ConsoleOptions (http.console)")
class ConsoleOptionsTest {

  static final String TOKEN = "0123456789abcdef0123";

  @Test
  void defaults_are_the_constants() {
    ConsoleOptions o = new ConsoleOptions();
    assertThat(o.isEnabled()).isEqualTo(ConsoleOptions.DEFAULT_ENABLED).isTrue();
    assertThat(o.getToken()).isEqualTo(ConsoleOptions.DEFAULT_TOKEN).isNull();
    assertThat(o.getMaxClients()).isEqualTo(ConsoleOptions.DEFAULT_MAX_CLIENTS);
    assertThat(o.getMaxQueuedEvents()).isEqualTo(ConsoleOptions.DEFAULT_MAX_QUEUED_EVENTS);
    assertThat(new ConsoleOptions(new JsonObject()).toJson()).isEqualTo(o.toJson());
    assertThat(new HttpFrontOptions().getConsole().toJson()).isEqualTo(o.toJson());
  }

  @Test
  void json_round_trip() {
    ConsoleOptions o = new ConsoleOptions().setEnabled(false).setToken(TOKEN).setMaxClients(3).setMaxQueuedEvents(7);
    JsonObject json = o.toJson();
    assertThat(json.fieldNames()).containsExactlyInAnyOrder("enabled", "token", "maxClients", "maxQueuedEvents");
    assertThat(new ConsoleOptions(json).toJson()).isEqualTo(json);
    assertThat(new ConsoleOptions(o).toJson()).isEqualTo(json);
    HttpFrontOptions front = new HttpFrontOptions().setConsole(o);
    assertThat(new HttpFrontOptions(front.toJson()).getConsole().toJson()).isEqualTo(json);
  }

  @Test
  void to_string_never_shows_the_token() {
    assertThat(new ConsoleOptions().setToken(TOKEN).toString()).doesNotContain(TOKEN).contains("token=set");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
    enabled         | 1                       | http.console.enabled: must be
    token           | "short"                 | http.console.token: must be 16 to 512 characters, got 5
    token           | "0123456789abcdef 0123" | http.console.token: may hold only letters, digits
    token           | "0123456789abcdef;0123" | http.console.token: may hold only letters, digits
    token           | 42                      | http.console.token: must be a string
    maxClients      | 0                       | http.console.maxClients: must be an integer in [1, 1000], got 0
    maxQueuedEvents | 0                       | http.console.maxQueuedEvents: must be an integer in [1, 100000], got 0
    tokn            | "x"                     | http.console.tokn: unknown key (did you mean 'token'?)
    """)
  void invalid_values_are_refused_naming_the_path(String key, String value, String message) {
    JsonObject app = new JsonObject("{\"http\": {\"console\": {\"" + key + "\": " + value + "}}}");
    assertThatThrownBy(() -> AppConfig.read(app)).isInstanceOf(ConfigException.class).hasMessageContaining(message)
      .satisfies(e -> assertThat(e.getMessage()).doesNotContain("0123456789abcdef"));
  }

  @Test
  void a_section_of_the_wrong_type_is_named() {
    assertThatThrownBy(() -> AppConfig.read(new JsonObject("{\"http\": {\"console\": true}}")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("http.console: must be a JSON object, got true");
  }
}
