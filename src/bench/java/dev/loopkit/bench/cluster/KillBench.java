package dev.loopkit.bench.cluster;

import dev.loopkit.cluster.impl.Nodes;
import dev.loopkit.timeout.RetryBudgetOptions;
import dev.loopkit.timeout.RetryOptions;
import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * kill -9 of a serving node, with real processes: this JVM is node a (the caller and a TimeoutVerticle),
 * two child JVMs b and c serve {@code bench.svc} ({@link KillBenchNode}); every cluster setting is the
 * default ({@code memberTimeoutMs} 2 s). A steady stream (one request every 5 ms, bounded) goes both through
 * a retrying route ({@code attemptTimeoutMs} 250 ms, budget 3 s) and directly (send timeout 4 s). Then b is
 * killed — {@code kill -9} (its sockets close at once) or, in the {@code stop} rounds, {@code kill -STOP}
 * (silent, like a network partition: only the heartbeat timeout finds it) — and the program reports:
 * the time to b's removal from a's member list; the time until requests are served by the survivor again
 * (the last request sent after the kill that was not answered within 100 ms, per path); failures per path.
 *
 * <p>usage: KillBench [KILL_ROUNDS=3] [STOP_ROUNDS=1]
 */
public final class KillBench {

  private static final long PERIOD_MS = 20;
  private static final long AFTER_KILL_MS = 5_000;
  /** Above the route's 3 s budget: the route answers (504) before the bus's own timeout. */
  private static final long SEND_TIMEOUT_MS = 4_000;

  record Call(long sent, long done, boolean ok, String servedBy, String failure) {
  }

