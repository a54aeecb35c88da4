package dev.loopkit.cluster;

import dev.loopkit.cluster.impl.Nodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.RegistrationInfo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * N clustered Vert.x nodes in this JVM, on 127.0.0.1, built with {@link ClusteredVertx} from
 * {@link ClusterOptions} as an application would: a fresh cluster name per fixture (so fixtures never join
 * each other), every node joining the first one's port, nodes closed one after the other (VERTX5-NOTES §6:
 * closing at once can hang). {@link #kill(int)} is the in-JVM stand-in for kill -9.
 */
public final class ClusterFixture implements AutoCloseable {

  private final String cluster;
  private final List<Vertx> nodes = new ArrayList<>();
  private final List<Boolean> killed = new ArrayList<>();

  private ClusterFixture(String cluster) {
    this.cluster = cluster;
  }

  /** Starts nodes named {@code names} (one after the other) and waits until each sees all of them. */
  public static ClusterFixture start(String... names) throws Exception {
    ClusterFixture f = new ClusterFixture("loopkit-test-" + UUID.randomUUID());
    int port = freePort();
    try {
      for (String name : names) {
        ClusterOptions options = f.options(name, port);
        f.nodes.add(ClusteredVertx.start(new VertxOptions(), options).await(60, TimeUnit.SECONDS));
        f.killed.add(false);
      }
      for (Vertx v : f.nodes) {
        eventually(v, 30_000, () -> ClusteredVertx.members(v).size() == names.length,
          () -> "members seen: " + ClusteredVertx.describe(v)).await(40, TimeUnit.SECONDS);
      }
    } catch (Exception | Error e) {
      f.close();
      throw e;
    }
    return f;
  }

  /** @return the options node {@code name} was started with (members: the first node's port) */
  public ClusterOptions options(String name, int firstPort) {
    return new ClusterOptions().setEnabled(true).setName(cluster).setNodeName(name).setHost("127.0.0.1")
      .setPort(nodes.isEmpty() ? firstPort : firstPort + 1).setMembers(List.of("127.0.0.1:" + firstPort));
  }

  public String clusterName() {
    return cluster;
  }

  public Vertx node(int i) {
    return nodes.get(i);
  }

  /**
   * Kills node {@code i} the closest way to kill -9 inside one JVM: its Hazelcast member is terminated
   * (no leave message, no migration: the others find its sockets closed), then its Vert.x is closed at
   * once, which closes the event-bus server (its consumers' removal cannot reach the dead member's
   * cluster map any more). Requests in flight on it get no reply from it.
   *
   * @return completes when the node's Vert.x is closed
   */
  public Future<Void> kill(int i) {
    killed.set(i, true);
    Vertx v = nodes.get(i);
    Nodes.terminate(v);
    return v.close().otherwiseEmpty();
  }

  /**
   * @return completes when {@code from} has at least {@code count} registrations of {@code address} in its
   * view of the cluster (registrations travel asynchronously through Hazelcast)
   */
  public static Future<Void> registered(Vertx from, String address, int count) {
    return eventuallyAsync(from, 20_000, () -> {
      Promise<List<RegistrationInfo>> p = Promise.promise();
      Nodes.manager(from).getRegistrations(address, p);
      return p.future().map(list -> list.size() >= count);
    }, () -> address + " not registered " + count + " times in time");
  }

  /** Polls {@code condition} every 5 ms on Vert.x timers (never sleeping) until true or {@code maxMs}. */
  public static Future<Void> eventually(Vertx vertx, long maxMs, BooleanSupplier condition, Supplier<String> state) {
    return eventuallyAsync(vertx, maxMs, () -> Future.succeededFuture(condition.getAsBoolean()), state);
  }

  private static Future<Void> eventuallyAsync(Vertx vertx, long maxMs, Supplier<Future<Boolean>> condition, Supplier<String> state) {
    Promise<Void> p = Promise.promise();
    poll(vertx, condition, state, System.nanoTime() + maxMs * 1_000_000L, p);
    return p.future();
  }

  private static void poll(Vertx vertx, Supplier<Future<Boolean>> condition, Supplier<String> state, long until, Promise<Void> p) {
    condition.get().onComplete(ar -> {
      if (ar.succeeded() && ar.result()) {
        p.complete();
      } else if (System.nanoTime() - until > 0) {
        p.fail(new AssertionError("not in time: " + state.get()));
      } else {
        vertx.setTimer(5, t -> poll(vertx, condition, state, until, p));
      }
    });
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  /** Closes the live nodes one after the other, the last started first. */
  @Override
  public void close() throws Exception {
    Exception first = null;
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (killed.get(i)) {
        continue;
      }
      try {
        nodes.get(i).close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
