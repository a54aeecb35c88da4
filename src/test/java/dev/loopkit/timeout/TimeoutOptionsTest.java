package dev.loopkit.timeout;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigLoader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("TimeoutOptions and route options: strict, documented defaults, JSON round trip")
class TimeoutOptionsTest {

  private static JsonObject route(String extra) {
    return new JsonObject("{\"address\": \"a.guarded\", \"target\": \"a\"" + (extra.isEmpty() ? "" : ", " + extra) + "}");
  }

  /** A config whose third route (routes[2]) gets {@code extra}. */
  private static JsonObject config(String extra) {
    return new JsonObject().put("routes", new JsonArray()
      .add(new JsonObject().put("address", "x.guarded").put("target", "x"))
      .add(new JsonObject().put("address", "y.guarded").put("target", "y"))
      .add(route(extra)));
  }

  @Test
  void defaults_are_the_documented_constants() {
    RouteOptions r = new RouteOptions(route(""));
    assertThat(r.getTimeoutMs()).isEqualTo(RouteOptions.DEFAULT_TIMEOUT_MS);
    assertThat(r.isIdempotent()).isEqualTo(RouteOptions.DEFAULT_IDEMPOTENT);
    assertThat(r.getMinAttemptMs()).isEqualTo(RouteOptions.DEFAULT_MIN_ATTEMPT_MS);
    assertThat(r.getLateReplyWindowMs()).isEqualTo(RouteOptions.DEFAULT_LATE_REPLY_WINDOW_MS);
    assertThat(r.getFallbackOn()).isEqualTo(RouteOptions.DEFAULT_FALLBACK_ON);
    assertThat(r.getRetry()).isNull();
    assertThat(r.getHedge()).isNull();
    assertThat(r.getCircuitBreaker()).isNull();
    assertThat(r.getFallback()).isNull();
    RetryOptions retry = new RetryOptions(new JsonObject());
    assertThat(retry.getMaxAttempts()).isEqualTo(RetryOptions.DEFAULT_MAX_ATTEMPTS);
    assertThat(retry.getBackoffMs()).isEqualTo(RetryOptions.DEFAULT_BACKOFF_MS);
    assertThat(retry.getMaxBackoffMs()).isEqualTo(RetryOptions.DEFAULT_MAX_BACKOFF_MS);
    assertThat(retry.getJitter()).isEqualTo(RetryOptions.DEFAULT_JITTER);
    assertThat(retry.getRetryOn()).isEqualTo(RetryOptions.DEFAULT_RETRY_ON);
    assertThat(retry.getRetryOn().toJson()).isEqualTo(new JsonArray("[\"TIMEOUT\",\"NO_HANDLERS\",503]"));
    assertThat(retry.getAttemptTimeoutMs()).isEqualTo(RetryOptions.DEFAULT_ATTEMPT_TIMEOUT_MS);
    HedgeOptions hedge = new HedgeOptions(new JsonObject());
    assertThat(hedge.getDelayMs()).isEqualTo(HedgeOptions.DEFAULT_DELAY_MS);
    assertThat(hedge.getMaxExtra()).isEqualTo(HedgeOptions.DEFAULT_MAX_EXTRA);
    assertThat(hedge.getNonFatal()).isEqualTo(HedgeOptions.DEFAULT_NON_FATAL);
    BreakerOptions breaker = new BreakerOptions(new JsonObject());
    assertThat(breaker.getMaxFailures()).isEqualTo(BreakerOptions.DEFAULT_MAX_FAILURES);
    assertThat(breaker.getResetTimeoutMs()).isEqualTo(BreakerOptions.DEFAULT_RESET_TIMEOUT_MS);
    assertThat(breaker.getFailuresRollingWindowMs()).isEqualTo(BreakerOptions.DEFAULT_FAILURES_ROLLING_WINDOW_MS);
    assertThat(breaker.getFailOn()).isEqualTo(BreakerOptions.DEFAULT_FAIL_ON);
    assertThat(breaker.getNotificationAddress()).isEqualTo(BreakerOptions.DEFAULT_NOTIFICATION_ADDRESS);
    RetryBudgetOptions budget = new RetryBudgetOptions(new JsonObject());
    assertThat(budget.getRatio()).isEqualTo(RetryBudgetOptions.DEFAULT_RATIO);
    assertThat(budget.getMaxTokens()).isEqualTo(RetryBudgetOptions.DEFAULT_MAX_TOKENS);
    TimeoutOptions t = new TimeoutOptions(config(""));
    assertThat(t.getAddress()).isEqualTo(TimeoutOptions.DEFAULT_ADDRESS);
    assertThat(t.getStatsAddress()).isEqualTo(TimeoutOptions.DEFAULT_STATS_ADDRESS);
    assertThat(t.getRoutes()).hasSize(3);
  }

