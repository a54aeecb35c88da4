package dev.loopkit.cluster.impl;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.cluster.ClusterOptions;
import dev.loopkit.config.ConfigException;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * The programmatic Hazelcast {@link Config} of a loopkit node (VERTX5-NOTES §6): Vert.x's own structures
 * ({@code __vertx.subs}, {@code __vertx.nodeInfo}, … from vertx-hazelcast's default XML), TCP/IP join on
 * {@code members} only (multicast and auto-detection off), bound to {@code host} only (never the wildcard
 * address), no phone-home, heartbeats sized from {@code memberTimeoutMs}, a bounded join, {@value
 * #PARTITION_COUNT} partitions, and this node's name as a member attribute. A fresh {@code Config} per node: the cluster manager writes into it.
 *
 * <p>A user's own Hazelcast XML ({@code -Dvertx.hazelcast.config=FILE|classpath:R}, or {@code cluster.xml}
 * on the class path) is used as it is; only the node-name attribute is added.
 *
 * <p>The only class of loopkit that touches Hazelcast types; loaded only when a cluster is asked for
 * (vertx-hazelcast is an optional dependency).
 */
public final class HazelcastSetup {

  /** Member attribute carrying a node's {@link ClusterNode#name() name}. */
  public static final String NODE_NAME_ATTRIBUTE = "loopkit.nodeName";
  /** vertx-hazelcast's member attribute carrying the Vert.x node id. */
  public static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /** The system property naming a user's own Hazelcast XML (read by vertx-hazelcast's ConfigUtil). */
  public static final String USER_XML_PROPERTY = "vertx.hazelcast.config";

  /** Upper bound of a join (seconds): past it Hazelcast gives up and the start fails (a join nobody answers ends much sooner, see {@link dev.loopkit.cluster.ClusteredVertx#reportJoin}). */
  static final int MAX_JOIN_SECONDS = 20;
  /** Hazelcast partitions of a loopkit-configured cluster (Hazelcast's default: 271). */
  public static final int PARTITION_COUNT = 31;

  private HazelcastSetup() {
  }

  /** @return where the user's own Hazelcast XML comes from, or {@code null} when loopkit configures Hazelcast */
  public static String userXml() {
    String prop = System.getProperty(USER_XML_PROPERTY);
    if (prop != null) {
      return "-D" + USER_XML_PROPERTY + "=" + prop;
    }
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl != null && cl.getResource("cluster.xml") != null || HazelcastSetup.class.getClassLoader().getResource("cluster.xml") != null) {
      return "classpath:cluster.xml";
    }
    return null;
  }

  /**
   * @throws ConfigException when {@code -Dvertx.hazelcast.config} names a file that does not exist
   * (vertx-hazelcast would silently fall back to its multicast default)
   */
  public static void checkUserXml() {
    String prop = System.getProperty(USER_XML_PROPERTY);
    if (prop == null) {
      return;
    }
    boolean found = prop.startsWith("classpath:")
      ? HazelcastSetup.class.getClassLoader().getResource(prop.substring("classpath:".length())) != null
      : new File(prop).isFile();
    if (!found) {
      throw new ConfigException("-D" + USER_XML_PROPERTY, "", "no such " + (prop.startsWith("classpath:") ? "class-path resource" : "file")
        + ": " + dev.loopkit.bus.LogValues.quote(prop) + " (Hazelcast would fall back to multicast) — fix the path or drop the property");
    }
  }

  /** @return a fresh cluster manager for a node configured by {@code options} */
  public static ClusterManager clusterManager(ClusterOptions options) {
    return new HazelcastClusterManager(config(options));
  }

  /** @return a fresh Hazelcast config for a node configured by {@code options} */
  public static Config config(ClusterOptions options) {
    Config cfg = ConfigUtil.loadConfig();
    if (cfg == null) {
      throw new IllegalStateException("vertx-hazelcast could not read its Hazelcast configuration");
    }
    if (options.getNodeName() != null) {
      cfg.getMemberAttributeConfig().setAttribute(NODE_NAME_ATTRIBUTE, options.getNodeName());
    }
    if (userXml() != null) {
      return cfg;
    }
    cfg.setClusterName(options.getName());
    long seconds = Math.max(1, (options.getMemberTimeoutMs() + 999) / 1000);
    cfg.setProperty("hazelcast.max.no.heartbeat.seconds", Long.toString(seconds));
    cfg.setProperty("hazelcast.heartbeat.interval.seconds", Long.toString(Math.max(1, Math.min(5, seconds / 4))));
    cfg.setProperty("hazelcast.wait.seconds.before.join", "0");
    cfg.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    cfg.setProperty("hazelcast.max.join.seconds", Integer.toString(MAX_JOIN_SECONDS));
    // two halves of a partitioned cluster (or two first members started at once) look for each other every 10 s
    cfg.setProperty("hazelcast.merge.first.run.delay.seconds", "10");
    cfg.setProperty("hazelcast.merge.next.run.delay.seconds", "10");
    // leaving never waits for partition migration longer than this
    cfg.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
    // Vert.x keeps only its subscriptions and node infos in Hazelcast; fewer partitions than Hazelcast's 271 make
    // a lost member's registrations disappear sooner (measured: 0.1-1.5 s after its removal instead of ~3.5 s).
    // Every loopkit-configured member uses the same count; a member from a user's own XML must too.
    cfg.setProperty("hazelcast.partition.count", Integer.toString(PARTITION_COUNT));
    cfg.setProperty("hazelcast.socket.bind.any", "false");
    cfg.setProperty("hazelcast.local.localAddress", options.getHost());
    cfg.setProperty("hazelcast.phone.home.enabled", "false");
    cfg.setProperty("hazelcast.logging.type", "slf4j");
    NetworkConfig net = cfg.getNetworkConfig();
    net.setPort(options.getPort()).setPortAutoIncrement(true).setPortCount(ClusterOptions.PORT_COUNT);
    net.getInterfaces().setEnabled(true).setInterfaces(List.of(options.getHost()));
    JoinConfig join = net.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(options.effectiveMembers()).setConnectionTimeoutSeconds(1);
    return cfg;
  }

  /** @return the Hazelcast instance behind {@code manager}, or {@code null} when it is not Hazelcast's */
  static HazelcastInstance instance(ClusterManager manager) {
    return manager instanceof HazelcastClusterManager ? ((HazelcastClusterManager) manager).getHazelcastInstance() : null;
  }

  /** @return this node's Hazelcast address ({@code host:port}), or {@code null} */
  static String localAddress(ClusterManager manager) {
    HazelcastInstance hz = instance(manager);
    if (hz == null || !hz.getLifecycleService().isRunning()) {
      return null;
    }
    return address(hz.getCluster().getLocalMember());
  }

  /** @return the name of this node: its configured name, else its Hazelcast address, else {@code null} */
  static String localName(ClusterManager manager) {
    HazelcastInstance hz = instance(manager);
    if (hz == null || !hz.getLifecycleService().isRunning()) {
      return null;
    }
    return name(hz.getCluster().getLocalMember());
  }

  /** @return the members the cluster manager sees now (Vert.x nodes only), this one included */
  static List<ClusterNode> members(ClusterManager manager) {
    HazelcastInstance hz = instance(manager);
    List<ClusterNode> out = new ArrayList<>();
    if (hz == null || !hz.getLifecycleService().isRunning()) {
      return out;
    }
    for (Member m : hz.getCluster().getMembers()) {
      String id = m.getAttribute(NODE_ID_ATTRIBUTE);
      if (id != null) {
        out.add(new ClusterNode(id, name(m)));
      }
    }
    return out;
  }

  /** @return the cluster's name as Hazelcast runs it */
  static String clusterName(ClusterManager manager) {
    HazelcastInstance hz = instance(manager);
    return hz == null ? null : hz.getConfig().getClusterName();
  }

  /**
   * Stops the Hazelcast member at once, without telling anyone (no graceful leave, no partition migration):
   * the closest an in-JVM test gets to kill -9. Its connections close; the others notice by themselves.
   */
  static void terminate(ClusterManager manager) {
    HazelcastInstance hz = instance(manager);
    if (hz != null) {
      hz.getLifecycleService().terminate();
    }
  }

  /**
   * Calls {@code joined} / {@code left} with the member and the members now, on Hazelcast's event thread,
   * for as long as the member runs.
   */
  static void watch(ClusterManager manager, java.util.function.BiConsumer<ClusterNode, List<ClusterNode>> joined,
                    java.util.function.BiConsumer<ClusterNode, List<ClusterNode>> left) {
    HazelcastInstance hz = instance(manager);
    if (hz == null) {
      return;
    }
    hz.getCluster().addMembershipListener(new com.hazelcast.cluster.MembershipListener() {
      @Override
      public void memberAdded(com.hazelcast.cluster.MembershipEvent event) {
        joined.accept(node(event.getMember()), nodes(event.getMembers()));
      }

      @Override
      public void memberRemoved(com.hazelcast.cluster.MembershipEvent event) {
        left.accept(node(event.getMember()), nodes(event.getMembers()));
      }
    });
  }

  private static ClusterNode node(Member m) {
    String id = m.getAttribute(NODE_ID_ATTRIBUTE);
    return new ClusterNode(id != null ? id : m.getUuid().toString(), name(m));
  }

  private static List<ClusterNode> nodes(java.util.Set<Member> members) {
    List<ClusterNode> out = new ArrayList<>();
    for (Member m : members) {
      out.add(node(m));
    }
    return out;
  }

  private static String name(Member m) {
    String n = m.getAttribute(NODE_NAME_ATTRIBUTE);
    return n != null ? n : address(m);
  }

  private static String address(Member m) {
    return m.getAddress().getHost() + ":" + m.getAddress().getPort();
  }
}
