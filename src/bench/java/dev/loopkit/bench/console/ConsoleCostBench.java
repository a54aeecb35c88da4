package dev.loopkit.bench.console;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import dev.loopkit.bus.Addresses;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What open loop consoles cost the HTTP front under load (issue 13: 10 consoles ≤ 2 % of throughput).
 *
 * <p>One JVM: the front (127.0.0.1, port 0) with the blocking checker (defaults), and a load generator on its
 * own Vert.x instance (one event loop) keeping {@code C} keep-alive requests to {@code GET /health} in flight.
 * A synthetic incident record (with a 40-frame stack) is published on {@code loopkit.blocking} every
 * {@code incidentEveryMs} (1 s: a service with an incident every second is already a sick one) throughout, so that open consoles have something to forward besides the once-a-second tick. Rounds are
 * paired: each pair measures {@code ROUND_S} seconds with no console and {@code ROUND_S} seconds with
 * {@code CONSOLES} live channels open and read (raw sockets that drain everything), in alternating order;
 * the ratio of each pair is printed, then the median. A/A control pairs (no console in both halves) show the
 * noise. Prints the load average before and after.
 *
 * <p>{@code ConsoleCostBench cpu [pairs=6] [roundSeconds=10] [consoles=10]}: without load, the process CPU time
 * the consoles add (what the throughput pairs cannot resolve on a noisy machine).
 *
 * <p>Usage: {@code ConsoleCostBench [pairs=8] [roundSeconds=5] [consoles=10] [concurrency=32] [controlPairs=3]
 * [incidentEveryMs=1000]}
 */
