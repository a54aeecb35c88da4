package dev.loopkit.http;

import dev.loopkit.hostile.RawClient;
import dev.loopkit.metrics.LoopkitMetricsFactory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Shared set-up of the HTTP front's tests: quick limits, a metrics-enabled Vert.x, a trickling client. */
public final class FrontFixture {

  private FrontFixture() {
  }

  /** Options on port 0 with short deadlines (idle 300 ms, head and body 500 ms), so that tests are quick. */
  public static HttpFrontOptions quick() {
    return new HttpFrontOptions().setPort(0).setIdleTimeoutMs(300).setRequestHeadTimeoutMs(500)
      .setRequestBodyTimeoutMs(500);
  }

  /** Deploys a front with {@code options} (nothing for /health to watch). */
  public static Future<HttpFrontVerticle> deploy(Vertx vertx, HttpFrontOptions options) {
    HttpFrontVerticle front = new HttpFrontVerticle(options, Map.of());
    return vertx.deployVerticle(front).map(id -> front);
  }

  /** @return a Vert.x with loopkit's metrics (Prometheus) in its own registry {@code registryName} */
  public static Vertx withMetrics(String registryName) {
    return Vertx.builder()
      .with(new VertxOptions().setMetricsOptions(LoopkitMetricsFactory.defaults().setJvmMetricsEnabled(false)
        .setRegistryName(registryName)))
      .withMetrics(new LoopkitMetricsFactory())
      .build();
  }

  /**
   * Sends {@code text} one byte every {@code everyMs} (slowloris), collecting what the server answers, until
   * the server closes the connection or {@code waitMs} passes.
   */
  public static Future<RawClient.Exchange> trickle(Vertx vertx, int port, String text, long everyMs, long waitMs) {
    return trickle(vertx, port, "", text, everyMs, waitMs);
  }

  /** {@link #trickle(Vertx, int, String, long, long)}, after sending {@code atOnce} in one write. */
  public static Future<RawClient.Exchange> trickle(Vertx vertx, int port, String atOnce, String text, long everyMs, long waitMs) {
    byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2_000));
    long t0 = System.nanoTime();
    Promise<RawClient.Exchange> done = Promise.promise();
    client.connect(port, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        client.close();
        done.fail(ar.cause());
        return;
      }
      NetSocket socket = ar.result();
      Buffer received = Buffer.buffer();
      if (!atOnce.isEmpty()) {
        socket.write(Buffer.buffer(atOnce.getBytes(StandardCharsets.ISO_8859_1)));
      }
      int[] next = {0};
      long writer = vertx.setPeriodic(everyMs, id -> {
        if (next[0] < bytes.length) {
          socket.write(Buffer.buffer(new byte[] {bytes[next[0]++]}));
        }
      });
      long limit = vertx.setTimer(waitMs, id -> {
        vertx.cancelTimer(writer);
        if (done.tryComplete(new RawClient.Exchange(received, false, (System.nanoTime() - t0) / 1_000_000))) {
          socket.close().onComplete(c -> client.close());
        }
      });
      socket.handler(received::appendBuffer);
      socket.closeHandler(v -> {
        vertx.cancelTimer(writer);
        vertx.cancelTimer(limit);
        if (done.tryComplete(new RawClient.Exchange(received, true, (System.nanoTime() - t0) / 1_000_000))) {
          client.close();
        }
      });
    });
    return done.future();
  }
}
