package dev.loopkit.cluster;

import dev.loopkit.bus.LogValues;
import dev.loopkit.cluster.impl.HazelcastSetup;
import dev.loopkit.cluster.impl.Nodes;
import dev.loopkit.config.ConfigException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A Vert.x instance on a Hazelcast-clustered event bus, configured by {@link ClusterOptions}: the same
 * verticles, the same addresses, now reachable from every node of the cluster.
 *
 * <ul>
 *   <li>{@link #builder(VertxOptions, ClusterOptions)} validates the options (a host that is not an address
 *   of this machine, a missing user XML: one {@link ConfigException}), sets the event bus's host and port on
 *   the given {@link VertxOptions}, and supplies a {@code HazelcastClusterManager} with a fresh, programmatic
 *   Hazelcast config per node (TCP/IP join on {@code members}, multicast off, bound to {@code host} only,
 *   heartbeats from {@code memberTimeoutMs}, the join bounded to about 10 s). What
 *   {@code dev.loopkit.Launcher} uses before any verticle deploys.</li>
 *   <li>{@link #start(VertxOptions, ClusterOptions)} builds it, then {@link #reportJoin reports} a member
 *   list nobody answered (one WARN line: the node runs alone, as the first member others join) and
 *   {@link #logMembership logs} members joining and leaving.</li>
 *   <li>{@link #members(Vertx)}, {@link #describe(Vertx)}: who this node sees, as a one-line banner.</li>
 * </ul>
 * Requires {@code io.vertx:vertx-hazelcast} on the class path (an optional dependency of loopkit; the fat
 * jar has it). A user's own Hazelcast XML ({@code -Dvertx.hazelcast.config}) replaces loopkit's Hazelcast
 * settings — then only {@code host}, {@code eventBusPort} and {@code nodeName} of the options apply.
 */
public final class ClusteredVertx {

  private static final Logger LOG = LoggerFactory.getLogger(ClusteredVertx.class);

  private ClusteredVertx() {
  }

  /**
   * @param vertxOptions modified: the event bus's host and port are set from {@code cluster}
   * @return a builder whose {@link VertxBuilder#buildClustered()} joins the cluster {@code cluster} describes
   * @throws ConfigException naming the key ({@code host}, …) when the options cannot work on this machine
   */
  public static VertxBuilder builder(VertxOptions vertxOptions, ClusterOptions cluster) {
    ClusterOptions options = checked(cluster);
    vertxOptions.getEventBusOptions().setHost(options.getHost()).setPort(options.getEventBusPort());
    return Vertx.builder().with(vertxOptions).withClusterManager(HazelcastSetup.clusterManager(options));
  }

  /**
   * @return a copy of {@code cluster}, validated as a config file would be, its host checked to be local
   * and a user's Hazelcast XML checked to exist
   * @throws ConfigException naming the offending key
   */
  public static ClusterOptions checked(ClusterOptions cluster) {
    ClusterOptions options = new ClusterOptions(cluster);
    options.checkHostIsLocal();
    HazelcastSetup.checkUserXml();
    return options;
  }

  /** Builds a clustered Vert.x from {@code cluster} and reports a join nobody answered. */
  public static Future<Vertx> start(VertxOptions vertxOptions, ClusterOptions cluster) {
    VertxBuilder builder;
    try {
      builder = builder(vertxOptions, cluster);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return builder.buildClustered().onSuccess(v -> {
      reportJoin(v, cluster);
      logMembership(v);
    });
  }

  /**
   * Logs each member that joins (INFO) or leaves (WARN: a node stopped or was lost), one line each, with
   * the members now seen. Clustered (Hazelcast) instances only; call once per instance.
   */
  public static void logMembership(Vertx vertx) {
    String cluster = LogValues.safe(String.valueOf(Nodes.clusterName(vertx)), 128);
    Nodes.watch(vertx,
      (node, now) -> LOG.info("cluster '{}': member {} joined; members now ({}): {}", cluster, node, now.size(), names(now)),
      (node, now) -> LOG.warn("cluster '{}': member {} left or was lost; members now ({}): {} — its requests in flight are "
        + "answered by their callers' deadlines, its addresses by the members still serving them", cluster, node, now.size(), names(now)));
  }

  private static String names(List<ClusterNode> nodes) {
    return nodes.stream().map(ClusterNode::toString).collect(Collectors.joining(", "));
  }

  /**
   * Logs one WARN line when {@code vertx} is alone in its cluster although {@code cluster.members} names
   * other addresses: nobody answered within the join, the node runs as the first member, and the others
   * join it when they start (or the halves merge, within about 10 s, once they see each other).
   *
   * @return whether the node is alone while others were expected
   */
  public static boolean reportJoin(Vertx vertx, ClusterOptions cluster) {
    List<ClusterNode> members = members(vertx);
    String self = Nodes.address(vertx);
    if (members.size() > 1 || HazelcastSetup.userXml() != null || self == null) {
      return false;
    }
    List<String> others = cluster.effectiveMembers().stream()
      .filter(m -> !m.equals(self) && !m.equals(self.substring(0, self.lastIndexOf(':'))))
      .collect(Collectors.toList());
    if (others.isEmpty()) {
      return false;
    }
    LOG.warn("cluster '{}': no member of {} answered within the join; node {} runs alone at {} as the first member — "
        + "the others join it when they start (check their cluster.name and cluster.members if they run already)",
      LogValues.safe(cluster.getName(), 128), LogValues.safe(String.valueOf(others), 300), ClusterNode.of(vertx), self);
    return true;
  }

  /** @return the members {@code vertx} sees now, itself included (just itself when not clustered) */
  public static List<ClusterNode> members(Vertx vertx) {
    return Nodes.members(vertx);
  }

  /**
   * @return one line: the cluster, this node, its addresses and the members seen, e.g. {@code cluster 'shop':
   * this node a (3f2a9c1e) at 127.0.0.1:5701; members seen (2): a (3f2a9c1e), b (77d0e2aa)}
   */
  public static String describe(Vertx vertx) {
    if (!vertx.isClustered()) {
      return "not clustered: node " + ClusterNode.of(vertx);
    }
    List<ClusterNode> members = members(vertx);
    String cluster = Nodes.clusterName(vertx);
    String address = Nodes.address(vertx);
    return "cluster '" + (cluster == null ? "?" : LogValues.safe(cluster, 128)) + "': this node " + ClusterNode.of(vertx)
      + (address == null ? "" : " at " + address) + "; members seen (" + members.size() + "): "
      + names(members);
  }
}
