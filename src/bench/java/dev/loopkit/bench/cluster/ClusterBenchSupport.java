package dev.loopkit.bench.cluster;

import dev.loopkit.cluster.ClusterOptions;
import dev.loopkit.cluster.ClusteredVertx;
import dev.loopkit.cluster.impl.Nodes;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.RegistrationInfo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Shared helpers of the cluster benchmarks: clustered nodes on 127.0.0.1 from {@link ClusterOptions}, medians. */
final class ClusterBenchSupport {

  private ClusterBenchSupport() {
  }

  static String clusterName() {
    return "loopkit-bench-" + UUID.randomUUID();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  static ClusterOptions options(String cluster, String name, int port, int seedPort) {
    return new ClusterOptions().setEnabled(true).setName(cluster).setNodeName(name).setHost("127.0.0.1")
      .setPort(port).setMembers(List.of("127.0.0.1:" + seedPort));
  }

  static Vertx node(String cluster, String name, int port, int seedPort) throws Exception {
    return ClusteredVertx.start(new VertxOptions().setEventLoopPoolSize(2), options(cluster, name, port, seedPort))
      .await(120, TimeUnit.SECONDS);
  }

  /** Waits (polling, bounded) until {@code from} sees {@code count} registrations of {@code address}. */
  static void registered(Vertx from, String address, int count) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      Promise<List<RegistrationInfo>> p = Promise.promise();
      Nodes.manager(from).getRegistrations(address, p);
      if (p.future().await(10, TimeUnit.SECONDS).size() >= count) {
        return;
      }
      from.timer(10).await();
    }
    throw new IllegalStateException(address + " not registered " + count + " times");
  }

  static void waitMembers(Vertx v, int n) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (ClusteredVertx.members(v).size() != n) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException("members: " + ClusteredVertx.describe(v));
      }
      v.timer(10).await();
    }
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  /** Runs {@code total} calls with at most {@code inFlight} outstanding, from a Vert.x context; @return seconds. */
  static double closedLoop(Vertx caller, int total, int inFlight, Supplier<Future<?>> call) throws Exception {
    Promise<Void> done = Promise.promise();
    long t0 = System.nanoTime();
    caller.runOnContext(v -> {
      int[] started = {0};
      int[] finished = {0};
      Runnable[] next = new Runnable[1];
      next[0] = () -> {
        if (started[0] >= total) {
          return;
        }
        started[0]++;
        call.get().onComplete(ar -> {
          if (ar.failed()) {
            done.tryFail(ar.cause());
            return;
          }
          if (++finished[0] == total) {
            done.tryComplete();
          } else {
            next[0].run();
          }
        });
      };
      for (int i = 0; i < inFlight; i++) {
        next[0].run();
      }
    });
    done.future().await(10, TimeUnit.MINUTES);
    return (System.nanoTime() - t0) / 1e9;
  }
}