public final class ConsoleCostBench {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("cpu")) {
      cpu(args.length > 1 ? Integer.parseInt(args[1]) : 6, args.length > 2 ? Integer.parseInt(args[2]) : 10,
        args.length > 3 ? Integer.parseInt(args[3]) : 10);
      return;
    }
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int roundS = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int consoles = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int concurrency = args.length > 3 ? Integer.parseInt(args[3]) : 32;
    int controls = args.length > 4 ? Integer.parseInt(args[4]) : 3;
    int incidentEveryMs = args.length > 5 ? Integer.parseInt(args[5]) : 1000;
    System.out.printf("ConsoleCostBench pairs=%d round=%ds consoles=%d C=%d controls=%d incidentEveryMs=%d; load average %s%n",
      pairs, roundS, consoles, concurrency, controls, incidentEveryMs, loadAverage());
    Vertx server = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(server, new BlockingCheckerOptions());
    get(checker.ready());
    HttpFrontVerticle front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    get(server.deployVerticle(front));
    int port = front.actualPort();
    JsonArray stack = new JsonArray();
    for (int i = 0; i < 40; i++) {
      stack.add(new JsonObject().put("class", "com.acme.Layer" + i).put("method", "call").put("file", "Layer" + i + ".java").put("line", i));
    }
    AtomicLong ids = new AtomicLong();
    server.setPeriodic(incidentEveryMs, t -> server.eventBus().publish(Addresses.BLOCKING, new JsonObject()
      .put("id", "bench-" + ids.incrementAndGet()).put("thread", "vert.x-eventloop-thread-9").put("ongoing", false)
      .put("durationMs", 120).put("kind", "cpu").put("startedAt", java.time.Instant.now().toString())
      .put("culprit", stack.getJsonObject(3)).put("stack", stack)));

    Vertx load = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    HttpClient client = load.createHttpClient(new HttpClientOptions().setKeepAlive(true),
      new PoolOptions().setHttp1MaxSize(concurrency));
    AtomicLong done = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    boolean[] running = {true};
    load.runOnContext(v -> {
      for (int i = 0; i < concurrency; i++) {
        loop(client, port, done, failed, running);
      }
    });
    measure(done, 15); // warm-up
    List<Double> ratios = new ArrayList<>();
    List<Double> controlRatios = new ArrayList<>();
    for (int p = 0; p < pairs + controls; p++) {
      boolean control = p >= pairs;
      boolean consolesFirst = p % 2 == 1;
      double without = 0;
      double with = 0;
      for (int half = 0; half < 2; half++) {
        boolean open = !control && (half == 0) == consolesFirst;
        List<Sse> channels = new ArrayList<>();
        if (open) {
          for (int i = 0; i < consoles; i++) {
            channels.add(Sse.open(load, port));
          }
          waitFor(() -> front.consoleClients() == consoles, 5_000);
        }
        double rps = measure(done, roundS);
        long received = channels.stream().mapToLong(s -> s.bytes.get()).sum();
        for (Sse s : channels) {
          s.close();
        }
        waitFor(() -> front.consoleClients() == 0, 5_000);
        boolean countsAsWith = open || control && half == 1;
        if (countsAsWith) {
          with = rps;
        } else {
          without = rps;
        }
        System.out.printf("  pair %d: %s %.0f rps%s%n", p + 1, open ? consoles + " consoles" : "0 consoles",
          rps, open ? " (consoles read " + received / 1024 + " KB)" : control ? " (control)" : "");
      }
      double ratio = with / without;
      (control ? controlRatios : ratios).add(ratio);
      System.out.printf("  pair %d: ratio %.4f%s%n", p + 1, ratio, control ? " (A/A control)" : "");
    }
    running[0] = false;
    System.out.printf("RESULT consoles=%d median ratio with/without %.4f (pairs %s); A/A control median %.4f (%s); failed requests %d; load average %s%n",
      consoles, median(ratios), fmt(ratios), median(controlRatios), fmt(controlRatios), failed.get(), loadAverage());
    load.close();
    checker.close();
    server.close();
    System.exit(0);
  }

  /**
   * Without load: the process CPU time per second with {@code consoles} live channels open and read, minus
   * the same with none, in alternating halves ({@code pairs} pairs of {@code roundS} seconds), the checker
   * running and one incident a second published in both. This is what the consoles cost, in CPU ms per second.
   */
  private static void cpu(int pairs, int roundS, int consoles) throws Exception {
    System.out.printf("ConsoleCostBench cpu pairs=%d round=%ds consoles=%d; load average %s%n", pairs, roundS, consoles, loadAverage());
    Vertx server = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(server, new BlockingCheckerOptions());
    get(checker.ready());
    HttpFrontVerticle front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    get(server.deployVerticle(front));
    int port = front.actualPort();
    JsonArray stack = new JsonArray();
    for (int i = 0; i < 40; i++) {
      stack.add(new JsonObject().put("class", "com.acme.Layer" + i).put("method", "call").put("file", "Layer" + i + ".java").put("line", i));
    }
    AtomicLong ids = new AtomicLong();
    server.setPeriodic(1000, t -> server.eventBus().publish(Addresses.BLOCKING, new JsonObject()
      .put("id", "bench-" + ids.incrementAndGet()).put("thread", "vert.x-eventloop-thread-9").put("ongoing", false)
      .put("durationMs", 120).put("kind", "cpu").put("startedAt", java.time.Instant.now().toString())
      .put("culprit", stack.getJsonObject(3)).put("stack", stack)));
    Vertx readers = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    List<Double> deltas = new ArrayList<>();
    // warm-up: open and close consoles a few times
    for (int w = 0; w < 3; w++) {
      List<Sse> ch = new ArrayList<>();
      for (int i = 0; i < consoles; i++) {
        ch.add(Sse.open(readers, port));
      }
      TimeUnit.SECONDS.sleep(3);
      for (Sse c : ch) {
        c.close();
      }
    }
    for (int p = 0; p < pairs; p++) {
      double with = 0;
      double without = 0;
      for (int half = 0; half < 2; half++) {
        boolean open = (half == 0) == (p % 2 == 1);
        List<Sse> ch = new ArrayList<>();
        if (open) {
          for (int i = 0; i < consoles; i++) {
            ch.add(Sse.open(readers, port));
          }
          waitFor(() -> front.consoleClients() == consoles, 5_000);
        }
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        TimeUnit.SECONDS.sleep(roundS);
        double msPerS = (os.getProcessCpuTime() - cpu0) / 1e6 / ((System.nanoTime() - t0) / 1e9);
        for (Sse c : ch) {
          c.close();
        }
        waitFor(() -> front.consoleClients() == 0, 5_000);
        if (open) {
          with = msPerS;
        } else {
          without = msPerS;
        }
        System.out.printf("  pair %d: %d consoles: %.2f CPU ms/s%n", p + 1, open ? consoles : 0, msPerS);
      }
      deltas.add(with - without);
    }
    System.out.printf("RESULT cpu consoles=%d median extra CPU %.2f ms per second (%.3f %% of one core; pairs %s); load average %s%n",
      consoles, median(deltas), median(deltas) / 10, fmt(deltas), loadAverage());
    readers.close();
    checker.close();
    server.close();
    System.exit(0);
  }

  private static void loop(HttpClient client, int port, AtomicLong done, AtomicLong failed, boolean[] running) {
    if (!running[0]) {
      return;
    }
    client.request(HttpMethod.GET, port, "127.0.0.1", "/health")
      .compose(req -> req.send().compose(resp -> resp.body()))
      .onComplete(ar -> {
        if (ar.succeeded()) {
          done.incrementAndGet();
        } else {
          failed.incrementAndGet();
        }
        loop(client, port, done, failed, running);
      });
  }

  private static double measure(AtomicLong done, int seconds) throws InterruptedException {
    long before = done.get();
    long t0 = System.nanoTime();
    TimeUnit.SECONDS.sleep(seconds); // the benchmark's main thread, not an event loop
    return (done.get() - before) / ((System.nanoTime() - t0) / 1e9);
  }

  private static void waitFor(java.util.function.BooleanSupplier c, long ms) throws InterruptedException {
    long until = System.nanoTime() + ms * 1_000_000L;
    while (!c.getAsBoolean() && System.nanoTime() < until) {
      TimeUnit.MILLISECONDS.sleep(5);
    }
    if (!c.getAsBoolean()) {
      throw new IllegalStateException("condition not met within " + ms + " ms");
    }
  }

  /** A live channel read to the end, as a browser would. */
  static final class Sse {
    final AtomicLong bytes = new AtomicLong();
    private NetClient client;
    private NetSocket socket;

    static Sse open(Vertx vertx, int port) throws Exception {
      Sse s = new Sse();
      s.client = vertx.createNetClient();
      s.socket = get(s.client.connect(port, "127.0.0.1"));
      s.socket.handler(b -> s.bytes.addAndGet(b.length()));
      s.socket.write(Buffer.buffer("GET /console/live HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"));
      return s;
    }

    void close() throws Exception {
      get(socket.close());
      get(client.close());
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (Exception e) {
      return String.valueOf(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }
  }

  private static double median(List<Double> xs) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    s.sort(Double::compare);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static String fmt(List<Double> xs) {
    StringBuilder sb = new StringBuilder();
    for (double x : xs) {
      sb.append(sb.length() == 0 ? "" : " ").append(String.format("%.3f", x));
    }
    return sb.toString();
  }

  private static <T> T get(io.vertx.core.Future<T> f) throws Exception {
    CompletableFuture<T> c = f.toCompletionStage().toCompletableFuture();
    return c.get(20, TimeUnit.SECONDS);
  }
}
