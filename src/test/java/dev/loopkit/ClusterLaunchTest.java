package dev.loopkit;

import dev.loopkit.config.ConfigException;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The launcher reads the {@code cluster} section before Vert.x exists: enabled adds {@code -cluster};
 * anything wrong is one line naming the file and the JSON path (no Vert.x is started).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("Launcher: the cluster section is read and checked before Vert.x starts")
class ClusterLaunchTest {

  @TempDir
  Path dir;

  private String file(String name, JsonObject cluster) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, new JsonObject().put("http", new JsonObject().put("port", 0)).put("cluster", cluster).encodePrettily());
    return f.toString();
  }

  @Test
  void an_enabled_section_adds_the_cluster_flag_once() throws Exception {
    String conf = file("a.json", new JsonObject().put("enabled", true).put("name", "shop"));
    ClusterLaunch launch = ClusterLaunch.prepare(new String[]{"-conf", conf});
    assertThat(launch.error()).isNull();
    assertThat(launch.arguments()).containsExactly("-conf", conf, "-cluster");
    assertThat(launch.enabledCluster().getName()).isEqualTo("shop");
    assertThat(launch.source()).isEqualTo(conf);
    assertThat(ClusterLaunch.prepare(new String[]{"-cluster", "-conf", conf}).arguments())
      .containsExactly("-cluster", "-conf", conf);
  }

  @Test
  void no_section_or_a_disabled_one_changes_nothing_and_the_plain_flag_still_works() throws Exception {
    String off = file("off.json", new JsonObject().put("enabled", false).put("port", 5801));
    assertThat(ClusterLaunch.prepare(new String[]{"-conf", off}).arguments()).containsExactly("-conf", off);
    assertThat(ClusterLaunch.prepare(new String[]{"-conf", off}).enabledCluster()).isNull();
    // the embedded default: no cluster section
    ClusterLaunch embedded = ClusterLaunch.prepare(new String[0]);
    assertThat(embedded.error()).isNull();
    assertThat(embedded.arguments()).isEmpty();
    assertThat(embedded.source()).isEqualTo("classpath:conf/application.json");
    // Vert.x's own -cluster without a section: left to the launcher (its cluster manager, its XML)
    assertThat(ClusterLaunch.prepare(new String[]{"-cluster"}).arguments()).containsExactly("-cluster");
    // the two-node files of the README, as the fat jar finds them (class path) from any directory
    assertThat(ClusterLaunch.prepare(new String[]{"-conf", "conf/cluster-b.json"}).arguments()).contains("-cluster");
  }

  @Test
  void bad_sections_stop_start_up_with_one_line_naming_file_and_path() throws Exception {
    assertError(new JsonObject().put("enabled", true).put("prot", 5701),
      ": cluster.prot: unknown key (did you mean 'port'?)");
    assertError(new JsonObject().put("enabled", true).put("port", 70000),
      ": cluster.port: must be an integer in [1, 65535], got 70000");
    assertError(new JsonObject().put("enabled", true).put("members", new io.vertx.core.json.JsonArray()),
      ": cluster.members: must name at least one member");
    assertError(new JsonObject().put("enabled", true).put("host", "192.0.2.7"),
      ": cluster.host: \"192.0.2.7\" is not an address of this machine");
    // a disabled section is validated too (enabling it later cannot fail on a value nobody looked at)
    assertError(new JsonObject().put("enabled", false).put("eventBusPort", -1),
      ": cluster.eventBusPort: must be an integer in [0, 65535], got -1");
  }

  private void assertError(JsonObject cluster, String expected) throws Exception {
    String conf = file("bad.json", cluster);
    ConfigException e = ClusterLaunch.prepare(new String[]{"-conf", conf}).error();
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).startsWith(conf + expected).doesNotContain("\n");
  }

  @Test
  void an_override_is_named_and_a_missing_hazelcast_xml_is_an_error() throws Exception {
    String conf = file("a.json", new JsonObject().put("enabled", true));
    System.setProperty("loopkit.cluster.port", "0");
    try {
      assertThat(ClusterLaunch.prepare(new String[]{"-conf", conf}).error())
        .hasMessageStartingWith(conf + " (overridden by -Dloopkit.cluster.port): cluster.port: must be an integer in [1, 65535], got 0");
    } finally {
      System.clearProperty("loopkit.cluster.port");
    }
    System.setProperty("vertx.hazelcast.config", dir.resolve("missing.xml").toString());
    try {
      assertThat(ClusterLaunch.prepare(new String[]{"-conf", conf}).error())
        .hasMessageStartingWith("-Dvertx.hazelcast.config: no such file: ");
    } finally {
      System.clearProperty("vertx.hazelcast.config");
    }
  }

  @Test
  void an_inline_conf_and_an_unreadable_one_are_named() {
    ClusterLaunch inline = ClusterLaunch.prepare(new String[]{"-conf", "{\"cluster\": {\"enabled\": true, \"port\": 0}}"});
    assertThat(inline.error()).hasMessageStartingWith("-conf argument: cluster.port: must be an integer");
    ClusterLaunch broken = ClusterLaunch.prepare(new String[]{"-conf", "no-such-file.json"});
    assertThat(broken.error().getMessage()).contains("neither an existing file nor a JSON object");
    assertThat(Arrays.asList(broken.arguments())).doesNotContain("-cluster");
  }

  @Test
  void an_enabled_section_on_a_vertx_that_is_not_clustered_fails_at_cluster_enabled(Vertx vertx, VertxTestContext tc) {
    JsonObject conf = new JsonObject().put("http", new JsonObject().put("enabled", false))
      .put("cluster", new JsonObject().put("enabled", true));
    vertx.deployVerticle(new MainVerticle(), new DeploymentOptions().setConfig(conf)).onComplete(tc.failing(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(ConfigException.class);
      assertThat(err.getMessage()).startsWith("deployment config: cluster.enabled: is true, but this Vert.x instance is not clustered")
        .doesNotContain("\n");
      tc.completeNow();
    })));
  }
}
