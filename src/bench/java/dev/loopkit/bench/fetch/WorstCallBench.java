package dev.loopkit.bench.fetch;

import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worst single call the fetch verticle can be sent with its default options (maxRequestsPerCall 10 000,
 * maxBodyBytes 1 MiB, maxCallBytes 32 MiB), run under a small heap ({@code -Xmx256m}): every item asks a
 * loopback upstream for a 1 MiB body of the most expensive kind — text in a one-byte charset whose characters
 * are not Latin-1 (each byte becomes a 2-byte char, then 2 bytes of UTF-8 in the encoded reply), binary (base64
 * in the reply), or a JSON "bomb" ({@code [{},{},…]}, about 20 bytes of heap per byte parsed). The reply is
 * then encoded to bytes, as the HTTP front does. Prints the heap peak (sampled every 2 ms, and the JVM's
 * per-pool peaks), the reply's size and its counts, per kind.
 *
 * <p>usage: WorstCallBench [ITEMS=10000] [KINDS=cyrillic,binary,json]
 */
public final class WorstCallBench {

  public static void main(String[] args) throws Exception {
    int items = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String[] kinds = (args.length > 1 ? args[1] : "cyrillic,binary,json").split(",");
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    Buffer cyrillic = Buffer.buffer(1 << 20);
    for (int i = 0; i < 1 << 20; i++) {
      cyrillic.appendByte((byte) (0xC0 + i % 64));
    }
    Buffer binary = Buffer.buffer(new byte[1 << 20]);
    StringBuilder bomb = new StringBuilder("[");
    while (bomb.length() < (1 << 20) - 4) {
      bomb.append("{},");
    }
    Buffer json = Buffer.buffer(bomb.append("{}]").toString());
    HttpServer upstream = vertx.createHttpServer().requestHandler(req -> {
      String kind = req.path().substring(1, req.path().indexOf('/', 1));
      switch (kind) {
        case "cyrillic":
          req.response().putHeader("content-type", "text/plain; charset=windows-1251").end(cyrillic);
          break;
        case "binary":
          req.response().putHeader("content-type", "application/octet-stream").end(binary);
          break;
        default:
          req.response().putHeader("content-type", "application/json").end(json);
      }
    }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    FetchOptions options = new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + upstream.actualPort()));
    vertx.deployVerticle(new FetchVerticle(options)).await(30, TimeUnit.SECONDS);
    System.out.printf(Locale.ROOT, "worst call: items=%d maxCallBytes=%d maxBodyBytes=%d maxHeap=%d MiB%n", items,
      options.getMaxCallBytes(), options.getMaxBodyBytes(), Runtime.getRuntime().maxMemory() >> 20);
    for (String kind : kinds) {
      JsonArray urls = new JsonArray();
      for (int i = 0; i < items; i++) {
        urls.add("http://127.0.0.1:" + upstream.actualPort() + "/" + kind + "/" + i);
      }
      System.gc();
      long base = used();
      AtomicLong peak = new AtomicLong(base);
      ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
      Thread sampler = new Thread(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peak.accumulateAndGet(used(), Math::max);
          try {
            Thread.sleep(2); // a sampling thread of the benchmark, never an event loop
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "heap-sampler");
      sampler.setDaemon(true);
      sampler.start();
      long t0 = System.nanoTime();
      String outcome;
      int encoded = 0;
      try {
        Message<JsonObject> m = vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS,
          new JsonObject().put("urls", urls).put("timeoutMs", 29_000), new DeliveryOptions().setSendTimeout(60_000))
          .await(90, TimeUnit.SECONDS);
        JsonObject reply = m.body();
        encoded = reply.toBuffer().length(); // what the HTTP front writes
        long tooLarge = reply.getJsonArray("results").stream()
          .filter(r -> ((JsonObject) r).getJsonObject("error") != null
            && "PAYLOAD_TOO_LARGE".equals(((JsonObject) r).getJsonObject("error").getString("code")))
          .count();
        outcome = "succeeded=" + reply.getInteger("succeeded") + " failed=" + reply.getInteger("failed")
          + " PAYLOAD_TOO_LARGE=" + tooLarge;
      } catch (Throwable t) {
        outcome = "FAILED " + t;
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      sampler.interrupt();
      long poolPeaks = 0;
      for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
        if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
          poolPeaks += p.getPeakUsage().getUsed();
        }
      }
      System.out.printf(Locale.ROOT, "kind=%s %s reply=%d bytes encoded in %d ms; heap before=%d MiB peak(sampled)=%d MiB "
          + "sum of pool peaks=%d MiB%n", kind, outcome, encoded, ms, base >> 20, peak.get() >> 20, poolPeaks >> 20);
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static long used() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