  public static void main(String[] args) throws Exception {
    int killRounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    int stopRounds = args.length > 1 ? Integer.parseInt(args[1]) : 1;
    String cluster = ClusterBenchSupport.clusterName();
    int seed = ClusterBenchSupport.freePort();
    Vertx a = ClusterBenchSupport.node(cluster, "a", seed, seed);
    a.deployVerticle(new TimeoutVerticle(new TimeoutOptions().addRoute(new RouteOptions().setAddress("bench.svc.retrying")
      .setTarget("bench.svc").setTimeoutMs(3_000).setRetry(new RetryOptions().setMaxAttempts(5).setBackoffMs(1)
        .setAttemptTimeoutMs(250))
      // every call whose attempt died with b needs one retry: a budget that allows it (the default, 0.2 per call, would
      // shed some of them at 200 calls/s, which is the retry budget doing its job, not node loss)
      .setRetryBudget(new RetryBudgetOptions().setRatio(1.0).setMaxTokens(1_000))))).await(30, TimeUnit.SECONDS);
    AtomicLong removedAt = new AtomicLong();
    Nodes.watch(a, (n, now) -> { }, (n, now) -> {
      if (System.getenv("TIMELINE") != null) {
        System.out.println("  member removed event: " + n);
      }
      if (n.name().startsWith("b")) {
        removedAt.compareAndSet(0, System.nanoTime());
      }
    });
    Process c = spawn(cluster, "c", seed);
    System.out.println("# kill -9 / kill -STOP of serving node b (c survives); caller a: one request every " + PERIOD_MS
      + " ms through a retrying route (attemptTimeoutMs 250, budget 3000, retry budget ratio 1.0) and directly (send timeout 4000); default memberTimeoutMs");
    List<String> summary = new ArrayList<>();
    for (int r = 0; r < killRounds + stopRounds; r++) {
      boolean stop = r >= killRounds;
      Process b = spawn(cluster, "b" + r, seed);
      ClusterBenchSupport.waitMembers(a, 3);
      ClusterBenchSupport.registered(a, "bench.svc", 2);
      removedAt.set(0);
      List<Call> routed = new CopyOnWriteArrayList<>();
      List<Call> direct = new CopyOnWriteArrayList<>();
      long[] killedAt = {0};
      long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1_000 + AFTER_KILL_MS);
      long timer = a.setPeriodic(PERIOD_MS, t -> {
        if (System.nanoTime() > end) {
          return;
        }
        send(a, "bench.svc.retrying", routed);
        send(a, "bench.svc", direct);
      });
      a.timer(1_000).await();
      killedAt[0] = System.nanoTime();
      if (stop) {
        new ProcessBuilder("kill", "-STOP", Long.toString(b.pid())).start().waitFor();
      } else {
        b.destroyForcibly();
      }
      if (System.getenv("TIMELINE") != null) {
        // when does a's cluster manager stop listing b's registration of bench.svc?
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AFTER_KILL_MS);
        int last = -1;
        while (System.nanoTime() < until) {
          io.vertx.core.Promise<List<io.vertx.core.spi.cluster.RegistrationInfo>> p = io.vertx.core.Promise.promise();
          long q = System.nanoTime();
          Nodes.manager(a).getRegistrations("bench.svc", p);
          int n = p.future().await(10, TimeUnit.SECONDS).size();
          if (n != last) {
            System.out.println(ClusterBenchSupport.fmt("  registrations of bench.svc seen by a: %d at +%d ms (lookup took %d ms)", n,
              (System.nanoTime() - killedAt[0]) / 1_000_000, (System.nanoTime() - q) / 1_000_000));
            last = n;
          }
          a.timer(20).await();
        }
      }
      a.timer(AFTER_KILL_MS + 3_500).await();
      a.cancelTimer(timer);
      if (stop) {
        b.destroyForcibly();
      }
      b.waitFor(30, TimeUnit.SECONDS);
      ClusterBenchSupport.waitMembers(a, 2);
      long k = killedAt[0];
      String line = ClusterBenchSupport.fmt("%s round %d: removed after %s ms; served by the survivor again after: route %s ms, direct %s ms; "
          + "failures: route %d of %d, direct %d of %d; slowest route call %.0f ms",
        stop ? "kill -STOP" : "kill -9", r, removedAt.get() == 0 ? "?" : Long.toString((removedAt.get() - k) / 1_000_000),
        recovered(routed, k), recovered(direct, k), failures(routed), routed.size(), failures(direct), direct.size(), slowest(routed) / 1e6);
      System.out.println(line);
      if (System.getenv("TIMELINE") != null) {
        System.out.println("  timeline (by send time from the kill, 250 ms buckets) route ok/slow/failed | direct ok/failed:");
        for (long from = -500; from < AFTER_KILL_MS; from += 250) {
          long lo = k + from * 1_000_000L;
          long hi = lo + 250_000_000L;
          System.out.println(ClusterBenchSupport.fmt("  %+6d ms  %s | %s", from, bucket(routed, lo, hi), bucket(direct, lo, hi)));
        }
      }
      System.out.println("  route failures: " + reasons(routed));
      System.out.println("  direct failures: " + reasons(direct));
      summary.add(line);
    }
    c.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static void send(Vertx a, String address, List<Call> calls) {
    long sent = System.nanoTime();
    a.eventBus().<JsonObject>request(address, new JsonObject(), new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MS)).onComplete(ar ->
      calls.add(new Call(sent, System.nanoTime(), ar.succeeded(), ar.succeeded() ? ar.result().body().getString("servedBy") : null,
        ar.succeeded() ? null : String.valueOf(ar.cause().getMessage()).replaceAll("[0-9a-f-]{36}|\\d+", "#"))));
  }

  /** @return ms from the kill to the send time after which every call was answered OK within 100 ms */
  private static String recovered(List<Call> calls, long killedAt) {
    long lastBad = killedAt;
    for (Call c : calls) {
      if (c.sent() >= killedAt && (!c.ok() || c.done() - c.sent() > 100_000_000L) && c.sent() > lastBad) {
        lastBad = c.sent();
      }
    }
    return Long.toString((lastBad - killedAt) / 1_000_000);
  }

  private static String bucket(List<Call> calls, long lo, long hi) {
    long ok = 0;
    long slow = 0;
    long failed = 0;
    for (Call c : calls) {
      if (c.sent() >= lo && c.sent() < hi) {
        if (!c.ok()) {
          failed++;
        } else if (c.done() - c.sent() > 100_000_000L) {
          slow++;
        } else {
          ok++;
        }
      }
    }
    return ClusterBenchSupport.fmt("%2d/%2d/%2d", ok, slow, failed);
  }

  private static String reasons(List<Call> calls) {
    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
    calls.stream().filter(c -> !c.ok()).forEach(c -> counts.merge(c.failure().length() > 140 ? c.failure().substring(0, 140) : c.failure(), 1L, Long::sum));
    return counts.toString();
  }

  private static long failures(List<Call> calls) {
    return calls.stream().filter(c -> !c.ok()).count();
  }

  private static long slowest(List<Call> calls) {
    return calls.stream().mapToLong(c -> c.done() - c.sent()).max().orElse(0);
  }

  private static Process spawn(String cluster, String name, int seed) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
    // the caller's Hazelcast and logging settings apply to the serving nodes too
    for (String prop : System.getProperties().stringPropertyNames()) {
      if (prop.startsWith("hazelcast.") || prop.startsWith("logback.")) {
        cmd.add("-D" + prop + "=" + System.getProperty(prop));
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KillBenchNode.class.getName(), cluster, name,
      Integer.toString(ClusterBenchSupport.freePort()), Integer.toString(seed)));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CountDownLatch ready = new CountDownLatch(1);
    Thread reader = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = in.readLine()) != null; ) {
          if (line.startsWith("ready ")) {
            ready.countDown();
          }
        }
      } catch (Exception ignored) {
        // the process died
      }
    }, "node-" + name);
    reader.setDaemon(true);
    reader.start();
    if (!ready.await(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("node " + name + " did not start");
    }
    return p;
  }
}
