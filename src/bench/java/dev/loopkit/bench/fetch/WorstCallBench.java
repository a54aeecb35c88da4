package dev.loopkit.bench.fetch;

import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worst single call the fetch verticle can be sent with its default options (maxRequestsPerCall 10 000,
 * maxBodyBytes 1 MiB, maxCallBytes 32 MiB), run under a small heap ({@code -Xmx256m}): every item asks a
 * loopback upstream for a 1 MiB body of the most expensive kind — text in a one-byte charset whose characters
 * are not Latin-1 (each byte becomes a 2-byte char, then 2 bytes of UTF-8 in the encoded reply), binary (base64
 * in the reply), or a JSON "bomb" ({@code [{},{},…]}, about 20 bytes of heap per byte parsed). The reply is
 * then encoded to bytes, as the HTTP front does. The URLs are padded so that the request is about the HTTP
 * front's largest body (4 MiB). Each kind is sent three ways: {@code bus} (a request to {@code loopkit.fetch},
 * the reply encoded as the front would), {@code front} ({@code POST /fetch} through the HTTP front with its
 * default limits, in this JVM; the client streams the answer and keeps none of it) and {@code ndjson} (the
 * same with {@code Accept: application/x-ndjson}: one line per result). Prints the heap peak (sampled every
 * 2 ms, and the JVM's per-pool peaks), the answer's status, size and counts, per kind and way.
 *
 * <p>usage: WorstCallBench [ITEMS=10000] [KINDS=cyrillic,binary,json] [PATHS=bus,front,ndjson]
 */
public final class WorstCallBench {

  public static void main(String[] args) throws Exception {
    int items = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    String[] kinds = (args.length > 1 ? args[1] : "cyrillic,binary,json").split(",");
    List<String> paths = List.of((args.length > 2 ? args[2] : "bus,front,ndjson").split(","));
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
    HttpFrontVerticle front = null;
    HttpClient client = null;
    if (paths.contains("front") || paths.contains("ndjson")) {
      // the HTTP front with its default limits (maxBodyBytes 4 MiB, maxReplyBytes 32 MiB), on a free port
      front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
      vertx.deployVerticle(front).await(30, TimeUnit.SECONDS);
      client = vertx.createHttpClient(new HttpClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(front.actualPort()),
        new PoolOptions().setHttp1MaxSize(1));
    }
    for (String kind : kinds) {
      // URLs padded so that the request body is about the front's largest (maxBodyBytes 4 MiB); at most 3 000
      // characters of padding, so the upstream's request line stays under Vert.x's 4 096
      String base = "http://127.0.0.1:" + upstream.actualPort() + "/" + kind + "/";
      int pad = Math.min(3_000, Math.max(0, (int) (HttpFrontOptions.DEFAULT_MAX_BODY_BYTES * 0.97 / items) - base.length() - 16));
      String padding = pad == 0 ? "" : "?pad=" + "x".repeat(pad);
      JsonArray urls = new JsonArray();
      for (int i = 0; i < items; i++) {
        urls.add(base + i + padding);
      }
      JsonObject request = new JsonObject().put("urls", urls).put("timeoutMs", 29_000);
      for (String path : paths) {
        String label = "kind=" + kind + " path=" + path;
        switch (path) {
          case "bus":
            measure(label, () -> {
              Message<JsonObject> m = vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, request,
                new DeliveryOptions().setSendTimeout(60_000)).await(90, TimeUnit.SECONDS);
              JsonObject reply = m.body();
              int encoded = reply.toBuffer().length(); // what the HTTP front writes
              long tooLarge = reply.getJsonArray("results").stream()
                .filter(r -> ((JsonObject) r).getJsonObject("error") != null
                  && "PAYLOAD_TOO_LARGE".equals(((JsonObject) r).getJsonObject("error").getString("code")))
                .count();
              String firstError = reply.getJsonArray("results").stream()
                .map(r -> ((JsonObject) r).getJsonObject("error")).filter(e -> e != null)
                .map(e -> e.getString("code")).findFirst().orElse("none");
              return "succeeded=" + reply.getInteger("succeeded") + " failed=" + reply.getInteger("failed")
                + " PAYLOAD_TOO_LARGE=" + tooLarge + " (first error " + firstError + ") reply=" + encoded + " bytes encoded";
            });
            break;
          case "front":
          case "ndjson":
            HttpClient c = client;
            Buffer body = request.toBuffer();
            boolean ndjson = path.equals("ndjson");
            measure(label + " body=" + body.length(), () -> post(c, body, ndjson).await(90, TimeUnit.SECONDS));
            break;
          default:
            throw new IllegalArgumentException("path " + path);
        }
      }
    }
    if (front != null) {
      System.out.printf(Locale.ROOT, "front after the calls: %d connections open, %d body bytes buffered%n",
        front.openConnections(), front.bufferedBodyBytes());
    }
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  /** Runs {@code call} with the heap sampled every 2 ms; prints the outcome, time and heap peak. */
  private static void measure(String label, Callable<String> call) {
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
    try {
      outcome = call.call();
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
    System.out.printf(Locale.ROOT, "%s %s in %d ms; heap before=%d MiB peak(sampled)=%d MiB sum of pool peaks=%d MiB%n",
      label, outcome, ms, base >> 20, peak.get() >> 20, poolPeaks >> 20);
  }

  /**
   * {@code POST /fetch} through the HTTP front; the answer is streamed and counted, never held whole (only its
   * last 64 KiB are kept, for the summary line of an NDJSON stream or the error of a plain answer).
   */
  private static Future<String> post(HttpClient client, Buffer body, boolean ndjson) {
    return client.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/fetch").setTimeout(90_000))
      .compose(req -> {
        req.putHeader("content-type", "application/json");
        if (ndjson) {
          req.putHeader("accept", "application/x-ndjson");
        }
        return req.send(body);
      })
      .compose(resp -> {
        Promise<String> done = Promise.promise();
        long[] bytes = {0};
        int[] lines = {0};
        int[] tooLarge = {0};
        StringBuilder tail = new StringBuilder();
        String[] carry = {""};
        resp.handler(chunk -> {
          bytes[0] += chunk.length();
          String text = chunk.toString(StandardCharsets.UTF_8);
          for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
              lines[0]++;
            }
          }
          // the carry-over (16 chars) is shorter than the word, so no occurrence is counted twice
          String s = carry[0] + text;
          for (int at = s.indexOf("PAYLOAD_TOO_LARGE"); at >= 0; at = s.indexOf("PAYLOAD_TOO_LARGE", at + 1)) {
            tooLarge[0]++;
          }
          carry[0] = s.substring(Math.max(0, s.length() - 16));
          tail.append(text);
          if (tail.length() > 65_536) {
            tail.delete(0, tail.length() - 65_536);
          }
        });
        resp.exceptionHandler(done::tryFail);
        resp.endHandler(v -> {
          String t = tail.toString().trim();
          String last = t.substring(t.lastIndexOf('\n') + 1);
          done.tryComplete("status=" + resp.statusCode() + " " + resp.getHeader("content-type") + " answer=" + bytes[0]
            + " bytes, " + lines[0] + " lines, PAYLOAD_TOO_LARGE mentioned " + tooLarge[0] + " times; last line: "
            + (last.length() > 300 ? last.substring(0, 300) + "…" : last));
        });
        return done.future();
      });
  }

  private static long used() {
    Runtime r = Runtime.getRuntime();
    return r.totalMemory() - r.freeMemory();
  }
}