  @Test
  void json_round_trips() {
    JsonObject full = new JsonObject()
      .put("address", "my.timeout").put("statsAddress", "my.stats")
      .put("routes", new JsonArray()
        .add(route("\"timeoutMs\": 500, \"minAttemptMs\": 5, \"lateReplyWindowMs\": 0,"
          + "\"retry\": {\"maxAttempts\": 4, \"backoffMs\": 5, \"maxBackoffMs\": 80, \"jitter\": \"equal\","
          + " \"retryOn\": [\"TIMEOUT\", 502], \"attemptTimeoutMs\": 100},"
          + "\"circuitBreaker\": {\"maxFailures\": 2, \"resetTimeoutMs\": 500, \"failuresRollingWindowMs\": 2000,"
          + " \"failOn\": [500], \"notificationAddress\": \"my.breaker\"},"
          + "\"retryBudget\": {\"ratio\": 0.5, \"maxTokens\": 3},"
          + "\"fallback\": {\"items\": []}, \"fallbackOn\": [\"CIRCUIT_OPEN\"]"))
        .add(new JsonObject("{\"address\": \"b.guarded\", \"target\": \"b\", \"idempotent\": true,"
          + " \"hedge\": {\"delayMs\": 7, \"maxExtra\": 2, \"nonFatal\": [\"NO_HANDLERS\"]}, \"fallback\": \"n/a\"}")));
    TimeoutOptions options = new TimeoutOptions(full);
    JsonObject once = options.toJson();
    assertThat(new TimeoutOptions(once).toJson()).isEqualTo(once);
    assertThat(new TimeoutOptions(options).toJson()).isEqualTo(once);
    RouteOptions first = options.getRoutes().get(0);
    assertThat(first.getRetry().getJitter()).isEqualTo("equal");
    assertThat(first.getRetry().getRetryOn().containsCode(502)).isTrue();
    assertThat(first.getCircuitBreaker().toCircuitBreakerOptions().getTimeout()).isEqualTo(-1);
    assertThat(first.getCircuitBreaker().toCircuitBreakerOptions().getNotificationAddress()).isNull();
    assertThat(first.getFallback()).isEqualTo(new JsonObject().put("items", new JsonArray()));
    assertThat(options.getRoutes().get(1).getFallback()).isEqualTo("n/a");
    assertThat(options.getRoutes().get(1).getHedge().getMaxExtra()).isEqualTo(2);
  }

