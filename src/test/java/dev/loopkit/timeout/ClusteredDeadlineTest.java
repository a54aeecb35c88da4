package dev.loopkit.timeout;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.Headers;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two clustered Vert.x nodes in one JVM (Hazelcast over TCP on 127.0.0.1 only, multicast off): the
 * caller and the target on node B, the TimeoutVerticle on node A. The budget header crosses B → A → B;
 * the caller's cancel notice crosses B → A, and the guard's notice for its attempt crosses A → B.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
@DisplayName("budget and cancel notices cross cluster nodes")
class ClusteredDeadlineTest {

  private static Future<Vertx> node(String cluster, int port) {
    Config cfg = ConfigUtil.loadConfig();
    cfg.setClusterName(cluster);
    cfg.setProperty("hazelcast.wait.seconds.before.join", "0");
    cfg.setProperty("hazelcast.local.localAddress", "127.0.0.1");
    cfg.setProperty("hazelcast.phone.home.enabled", "false");
    cfg.setProperty("hazelcast.logging.type", "slf4j");
    NetworkConfig net = cfg.getNetworkConfig();
    net.setPort(port).setPortAutoIncrement(true).setPortCount(10);
    net.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + port);
    return Vertx.builder()
      .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1").setPort(0)))
      .withClusterManager(new HazelcastClusterManager(cfg))
      .buildClustered();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private Vertx nodeA;
  private Vertx nodeB;

  @BeforeEach
  void two_nodes() throws Exception {
    String cluster = "loopkit-timeout-" + UUID.randomUUID();
    int port = freePort();
    // one after the other, from the test thread: the second joins the first at 127.0.0.1:port
    nodeA = node(cluster, port).await(30, TimeUnit.SECONDS);
    nodeB = node(cluster, port).await(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void close_one_after_the_other() throws Exception {
    // closing both at once can hang (VERTX5-NOTES §6)
    if (nodeB != null) {
      nodeB.close().await(30, TimeUnit.SECONDS);
    }
    if (nodeA != null) {
      nodeA.close().await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void budget_header_and_cancel_notices_cross_nodes(VertxTestContext tc) {
    Registration listening = CancelNotices.listen(nodeB);
    Probe target = Probe.cancellable(nodeB, "remote.svc");
    JsonObject config = new JsonObject().put("routes", new JsonArray().add(new JsonObject()
      .put("address", "remote.guarded").put("target", "remote.svc").put("timeoutMs", 5_000)));
    String[] deployment = new String[1];
    Future.all(CancelNotices.ready(nodeB), target.ready(), nodeA.deployVerticle(new TimeoutVerticle(),
        new DeploymentOptions().setConfig(config)).onSuccess(id -> deployment[0] = id))
      .compose(v -> {
        CancelScope caller = CancelScope.withTimeout(nodeB, 2_000);
        Future<?> call = BusRequest.request(caller, "remote.guarded", new JsonObject().put("sku", 7),
          new DeliveryOptions().addHeader(Headers.REQUEST_ID, "order-7"));
        call.onComplete(ar -> caller.close());
        return target.arrived(0).compose(arrived -> {
          tc.verify(() -> {
            // B → A → B: the budget went over the wire twice and shrank, never grew
            assertThat(arrived.budgetMs()).isBetween(1L, 2_000L);
            assertThat(arrived.requestId).matches("[A-Za-z0-9_-]{22}");
          });
          caller.cancel("the user left");
          return target.cancelled(0);
        });
      })
      .compose(stopped -> {
        tc.verify(() -> {
          // the caller's notice reached node A's guard, whose notice for its attempt reached node B's target
          assertThat(stopped.cancelReason).startsWith("cancel notice").contains("caller gave up");
          assertThat(CancelNotices.cancelledByNotice(nodeA)).isEqualTo(1);
          assertThat(CancelNotices.cancelledByNotice(nodeB)).isEqualTo(1);
        });
        listening.remove();
        return nodeA.undeploy(deployment[0]);
      })
      // nothing left behind on either node
      .compose(v -> Future.all(Leaks.awaitNone(nodeA), Leaks.awaitNone(nodeB)))
      .onComplete(tc.succeedingThenComplete());
  }
}
