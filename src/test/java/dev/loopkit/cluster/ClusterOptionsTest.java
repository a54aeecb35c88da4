package dev.loopkit.cluster;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
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

@DisplayName("ClusterOptions: documented defaults, JSON round trip, strict validation")
class ClusterOptionsTest {

  @Test
  void defaults_are_the_documented_constants() {
    ClusterOptions o = new ClusterOptions();
    assertThat(o.isEnabled()).isEqualTo(ClusterOptions.DEFAULT_ENABLED).isFalse();
    assertThat(o.getName()).isEqualTo(ClusterOptions.DEFAULT_NAME);
    assertThat(o.getNodeName()).isNull();
    assertThat(o.getHost()).isEqualTo(ClusterOptions.DEFAULT_HOST).isEqualTo("127.0.0.1");
    assertThat(o.getPort()).isEqualTo(ClusterOptions.DEFAULT_PORT).isEqualTo(5701);
    assertThat(o.getMembers()).isNull();
    assertThat(o.effectiveMembers()).containsExactly("127.0.0.1:5701");
    assertThat(o.getEventBusPort()).isEqualTo(ClusterOptions.DEFAULT_EVENT_BUS_PORT).isZero();
    assertThat(o.getMemberTimeoutMs()).isEqualTo(ClusterOptions.DEFAULT_MEMBER_TIMEOUT_MS).isLessThan(60_000);
    assertThat(new ClusterOptions(new JsonObject()).toJson()).isEqualTo(o.toJson());
  }

  @Test
  void json_round_trips_and_copies_are_independent() {
    ClusterOptions o = new ClusterOptions().setEnabled(true).setName("shop").setNodeName("a").setHost("127.0.0.1")
      .setPort(5801).setMembers(List.of("127.0.0.1:5801", "10.0.0.7", "10.0.0.8:5701-5703")).setEventBusPort(17001)
      .setMemberTimeoutMs(3_000);
    assertThat(new ClusterOptions(o.toJson()).toJson()).isEqualTo(o.toJson());
    ClusterOptions copy = new ClusterOptions(o).setMembers(List.of("10.0.0.9"));
    assertThat(o.getMembers()).hasSize(3);
    assertThat(copy.toJson()).isNotEqualTo(o.toJson());
  }

  @ParameterizedTest(name = "{0} = {1}")
  @CsvSource(delimiter = ';', value = {
    "enabled; \"yes\"; enabled: must be true or false, got \"yes\"",
    "port; 0; port: must be an integer in [1, 65535], got 0",
    "port; 70000; port: must be an integer in [1, 65535], got 70000",
    "eventBusPort; -1; eventBusPort: must be an integer in [0, 65535], got -1",
    "eventBusPort; 65536; eventBusPort: must be an integer in [0, 65535], got 65536",
    "members; []; members: must name at least one member (host:port)",
    "members; \"127.0.0.1:5701\"; members: must be an array of strings",
    "members; [\"127.0.0.1:5701\", 5]; members[1]: must be a non-empty string",
    "members; [\"127.0.0.1:99999\"]; members[0]: port must be in [1, 65535], got \"127.0.0.1:99999\"",
    "members; [\"127.0.0.1:5702-5701\"]; members[0]: port range must go upwards",
    "members; [\"a b:5701\"]; members[0]: must be host, host:port or host:port-port",
    "memberTimeoutMs; 999; memberTimeoutMs: must be an integer in [1000, 600000], got 999",
    "name; \"a/b\"; name: must be 1-128 characters among A-Z a-z 0-9 . _ -",
    "name; \"\"; name: must not be empty",
    "nodeName; \"node a\"; nodeName: must be 1-64 characters",
    "hosts; \"x\"; hosts: unknown key (did you mean 'host'?)",
  })
  void invalid_values_are_rejected_naming_the_key(String key, String json, String message) {
    JsonObject config = new JsonObject("{\"" + key + "\": " + json + "}");
    assertThatThrownBy(() -> new ClusterOptions(config)).isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  @Test
  void a_host_that_is_not_an_address_of_this_machine_is_named() {
    // 192.0.2.0/24 is TEST-NET-1: never bound to a machine
    assertThatThrownBy(() -> new ClusterOptions().setHost("192.0.2.7").checkHostIsLocal())
      .isInstanceOf(ConfigException.class)
      .hasMessageStartingWith("host: \"192.0.2.7\" is not an address of this machine");
    assertThatThrownBy(() -> new ClusterOptions().setHost("0.0.0.0").checkHostIsLocal())
      .hasMessageStartingWith("host: \"0.0.0.0\" is the wildcard address");
    assertThatThrownBy(() -> new ClusterOptions().setHost("no-such-host.invalid").checkHostIsLocal())
      .hasMessageStartingWith("host: cannot be resolved: \"no-such-host.invalid\"");
    new ClusterOptions().setHost("127.0.0.1").checkHostIsLocal();
    new ClusterOptions().setHost("localhost").checkHostIsLocal();
  }

  @Test
  void the_application_config_reads_the_section_at_its_path() {
    assertThat(AppConfig.cluster(new JsonObject()).isEnabled()).isFalse();
    assertThatThrownBy(() -> AppConfig.cluster(new JsonObject().put("cluster", new JsonObject().put("port", 0))))
      .isInstanceOf(ConfigException.class).hasMessageStartingWith("cluster.port: must be an integer in [1, 65535]");
    assertThatThrownBy(() -> AppConfig.cluster(new JsonObject().put("cluster", "on")))
      .hasMessageStartingWith("cluster: must be a JSON object, got \"on\"");
    assertThatThrownBy(() -> AppConfig.read(new JsonObject().put("cluster", new JsonObject().put("member", List.of("x")))))
      .hasMessageStartingWith("cluster.member: unknown key (did you mean 'members'?)");
  }

  @Test
  void the_embedded_default_stays_unclustered_and_the_two_node_files_are_valid() throws Exception {
    assertThat(AppConfig.read(new JsonObject(Files.readString(Path.of("conf/application.json")))).cluster().isEnabled()).isFalse();
    AppConfig a = AppConfig.read(new JsonObject(Files.readString(Path.of("conf/cluster-a.json"))));
    AppConfig b = AppConfig.read(new JsonObject(Files.readString(Path.of("conf/cluster-b.json"))));
    assertThat(a.cluster().isEnabled()).isTrue();
    assertThat(b.cluster().isEnabled()).isTrue();
    assertThat(a.cluster().getName()).isEqualTo(b.cluster().getName());
    assertThat(a.cluster().getNodeName()).isEqualTo("a");
    assertThat(b.cluster().getNodeName()).isEqualTo("b");
    assertThat(a.http().getPort()).isNotEqualTo(b.http().getPort());
    // b joins a: its member list names a's Hazelcast port
    assertThat(b.cluster().effectiveMembers()).contains("127.0.0.1:" + a.cluster().getPort());
  }
}
