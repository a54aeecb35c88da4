package dev.loopkit.cluster;

import dev.loopkit.cluster.impl.Nodes;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * Which node something happened on: the {@code node} field, {@code {"id": "...", "name": "..."}}, of every
 * record and stat that can come from several cluster nodes.
 *
 * <ul>
 *   <li>{@code id}: the Vert.x node id of a clustered instance (the cluster manager's, stable while the node
 *   runs, new on every start); for an instance that is not clustered, a random id fixed for its life.</li>
 *   <li>{@code name}: the {@code cluster.nodeName} of its config; else its Hazelcast address
 *   ({@code host:port}); {@value #LOCAL_NAME} for an instance that is not clustered.</li>
 * </ul>
 */
public final class ClusterNode {

  /** The name of a Vert.x instance that is not clustered. */
  public static final String LOCAL_NAME = "local";

  private final String id;
  private final String name;

  public ClusterNode(String id, String name) {
    this.id = Objects.requireNonNull(id, "id");
    this.name = Objects.requireNonNull(name, "name");
  }

  /** @return the node {@code vertx} runs as (cheap: cached per instance once the cluster has formed) */
  public static ClusterNode of(Vertx vertx) {
    return Nodes.of(vertx);
  }

  /** @return {@code {"id", "name"}} as found in {@code json}, or {@code null} when it is not such an object */
  public static ClusterNode fromJson(Object json) {
    if (!(json instanceof JsonObject)) {
      return null;
    }
    Object id = ((JsonObject) json).getValue("id");
    Object name = ((JsonObject) json).getValue("name");
    return id instanceof String && name instanceof String ? new ClusterNode((String) id, (String) name) : null;
  }

  public String id() {
    return id;
  }

  public String name() {
    return name;
  }

  /**
   * @return the per-node address of a service whose shared address is {@code base}: {@code base + ".node." + id}.
   * A service that answers for its own node registers it next to the shared one, so that a gatherer can ask
   * every node (the shared address reaches one node, round-robin).
   */
  public String address(String base) {
    return base + ".node." + id;
  }

  /** @return {@code {"id": ..., "name": ...}} */
  public JsonObject toJson() {
    return new JsonObject().put("id", id).put("name", name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ClusterNode && ((ClusterNode) o).id.equals(id) && ((ClusterNode) o).name.equals(name);
  }

  @Override
  public int hashCode() {
    return id.hashCode() * 31 + name.hashCode();
  }

  /** @return {@code name (first 8 characters of the id)} */
  @Override
  public String toString() {
    return name + " (" + (id.length() > 8 ? id.substring(0, 8) : id) + ")";
  }
}
