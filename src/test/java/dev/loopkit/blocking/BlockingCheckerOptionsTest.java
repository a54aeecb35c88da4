package dev.loopkit.blocking;

import dev.loopkit.config.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("BlockingCheckerOptions")
class BlockingCheckerOptionsTest {

  @Test
  void defaults_are_the_documented_constants() {
    BlockingCheckerOptions o = new BlockingCheckerOptions();
    assertThat(o.getThresholdMs()).isEqualTo(BlockingCheckerOptions.DEFAULT_THRESHOLD_MS).isEqualTo(100);
    assertThat(o.getAddress()).isEqualTo(BlockingCheckerOptions.DEFAULT_ADDRESS).isEqualTo("loopkit.blocking");
    assertThat(o.getReportAddress()).isEqualTo("loopkit.blocking.report");
    assertThat(o.getWorkerThresholdMs()).isEqualTo(BlockingCheckerOptions.DEFAULT_WORKER_THRESHOLD_MS);
    assertThat(o.getHeartbeatMs()).isEqualTo(BlockingCheckerOptions.DEFAULT_HEARTBEAT_MS);
    assertThat(o.getSampleIntervalMs()).isEqualTo(BlockingCheckerOptions.DEFAULT_SAMPLE_INTERVAL_MS);
    assertThat(o.effectiveSampleIntervalMs()).isEqualTo(10);
    assertThat(o.isStrict()).isEqualTo(BlockingCheckerOptions.DEFAULT_STRICT).isFalse();
    assertThat(o.getStrictThresholdMs()).isEqualTo(BlockingCheckerOptions.DEFAULT_STRICT_THRESHOLD_MS);
    assertThat(o.getMaxStackDepth()).isEqualTo(BlockingCheckerOptions.DEFAULT_MAX_STACK_DEPTH);
    assertThat(o.getFrameworkPackages()).isEmpty();
    assertThat(o.isReplaceVertxLog()).isTrue();
    assertThat(o.getLogStacks()).isEqualTo("once");
    assertThat(o.getTopCulprits()).isEqualTo(BlockingCheckerOptions.DEFAULT_TOP_CULPRITS);
    assertThat(o.getRecentIncidents()).isEqualTo(BlockingCheckerOptions.DEFAULT_RECENT_INCIDENTS);
    assertThat(new BlockingCheckerOptions(new JsonObject()).toJson()).isEqualTo(o.toJson());
    assertThat(new BlockingCheckerOptions((JsonObject) null).toJson()).isEqualTo(o.toJson());
  }

  @Test
  void json_round_trip_and_copy() {
    BlockingCheckerOptions o = new BlockingCheckerOptions().setThresholdMs(20).setAddress("a.b").setReportAddress("a.b.report")
      .setWorkerThresholdMs(0).setHeartbeatMs(5).setSampleIntervalMs(2).setStrict(true).setStrictThresholdMs(1)
      .setMaxStackDepth(32).setFrameworkPackages(List.of("com.acme.platform.")).setReplaceVertxLog(false)
      .setLogStacks("never").setTopCulprits(3).setRecentIncidents(0);
    JsonObject json = o.toJson();
    assertThat(new BlockingCheckerOptions(json).toJson()).isEqualTo(json);
    assertThat(new BlockingCheckerOptions(o).toJson()).isEqualTo(json);
    assertThat(json.getJsonArray("frameworkPackages")).isEqualTo(new JsonArray().add("com.acme.platform."));
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
    "{\"thresholdMs\": 0}|thresholdMs: must be an integer in [1, 3600000], got 0",
    "{\"thresholdMs\": -5}|thresholdMs: must be an integer in [1, 3600000], got -5",
    "{\"thresholdMs\": \"100\"}|thresholdMs: must be an integer in [1, 3600000], got \"100\"",
    "{\"thresholdMs\": 1.5}|thresholdMs: must be an integer in [1, 3600000], got 1.5",
    "{\"treshold\": 100}|treshold: unknown key",
    "{\"thresholdMS\": 100}|(did you mean 'thresholdMs'?)",
    "{\"address\": 7}|address: must be a string, got 7",
    "{\"address\": \"\"}|address: must not be empty",
    "{\"strict\": \"yes\"}|strict: must be true or false, got \"yes\"",
    "{\"workerThresholdMs\": -1}|workerThresholdMs: must be an integer in [0, ",
    "{\"heartbeatMs\": 0}|heartbeatMs: must be an integer in [1, 1000], got 0",
    "{\"logStacks\": \"sometimes\"}|logStacks: must be one of once, always, never, got \"sometimes\"",
    "{\"frameworkPackages\": [\"ok.\", 3]}|frameworkPackages[1]: must be a non-empty string, got 3",
    "{\"maxStackDepth\": 2}|maxStackDepth: must be an integer in [4, 1024], got 2"
  })
  void bad_values_are_rejected_with_their_path(String json, String message) {
    assertThatThrownBy(() -> new BlockingCheckerOptions(new JsonObject(json)))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining(message);
  }

  @Test
  void setters_validate_too() {
    assertThatThrownBy(() -> new BlockingCheckerOptions().setThresholdMs(0))
      .isInstanceOf(ConfigException.class).hasMessage("thresholdMs: must be an integer in [1, 3600000], got 0");
    assertThatThrownBy(() -> new BlockingCheckerOptions().setAddress(""))
      .isInstanceOf(ConfigException.class).hasMessageStartingWith("address:");
    assertThatThrownBy(() -> new BlockingCheckerOptions().setLogStacks("x")).isInstanceOf(ConfigException.class);
  }

  @Test
  void auto_sampling_interval_follows_the_threshold() {
    assertThat(new BlockingCheckerOptions().setThresholdMs(5).effectiveSampleIntervalMs()).isEqualTo(1);
    assertThat(new BlockingCheckerOptions().setThresholdMs(20).effectiveSampleIntervalMs()).isEqualTo(2);
    assertThat(new BlockingCheckerOptions().setThresholdMs(10_000).effectiveSampleIntervalMs()).isEqualTo(50);
    assertThat(new BlockingCheckerOptions().setThresholdMs(10_000).setSampleIntervalMs(7).effectiveSampleIntervalMs()).isEqualTo(7);
  }
}
