package dev.loopkit.bench.fetch;

import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.TimeUnit;

/**
 * The training run for the loopkit peer's Application Class-Data Sharing archive (bench/loopkit-peer.sh runs
 * it once with {@code -XX:ArchiveClassesAtExit}): the same code paths as a measured {@link FetchPeer} run —
 * event bus, FetchVerticle, engine, pool, HTTP/1.1 client, JSON — against an in-process
 * {@link DemoUpstreamVerticle} on 127.0.0.1 and an ephemeral port, so the benchmark's own upstream is never
 * touched before the measured run. Only the classes loaded are kept (CDS keeps no JIT state).
 *
 * <p>{@code FetchPeerTraining [N] [C]} (defaults 2000 and 256); prints the training runs' peer lines.
 */
public final class FetchPeerTraining {

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int c = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    Vertx upstream = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    DemoUpstreamVerticle demo = new DemoUpstreamVerticle();
    upstream.deployVerticle(demo, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0)))
      .await(30, TimeUnit.SECONDS);
    String tpl = demo.baseUrl() + "/item/{n}";
    for (String path : new String[] {"bus", "engine"}) {
      System.setProperty("path", path);
      System.out.println("training " + FetchPeer.run(new String[] {tpl, Integer.toString(n), Integer.toString(c), "5000"}, true));
    }
    // the delayed shape too (timers, many new connections at once)
    System.setProperty("path", "bus");
    System.out.println("training " + FetchPeer.run(new String[] {tpl + "?delay_ms=50", Integer.toString(c), Integer.toString(c), "5000"}, true));
    System.clearProperty("path");
    upstream.close().await(30, TimeUnit.SECONDS);
    System.exit(0);
  }
}
