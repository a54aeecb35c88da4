package dev.loopkit.cluster.impl;

import dev.loopkit.cluster.ClusterNode;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.cluster.ClusterManager;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.WeakHashMap;

/**
 * Node identity per Vert.x instance, and the cluster manager behind a clustered one. The one place loopkit's
 * cluster code reaches Vert.x's internal API ({@link VertxInternal#clusterManager()}); Hazelcast types are
 * touched only through {@link HazelcastSetup}, and only when the cluster manager is Hazelcast's.
 */
public final class Nodes {

  private static final String HAZELCAST_MANAGER = "io.vertx.spi.cluster.hazelcast.HazelcastClusterManager";
  private static final Map<Vertx, ClusterNode> KNOWN = new WeakHashMap<>();

  private Nodes() {
  }

  /** @return the node {@code vertx} runs as */
  public static ClusterNode of(Vertx vertx) {
    synchronized (KNOWN) {
      ClusterNode known = KNOWN.get(vertx);
      if (known != null) {
        return known;
      }
    }
    ClusterNode node;
    ClusterManager cm = manager(vertx);
    if (cm == null) {
      node = new ClusterNode(UUID.randomUUID().toString(), ClusterNode.LOCAL_NAME);
    } else {
      String id = cm.getNodeId();
      String name = isHazelcast(cm) ? HazelcastSetup.localName(cm) : null;
      if (id == null) {
        // not joined yet: not cached, asked again later
        return new ClusterNode("unknown", name != null ? name : "joining");
      }
      node = new ClusterNode(id, name != null ? name : id);
    }
    synchronized (KNOWN) {
      ClusterNode raced = KNOWN.putIfAbsent(vertx, node);
      return raced != null ? raced : node;
    }
  }

  /** @return the cluster manager of {@code vertx}, or {@code null} when it is not clustered */
  public static ClusterManager manager(Vertx vertx) {
    if (!vertx.isClustered() || !(vertx instanceof VertxInternal)) {
      return null;
    }
    return ((VertxInternal) vertx).clusterManager();
  }

  /** @return the members {@code vertx} sees now, itself included (just itself when not clustered) */
  public static List<ClusterNode> members(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    if (cm == null) {
      return List.of(of(vertx));
    }
    if (isHazelcast(cm)) {
      return HazelcastSetup.members(cm);
    }
    // another cluster manager: ids only
    return cm.getNodes().stream().map(id -> new ClusterNode(id, id)).collect(java.util.stream.Collectors.toList());
  }

  /** @return the Hazelcast address of {@code vertx}'s member, or {@code null} */
  public static String address(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    return cm != null && isHazelcast(cm) ? HazelcastSetup.localAddress(cm) : null;
  }

  /** @return the cluster's name, or {@code null} when not clustered (or not by Hazelcast) */
  public static String clusterName(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    return cm != null && isHazelcast(cm) ? HazelcastSetup.clusterName(cm) : null;
  }

  /** Calls {@code joined}/{@code left} with each member that joins or leaves (Hazelcast only; else never). */
  public static void watch(Vertx vertx, java.util.function.BiConsumer<ClusterNode, List<ClusterNode>> joined,
                           java.util.function.BiConsumer<ClusterNode, List<ClusterNode>> left) {
    ClusterManager cm = manager(vertx);
    if (cm != null && isHazelcast(cm)) {
      HazelcastSetup.watch(cm, joined, left);
    }
  }

  /** Terminates {@code vertx}'s Hazelcast member at once (see {@link HazelcastSetup#terminate}). */
  public static void terminate(Vertx vertx) {
    ClusterManager cm = manager(vertx);
    if (cm != null && isHazelcast(cm)) {
      HazelcastSetup.terminate(cm);
    }
  }

  static boolean isHazelcast(ClusterManager cm) {
    return cm.getClass().getName().equals(HAZELCAST_MANAGER);
  }
}
