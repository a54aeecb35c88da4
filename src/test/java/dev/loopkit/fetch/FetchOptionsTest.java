package dev.loopkit.fetch;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.VerticleSpec;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("FetchOptions: documented defaults, JSON round trip, strict validation")
class FetchOptionsTest {

  @Test
  void defaults_are_the_documented_constants() {
    FetchOptions o = new FetchOptions();
    assertThat(o.getAddress()).isEqualTo(FetchOptions.DEFAULT_ADDRESS).isEqualTo("loopkit.fetch");
    assertThat(o.getAllowedHosts()).isEqualTo(FetchOptions.DEFAULT_ALLOWED_HOSTS).isEmpty();
    assertThat(o.getDeniedHosts()).isEqualTo(FetchOptions.DEFAULT_DENIED_HOSTS);
    assertThat(o.getMaxInFlight()).isEqualTo(FetchOptions.DEFAULT_MAX_IN_FLIGHT);
    assertThat(o.getMaxPerHost()).isEqualTo(FetchOptions.DEFAULT_MAX_PER_HOST);
    assertThat(o.getMaxQueue()).isEqualTo(FetchOptions.DEFAULT_MAX_QUEUE);
    assertThat(o.getMaxCalls()).isEqualTo(FetchOptions.DEFAULT_MAX_CALLS);
    assertThat(o.getMaxRequestsPerCall()).isEqualTo(FetchOptions.DEFAULT_MAX_REQUESTS_PER_CALL).isEqualTo(10_000);
    assertThat(o.getDefaultConcurrency()).isEqualTo(FetchOptions.DEFAULT_CONCURRENCY);
    assertThat(o.getMaxBodyBytes()).isEqualTo(FetchOptions.DEFAULT_MAX_BODY_BYTES);
    assertThat(o.getMaxRedirects()).isEqualTo(FetchOptions.DEFAULT_MAX_REDIRECTS);
    assertThat(o.getMaxCallBytes()).isEqualTo(FetchOptions.DEFAULT_MAX_CALL_BYTES).isEqualTo(32L * 1024 * 1024);
    assertThat(o.getProgressAddressPrefix()).isEqualTo(FetchOptions.DEFAULT_PROGRESS_ADDRESS_PREFIX).isEqualTo("loopkit.progress.");
    assertThat(o.getTimeoutMs()).isEqualTo(FetchOptions.DEFAULT_TIMEOUT_MS);
    assertThat(o.getRequestTimeoutMs()).isEqualTo(FetchOptions.DEFAULT_REQUEST_TIMEOUT_MS);
    assertThat(o.getMaxTimeoutMs()).isEqualTo(FetchOptions.DEFAULT_MAX_TIMEOUT_MS).isLessThan(30_000);
    assertThat(o.getDeadlineMarginMs()).isEqualTo(FetchOptions.DEFAULT_DEADLINE_MARGIN_MS);
    assertThat(o.getConnectTimeoutMs()).isEqualTo(FetchOptions.DEFAULT_CONNECT_TIMEOUT_MS);
    assertThat(o.getKeepAliveTimeoutMs()).isEqualTo(FetchOptions.DEFAULT_KEEP_ALIVE_TIMEOUT_MS);
    assertThat(o.isPipelining()).isEqualTo(FetchOptions.DEFAULT_PIPELINING);
    assertThat(o.getEventLoops()).isEqualTo(FetchOptions.DEFAULT_EVENT_LOOPS);
    assertThat(o.getBudgetHeader()).isEqualTo(FetchOptions.DEFAULT_BUDGET_HEADER).isEqualTo("loopkit-timeout-ms");
    assertThat(o.isSendBudget()).isEqualTo(FetchOptions.DEFAULT_SEND_BUDGET);
    assertThat(o.getUserAgent()).isEqualTo(FetchOptions.DEFAULT_USER_AGENT);
    assertThat(new FetchOptions(new JsonObject()).toJson()).isEqualTo(o.toJson());
  }