  @ParameterizedTest(name = "{0} → {1}")
  @CsvSource(delimiter = '|', value = {
    "\"retry\": {\"maxAttempts\": 0}                  | routes[2].retry.maxAttempts: must be an integer in [1, 100], got 0",
    "\"retry\": {\"maxAttempts\": \"3\"}              | routes[2].retry.maxAttempts: must be an integer in [1, 100], got \"3\"",
    "\"retry\": {\"jitter\": \"random\"}              | routes[2].retry.jitter: must be one of full, equal, none, got \"random\"",
    "\"retry\": {\"retryOn\": [\"timeout\"]}          | routes[2].retry.retryOn[0]: must be a failure kind (TIMEOUT, NO_HANDLERS, RECIPIENT_FAILURE, CIRCUIT_OPEN) or a failure code (integer), got \"timeout\" (did you mean \"TIMEOUT\"?",
    "\"retry\": {\"retryOn\": [\"CIRCUIT_OPEN\"]}     | routes[2].retry.retryOn[0]: CIRCUIT_OPEN is not allowed here",
    "\"retry\": {\"retryOn\": [503, 503]}             | routes[2].retry.retryOn[1]: duplicate entry 503",
    "\"retry\": {\"retryOn\": 503}                    | routes[2].retry.retryOn: must be an array",
    "\"retry\": {\"backoffMs\": 100, \"maxBackoffMs\": 50} | routes[2].retry.maxBackoffMs: must be at least backoffMs (100), got 50",
    "\"retry\": {\"maxAtempts\": 3}                   | routes[2].retry.maxAtempts: unknown key (did you mean 'maxAttempts'?)",
    "\"timeoutMs\": 0                                 | routes[2].timeoutMs: must be an integer in [1, 3600000], got 0",
    "\"timeoutMs\": 100, \"minAttemptMs\": 100        | routes[2].minAttemptMs: must be below timeoutMs (100), got 100",
    "\"hedge\": {}                                    | routes[2].hedge: hedging sends the same request more than once; set \"idempotent\": true",
    "\"idempotent\": true, \"hedge\": {}, \"retry\": {} | routes[2].hedge: retry and hedge are exclusive",
    "\"idempotent\": true, \"hedge\": {\"maxExtra\": 11} | routes[2].hedge.maxExtra: must be an integer in [1, 10], got 11",
    "\"circuitBreaker\": {\"failuresRollingWindowMs\": 10} | routes[2].circuitBreaker.failuresRollingWindowMs: must be an integer in [1000, 3600000], got 10",
    "\"circuitBreaker\": true                         | routes[2].circuitBreaker: must be a JSON object, got true",
    "\"retryBudget\": {\"ratio\": -1}                 | routes[2].retryBudget.ratio: must be a number in [0.0, 10.0], got -1",
    "\"fallback\": null, \"fallbackOn\": [\"OOPS\"]   | routes[2].fallbackOn[0]: must be a failure kind",
    "\"lateReplyWindowMs\": -1                        | routes[2].lateReplyWindowMs: must be an integer in [0, 60000], got -1",
    "\"timeout\": 100                                 | routes[2].timeout: unknown key (did you mean 'timeoutMs'?)",
  })
  void bad_route_config_names_the_path(String extra, String expected) {
    assertThatThrownBy(() -> new TimeoutOptions(config(extra)))
      .isInstanceOf(ConfigException.class)
      .hasMessageStartingWith(expected.trim());
  }

