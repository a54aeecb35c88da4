package dev.loopkit.cluster;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real processes of the fat jar, started the way the README says — {@code java -jar … -conf
 * conf/cluster-a.json} and {@code … conf/cluster-b.json} — with their ports overridden (HTTP 0, Hazelcast
 * and upstream on free ports, a fresh cluster name) so that nothing clashes with a running demo or with
 * LauncherIT. A fetch through node a's HTTP front is served by node b; then node b is killed with SIGKILL
 * in the middle of a request, and a's caller is answered within its budget.
 */
@DisplayName("two java -jar nodes: a fetch on a served by b; b killed -9 mid-request, the caller answered within its budget")
class ClusterIT {

  private static final Path JAR = Paths.get(System.getProperty("loopkit.fatJar", "target/loopkit-0.1.0-SNAPSHOT-fat.jar"));
  private static final Path PROJECT = Paths.get(System.getProperty("loopkit.projectDir", "."));
  private static final long BUDGET_MS = 4_000;

  /** A node process and the lines it printed so far. */
  private static final class Node {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();

    Node(Process process) {
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException ignored) {
          // the process died
        }
      }, "node-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits (bounded, polling the output the reader thread collects) for a line matching {@code wanted}. */
    String await(Predicate<String> wanted, long maxMs) throws InterruptedException {
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMs);
      while (System.nanoTime() < until && process.isAlive()) {
        for (String l : lines) {
          if (wanted.test(l)) {
            return l;
          }
        }
        process.waitFor(20, TimeUnit.MILLISECONDS);
      }
      for (String l : lines) {
        if (wanted.test(l)) {
          return l;
        }
      }
      throw new AssertionError("not printed in time; output so far:\n" + String.join("\n", lines));
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  private static Node start(String conf, String... overrides) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.addAll(List.of(overrides));
    cmd.addAll(List.of("-jar", JAR.toString(), "-conf", conf));
    return new Node(new ProcessBuilder(cmd).directory(PROJECT.toFile()).redirectErrorStream(true).start());
  }

  private static String base(String curlLine) {
    Matcher m = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+)/health").matcher(curlLine);
    assertThat(m.find()).as(curlLine).isTrue();
    return m.group(1);
  }

  @Test
  void a_fetch_on_a_is_served_by_b_and_killing_b_mid_request_is_answered_within_the_budget() throws Exception {
    String cluster = "loopkit-it-" + UUID.randomUUID();
    int hzA = freePort();
    int hzB = freePort();
    int upstream = freePort();
    String members = "-Dloopkit.cluster.members=[\"127.0.0.1:" + hzA + "\"]";
    Node a = start("conf/cluster-a.json", "-Dloopkit.http.port=0", "-Dloopkit.cluster.name=" + cluster,
      "-Dloopkit.cluster.port=" + hzA, members);
    Node b = null;
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try {
      String frontA = base(a.await(l -> l.startsWith("try: curl"), 90_000));
      assertThat(a.lines).anySatisfy(l -> assertThat(l).startsWith("loopkit joined in").contains("cluster '" + cluster + "': this node a ("));
      b = start("conf/cluster-b.json", "-Dloopkit.http.port=0", "-Dloopkit.cluster.name=" + cluster,
        "-Dloopkit.cluster.port=" + hzB, members, "-Dloopkit.verticles.upstream.config.port=" + upstream,
        "-Dloopkit.verticles.fetch.config.allowedHosts=[\"127.0.0.1:" + upstream + "\"]");
      String frontB = base(b.await(l -> l.startsWith("try: curl"), 90_000));
      assertThat(b.await(l -> l.contains("members seen (2)"), 1_000)).contains("this node b (").contains("a (");

      // a fetch through node a's front (a has no fetch verticle): served by b
      String item = "http://127.0.0.1:" + upstream + "/item/";
      HttpResponse<String> ok = null;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < until) {
        ok = post(http, frontA, "{\"urls\": [\"" + item + "1\"]}", 10_000).join();
        if (ok.statusCode() == 200) {
          break;
        }
        // b's registration is still on its way to a (answered 503 NO_HANDLERS): ask again, bounded
        b.process.waitFor(100, TimeUnit.MILLISECONDS);
      }
      assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
      assertThat(new JsonObject(ok.body()).getJsonArray("results").getJsonObject(0).getJsonObject("json").getInteger("id")).isEqualTo(1);

      // a slow fetch in flight on b, then kill -9 b
      long sent = System.nanoTime();
      CompletableFuture<HttpResponse<String>> slow = post(http, frontA, "{\"urls\": [\"" + item + "2?delay_ms=20000\"]}", 30_000);
      awaitClientRequestInFlight(http, frontB);
      long killed = System.nanoTime();
      b.process.destroyForcibly();
      assertThat(b.process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      HttpResponse<String> answer = slow.get(30, TimeUnit.SECONDS);
      long totalMs = (System.nanoTime() - sent) / 1_000_000;
      long afterKillMs = (System.nanoTime() - killed) / 1_000_000;
      System.out.println("SIGKILL of b mid-request: a answered " + answer.statusCode() + " " + answer.body() + " after "
        + totalMs + " ms (" + afterKillMs + " ms after the kill; budget " + BUDGET_MS + " ms)");
      JsonObject body = new JsonObject(answer.body());
      assertThat(answer.statusCode()).as(answer.body()).isIn(503, 504);
      assertThat(body.getInteger("code")).isEqualTo(answer.statusCode());
      assertThat(body.getString("error")).isIn("UNAVAILABLE", "TIMEOUT");
      assertThat(totalMs).as("answered within the caller's budget (+ a loose margin)").isLessThan(BUDGET_MS + 1_500);
      assertThat(a.await(l -> l.contains("member b (") && l.contains("left or was lost"), 15_000)).contains("members now (1)");
    } finally {
      if (b != null) {
        b.stop();
      }
      a.stop();
    }
  }

  private static CompletableFuture<HttpResponse<String>> post(HttpClient http, String base, String json, long timeoutMs) {
    return http.sendAsync(HttpRequest.newBuilder(URI.create(base + "/fetch")).timeout(Duration.ofMillis(timeoutMs))
        .header("content-type", "application/json").header("loopkit-timeout-ms", Long.toString(BUDGET_MS))
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Polls node b's /metrics until its fetch engine has a request in flight to the upstream (bounded). */
  private static void awaitClientRequestInFlight(HttpClient http, String frontB) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    String last = "";
    while (System.nanoTime() < until) {
      last = http.send(HttpRequest.newBuilder(URI.create(frontB + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
      double active = last.lines().filter(l -> l.startsWith("vertx_http_client_active_requests"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
      if (active >= 1) {
        return;
      }
    }
    throw new AssertionError("no request in flight on b: " + last.lines().filter(l -> l.contains("client_active")).toList());
  }
}
