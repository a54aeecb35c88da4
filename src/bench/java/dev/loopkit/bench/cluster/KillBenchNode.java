package dev.loopkit.bench.cluster;

import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.cluster.ClusteredVertx;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * A serving node for {@link KillBench}, in its own JVM: joins the cluster, serves {@code bench.svc} (replies
 * {@code {"servedBy": name}}), prints {@code ready <name>} and runs until it is killed.
 *
 * <p>usage: KillBenchNode CLUSTER NAME PORT SEED_PORT
 */
public final class KillBenchNode {

  public static void main(String[] args) throws Exception {
    String cluster = args[0];
    String name = args[1];
    int port = Integer.parseInt(args[2]);
    int seed = Integer.parseInt(args[3]);
    Vertx v = ClusteredVertx.start(new VertxOptions().setEventLoopPoolSize(2), ClusterBenchSupport.options(cluster, name, port, seed))
      .await(120, TimeUnit.SECONDS);
    v.eventBus().consumer("bench.svc", m -> m.reply(new JsonObject().put("servedBy", ClusterNode.of(v).name())))
      .completion().await(30, TimeUnit.SECONDS);
    System.out.println("ready " + name);
    System.out.flush();
  }
}