  @Test
  void json_round_trips_and_copies_are_independent() {
    FetchOptions o = new FetchOptions().setAddress("my.fetch").setAllowedHosts(List.of("*.example.com", "10.0.0.0/8"))
      .setDeniedHosts(List.of("10.9.0.0/16")).setMaxInFlight(100).setMaxPerHost(10).setMaxQueue(0).setMaxCalls(5)
      .setMaxRequestsPerCall(50).setDefaultConcurrency(4).setMaxBodyBytes(1000).setMaxRedirects(0).setTimeoutMs(500)
      .setRequestTimeoutMs(200).setMaxTimeoutMs(1000).setDeadlineMarginMs(0).setConnectTimeoutMs(100)
      .setKeepAliveTimeoutMs(0).setPipelining(true).setEventLoops(2).setShards(3).setBudgetHeader("x-budget").setSendBudget(false)
      .setUserAgent("me/1").setMaxCallBytes(4096).setProgressAddressPrefix("app.progress.");
    FetchOptions back = new FetchOptions(o.toJson());
    assertThat(back.toJson()).isEqualTo(o.toJson());
    FetchOptions copy = new FetchOptions(o);
    copy.addAllowedHost("other.example");
    assertThat(o.getAllowedHosts()).hasSize(2);
    assertThat(copy.toJson()).isNotEqualTo(o.toJson());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = ';', value = {
    "maxInFlight; \"ten\"; maxInFlight: must be an integer in [1, 1000000], got \"ten\"",
    "maxInFlight; 0; maxInFlight: must be an integer",
    "maxPerHost; 1000; maxPerHost: must be at most maxInFlight (512), got 1000",
    "maxQueue; -1; maxQueue: must be an integer",
    "maxRequestsPerCall; 0; maxRequestsPerCall: must be an integer",
    "maxBodyBytes; 1.5; maxBodyBytes: must be an integer",
    "maxRedirects; 51; maxRedirects: must be an integer in [0, 50]",
    "timeoutMs; 30000; timeoutMs: must be at most maxTimeoutMs (29000)",
    "requestTimeoutMs; -1; requestTimeoutMs: must be an integer",
    "connectTimeoutMs; 0; connectTimeoutMs: must be an integer",
    "eventLoops; 65; eventLoops: must be an integer in [0, 64]",
    "shards; -1; shards: must be an integer in [0, 64]",
    "pipelining; \"yes\"; pipelining: must be true or false",
    "address; \"\"; address: must not be empty",
    "budgetHeader; \"bad header\"; budgetHeader: must be an HTTP header name",
    "allowedHosts; \"*\"; allowedHosts: must be an array of strings",
    "allowedHosts; [\"ok.example\", 5]; allowedHosts[1]: must be a non-empty string",
    "allowedHosts; [\"ok.example\", \"10.0.0.0/99\"]; allowedHosts[1]: invalid host entry",
    "deniedHosts; [\"*\"]; deniedHosts[0]: invalid host entry",
    "maxInflight; 3; maxInflight: unknown key (did you mean 'maxInFlight'?)",
    "maxCallBytes; 0; maxCallBytes: must be an integer",
    "maxCallBytes; \"32m\"; maxCallBytes: must be an integer",
    "progressAddressPrefix; \"\"; progressAddressPrefix: must not be empty",
    "progressAddressPrefix; 7; progressAddressPrefix: must be a string",
    "progressAddressPrefix; \"loopkit.\"; progressAddressPrefix: must not be a prefix of the reserved address 'loopkit.fetch'",
    "progressAddressPrefix; \"loopkit.c\"; progressAddressPrefix: must not be a prefix of the reserved address 'loopkit.cancel'",
    "progressAddressPrefix; \"l\"; progressAddressPrefix: must not be a prefix of the reserved address",
    "progressAddressPrefix; \"__vertx.\"; progressAddressPrefix: must not cover Vert.x's own",
    "progressAddressPrefix; \"__v\"; progressAddressPrefix: must not cover Vert.x's own",
    "progressAddressPrefix; \"my progress.\"; progressAddressPrefix: must be printable ASCII",
  })
  void invalid_values_are_rejected_naming_the_key(String key, String json, String message) {
    JsonObject config = new JsonObject("{\"" + key + "\": " + json + "}");
    assertThatThrownBy(() -> new FetchOptions(config)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void the_progress_prefix_may_not_cover_the_verticles_own_address() {
    JsonObject config = new JsonObject().put("address", "app.progress.fetch").put("progressAddressPrefix", "app.progress.");
    assertThatThrownBy(() -> new FetchOptions(config)).isInstanceOf(ConfigException.class)
      .hasMessageContaining("progressAddressPrefix: must not be a prefix of this verticle's address 'app.progress.fetch'");
    assertThat(new FetchOptions(new JsonObject().put("progressAddressPrefix", "app.progress.")).getProgressAddressPrefix())
      .isEqualTo("app.progress.");
  }

  @Test
  void the_fetch_verticle_checks_its_config_before_deployment() {
    assertThatThrownBy(() -> new FetchVerticle().checkConfig(new JsonObject().put("maxQueue", "lots")))
      .isInstanceOf(ConfigException.class).hasMessageContaining("maxQueue");
  }

  @Test
  void the_application_config_deploys_fetch_allowing_only_the_demo_upstream() throws Exception {
    JsonObject conf = new JsonObject(Files.readString(Path.of("conf/application.json")));
    AppConfig app = AppConfig.read(conf);
    VerticleSpec fetch = app.verticles().stream().filter(v -> v.className().equals(FetchVerticle.class.getName())).findFirst().orElseThrow();
    FetchOptions options = new FetchOptions(fetch.config());
    JsonObject upstream = conf.getJsonObject("verticles").getJsonObject("upstream").getJsonObject("config");
    assertThat(options.getAllowedHosts()).containsExactly(upstream.getString("host") + ":" + upstream.getInteger("port"));
    assertThat(options.getAddress()).isEqualTo(conf.getJsonObject("http", new JsonObject()).getString("fetchAddress", FetchOptions.DEFAULT_ADDRESS));
    assertThat(new JsonArray(options.getDeniedHosts())).isEmpty();
  }
}
