package dev.loopkit.http;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.console.ConsoleOptions;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("HttpFrontOptions: strict, documented defaults, JSON round trip")
class HttpFrontOptionsTest {

  @Test
  void defaults_are_the_documented_constants() {
    HttpFrontOptions o = new HttpFrontOptions(new JsonObject());
    assertThat(o.getHost()).isEqualTo(HttpFrontOptions.DEFAULT_HOST).isEqualTo("127.0.0.1");
    assertThat(o.getPort()).isEqualTo(HttpFrontOptions.DEFAULT_PORT);
    assertThat(o.isEnabled()).isEqualTo(HttpFrontOptions.DEFAULT_ENABLED);
    assertThat(o.getFetchAddress()).isEqualTo(HttpFrontOptions.DEFAULT_FETCH_ADDRESS);
    assertThat(o.getBlockingReportAddress()).isEqualTo(HttpFrontOptions.DEFAULT_BLOCKING_REPORT_ADDRESS);
    assertThat(o.getRequestTimeoutMs()).isEqualTo(HttpFrontOptions.DEFAULT_REQUEST_TIMEOUT_MS);
    assertThat(o.getMaxBodyBytes()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_BODY_BYTES);
    assertThat(o.getMaxBufferedBodyBytes()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_BUFFERED_BODY_BYTES);
    assertThat(o.getMaxJsonDepth()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_JSON_DEPTH);
    assertThat(o.getMaxJsonValues()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_JSON_VALUES);
    assertThat(o.getMaxReplyBytes()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_REPLY_BYTES);
    assertThat(o.getMaxConnections()).isEqualTo(HttpFrontOptions.DEFAULT_MAX_CONNECTIONS).isEqualTo(1000);
    assertThat(o.getIdleTimeoutMs()).isEqualTo(HttpFrontOptions.DEFAULT_IDLE_TIMEOUT_MS);
    assertThat(o.getRequestHeadTimeoutMs()).isEqualTo(HttpFrontOptions.DEFAULT_REQUEST_HEAD_TIMEOUT_MS);
    assertThat(o.getRequestBodyTimeoutMs()).isEqualTo(HttpFrontOptions.DEFAULT_REQUEST_BODY_TIMEOUT_MS);
    assertThat(new HttpFrontOptions().toJson()).isEqualTo(o.toJson());
  }

  @Test
  void json_round_trip() {
    HttpFrontOptions o = new HttpFrontOptions().setHost("localhost").setPort(0).setEnabled(false).setFetchAddress("f")
      .setBlockingReportAddress("b").setRequestTimeoutMs(5).setMaxBodyBytes(10).setMaxBufferedBodyBytes(20)
      .setMaxJsonDepth(3).setMaxJsonValues(4).setMaxReplyBytes(2048).setMaxConnections(6).setIdleTimeoutMs(7)
      .setRequestHeadTimeoutMs(8).setRequestBodyTimeoutMs(9);
    JsonObject json = o.toJson();
    assertThat(new HttpFrontOptions(json).toJson()).isEqualTo(json);
    assertThat(new HttpFrontOptions(o).toJson()).isEqualTo(json);
    assertThat(json.fieldNames()).hasSize(16);
    assertThat(json.getJsonObject("console")).isEqualTo(new ConsoleOptions().toJson());
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', textBlock = """
    maxConnections       | 0          | maxConnections: must be an integer in [1, 1000000], got 0
    maxConnections       | "many"     | maxConnections: must be an integer in [1, 1000000], got "many"
    idleTimeoutMs        | 0          | idleTimeoutMs: must be an integer in [1, 86400000], got 0
    requestHeadTimeoutMs | -1         | requestHeadTimeoutMs: must be an integer in [1, 3600000], got -1
    requestBodyTimeoutMs | 1.5        | requestBodyTimeoutMs: must be an integer in [1, 3600000], got 1.5
    maxReplyBytes        | 10         | maxReplyBytes: must be an integer in [1024, 1073741824], got 10
    maxJsonDepth         | 1001       | maxJsonDepth: must be an integer in [1, 1000], got 1001
    maxJsonValues        | 0          | maxJsonValues: must be an integer in [1, 100000000], got 0
    maxBufferedBodyBytes | 0          | maxBufferedBodyBytes: must be an integer in
    maxBodyBytes         | 0          | maxBodyBytes: must be an integer in [1, 268435456], got 0
    port                 | 70000      | port: must be an integer in [0, 65535], got 70000
    """)
  void invalid_values_are_refused_naming_the_key(String key, String value, String message) {
    JsonObject json = new JsonObject("{\"" + key + "\": " + value + "}");
    assertThatThrownBy(() -> new HttpFrontOptions(json)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void unknown_keys_are_refused() {
    assertThatThrownBy(() -> new HttpFrontOptions(new JsonObject().put("maxConnection", 5)))
      .isInstanceOf(ConfigException.class).hasMessageContaining("maxConnection");
  }

  @Test
  void buffered_bodies_must_hold_at_least_one_body() {
    assertThatThrownBy(() -> new HttpFrontOptions(new JsonObject().put("maxBodyBytes", 100).put("maxBufferedBodyBytes", 99)))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("maxBufferedBodyBytes: must be at least maxBodyBytes (100), got 99");
  }

  @Test
  void errors_in_the_app_config_name_the_http_section() {
    assertThatThrownBy(() -> AppConfig.read(new JsonObject().put("http", new JsonObject().put("idleTimeoutMs", "soon"))))
      .isInstanceOf(ConfigException.class).hasMessageContaining("http.idleTimeoutMs");
  }

  @Test
  void the_banner_says_whether_the_front_is_loopback_only() {
    assertThat(HttpFrontVerticle.routes("127.0.0.1")).endsWith("(loopback only)");
    assertThat(HttpFrontVerticle.routes("localhost")).endsWith("(loopback only)");
    assertThat(HttpFrontVerticle.routes("::1")).endsWith("(loopback only)");
    assertThat(HttpFrontVerticle.routes("127.1.2.3")).endsWith("(loopback only)");
    assertThat(HttpFrontVerticle.routes("0.0.0.0")).contains("WARNING: bound to 0.0.0.0, not loopback");
    assertThat(HttpFrontVerticle.routes("10.1.2.3")).contains("WARNING");
    assertThat(HttpFrontVerticle.routes("front.example")).contains("WARNING");
  }
}
