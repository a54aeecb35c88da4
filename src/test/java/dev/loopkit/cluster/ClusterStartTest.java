package dev.loopkit.cluster;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("clustered start-up: nodes form a cluster from ClusterOptions, name themselves, report a lonely join")
class ClusterStartTest {

  @Test
  void two_nodes_form_a_cluster_and_see_each_other_by_name() throws Exception {
    try (ClusterFixture f = ClusterFixture.start("a", "b")) {
      Vertx a = f.node(0);
      Vertx b = f.node(1);
      ClusterNode na = ClusterNode.of(a);
      ClusterNode nb = ClusterNode.of(b);
      assertThat(na.name()).isEqualTo("a");
      assertThat(nb.name()).isEqualTo("b");
      assertThat(na.id()).isNotEqualTo(nb.id()).matches("[0-9a-f-]{36}");
      // the id is the cluster manager's node id, stable while the node runs
      assertThat(ClusterNode.of(a)).isEqualTo(na);
      assertThat(ClusteredVertx.members(a)).containsExactlyInAnyOrder(na, nb);
      assertThat(ClusteredVertx.members(b)).containsExactlyInAnyOrder(na, nb);
      String banner = ClusteredVertx.describe(b);
      assertThat(banner)
        .startsWith("cluster '" + f.clusterName() + "': this node b (" + nb.id().substring(0, 8) + ") at 127.0.0.1:")
        .contains("members seen (2): ").contains("a (" + na.id().substring(0, 8) + ")")
        .doesNotContain("\n");
      assertThat(na.toJson().getString("name")).isEqualTo("a");
      assertThat(ClusterNode.fromJson(na.toJson())).isEqualTo(na);
    }
  }

  @Test
  void a_node_that_is_not_clustered_has_a_local_identity() {
    Vertx v = Vertx.vertx();
    try {
      ClusterNode n = ClusterNode.of(v);
      assertThat(n.name()).isEqualTo(ClusterNode.LOCAL_NAME);
      assertThat(ClusterNode.of(v)).isEqualTo(n);
      assertThat(ClusteredVertx.members(v)).containsExactly(n);
      assertThat(ClusteredVertx.describe(v)).startsWith("not clustered: node local (");
    } finally {
      v.close().await();
    }
  }

  @Test
  void a_member_list_nobody_answers_is_reported_not_hung_on() throws Exception {
    int nobody = ClusterFixture.freePort();
    ClusterOptions options = new ClusterOptions().setEnabled(true).setName("loopkit-test-" + UUID.randomUUID())
      .setNodeName("lonely").setPort(ClusterFixture.freePort()).setMembers(List.of("127.0.0.1:" + nobody));
    Logger logger = (Logger) LoggerFactory.getLogger(ClusteredVertx.class);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
    long start = System.nanoTime();
    Vertx v = ClusteredVertx.start(new VertxOptions(), options).await(60, TimeUnit.SECONDS);
    try {
      long ms = (System.nanoTime() - start) / 1_000_000;
      // bounded by the join (Hazelcast's max.join is 20 s); in practice a few seconds
      assertThat(ms).isLessThan(30_000);
      assertThat(ClusteredVertx.members(v)).hasSize(1);
      List<String> warnings = log.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
      assertThat(warnings).anySatisfy(w -> assertThat(w)
        .startsWith("cluster '" + options.getName() + "': no member of [127.0.0.1:" + nobody + "] answered within the join; node lonely (")
        .contains("runs alone at 127.0.0.1:").doesNotContain("\n"));
    } finally {
      logger.detachAppender(log);
      v.close().await(30, TimeUnit.SECONDS);
    }
  }
}