  @Test
  void route_addresses_must_be_unique_and_not_the_verticles_own() {
    JsonObject dup = config("").put("routes", config("").getJsonArray("routes").add(route("")));
    assertThatThrownBy(() -> new TimeoutOptions(dup)).hasMessage(
      "routes[3].address: \"a.guarded\" is already the address of routes[2]; each route needs its own address");
    JsonObject own = new JsonObject().put("routes", new JsonArray().add(new JsonObject()
      .put("address", TimeoutOptions.DEFAULT_STATS_ADDRESS).put("target", "z")));
    assertThatThrownBy(() -> new TimeoutOptions(own)).hasMessageContaining("routes[0].address")
      .hasMessageContaining("statsAddress");
    JsonObject loop = new JsonObject().put("routes", new JsonArray().add(new JsonObject()
      .put("address", "z").put("target", "z")));
    assertThatThrownBy(() -> new TimeoutOptions(loop)).hasMessageStartingWith("routes[0].target: must differ from address");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "a Vert.x address    | {\"address\": \"p\", \"target\": \"__vertx.reply.1\"}  | routes[0].target: \"__vertx.reply.1\" is a reserved address",
    "the cancel address  | {\"address\": \"p\", \"target\": \"loopkit.cancel\"}   | routes[0].target: \"loopkit.cancel\" is a reserved address",
    "its own address     | {\"address\": \"p\", \"target\": \"loopkit.timeout\"}  | routes[0].target: \"loopkit.timeout\" is the verticle's own address",
    "its stats address   | {\"address\": \"p\", \"target\": \"loopkit.timeout.stats\"} | routes[0].target: \"loopkit.timeout.stats\" is the verticle's own statsAddress",
    "notifications into a route | {\"address\": \"p\", \"target\": \"q\", \"circuitBreaker\": {\"notificationAddress\": \"p\"}} | routes[0].circuitBreaker.notificationAddress: \"p\" is an address this verticle serves",
    "notifications to cancel | {\"address\": \"p\", \"target\": \"q\", \"circuitBreaker\": {\"notificationAddress\": \"loopkit.cancel\"}} | routes[0].circuitBreaker.notificationAddress: \"loopkit.cancel\" is a reserved address",
  })
  void addresses_that_would_loop_or_reach_reserved_ones_are_refused(String name, String route, String expected) {
    JsonObject config = new JsonObject().put("routes", new JsonArray().add(new JsonObject(route)));
    assertThatThrownBy(() -> new TimeoutOptions(config)).isInstanceOf(ConfigException.class).hasMessageStartingWith(expected.trim());
  }

  @Test
  void routes_must_not_form_a_loop() {
    JsonObject config = new JsonObject().put("routes", new JsonArray()
      .add(new JsonObject().put("address", "a").put("target", "b"))
      .add(new JsonObject().put("address", "b").put("target", "c"))
      .add(new JsonObject().put("address", "c").put("target", "a")));
    assertThatThrownBy(() -> new TimeoutOptions(config))
      .hasMessage("routes[0].target: \"b\" leads back to this route (a): routes must not form a loop");
    // a chain is fine
    JsonObject chain = new JsonObject().put("routes", new JsonArray()
      .add(new JsonObject().put("address", "a").put("target", "b"))
      .add(new JsonObject().put("address", "b").put("target", "svc")));
    assertThat(new TimeoutOptions(chain).getRoutes()).hasSize(2);
  }

  @Test
  void required_fields_and_empty_routes_are_rejected() {
    assertThatThrownBy(() -> new TimeoutOptions(new JsonObject()))
      .hasMessageStartingWith("routes: must list at least one route");
    assertThatThrownBy(() -> new TimeoutOptions(new JsonObject().put("routes", new JsonArray().add(new JsonObject().put("address", "q")))))
      .hasMessage("routes[0].target: is required (a string)");
    assertThatThrownBy(() -> new TimeoutOptions(new JsonObject().put("routes", new JsonArray().add("q"))))
      .hasMessage("routes[0]: must be a JSON object, got \"q\"");
    assertThatThrownBy(() -> new TimeoutOptions(new JsonObject().put("routes", new JsonArray()).put("adress", "x")))
      .hasMessageContaining("adress: unknown key (did you mean 'address'?)");
  }

  @Test
  void the_verticle_checks_its_section_with_full_paths_in_the_app_config() {
    JsonObject app = new JsonObject().put("http", new JsonObject().put("enabled", false))
      .put("verticles", new JsonObject().put("timeout", new JsonObject()
        .put("class", TimeoutVerticle.class.getName())
        .put("config", config("\"retry\": {\"maxAttempts\": -2}"))));
    assertThatThrownBy(() -> AppConfig.read(app)).isInstanceOf(ConfigException.class)
      .hasMessage("verticles.timeout.config.routes[2].retry.maxAttempts: must be an integer in [1, 100], got -2");
  }

  @Test
  void the_shipped_application_config_is_valid() throws Exception {
    String text = Files.readString(Path.of("conf/application.json"));
    AppConfig app = AppConfig.read(ConfigLoader.parseStrict("conf/application.json", text));
    assertThat(app.verticles()).anyMatch(v -> v.className().equals(TimeoutVerticle.class.getName()));
  }
}
