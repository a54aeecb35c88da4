package dev.loopkit;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fat jar, run the way the README says: {@code java -jar target/loopkit-*-fat.jar [-conf FILE]}.
 * Ports are overridden to 0 ({@code -Dloopkit...port=0}) so that a developer's running app does not
 * clash; everything else is the shipped configuration.
 */
@DisplayName("java -jar loopkit-fat.jar, as a user runs it")
class LauncherIT {

  private static final Path JAR = Paths.get(System.getProperty("loopkit.fatJar", "target/loopkit-0.1.0-SNAPSHOT-fat.jar"));
  private static final Path PROJECT = Paths.get(System.getProperty("loopkit.projectDir", "."));

  private static ProcessBuilder java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).directory(PROJECT.toFile()).redirectErrorStream(true);
  }

  private static String run(ProcessBuilder pb, int[] exit) throws Exception {
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    exit[0] = p.exitValue();
    return new String(out, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("the embedded default starts, prints where things run; /health answers 200 and /metrics serves Prometheus")
  void default_config_serves_health() throws Exception {
    Process p = java("-Dloopkit.http.port=0", "-Dloopkit.verticles.upstream.config.port=0", "-jar", JAR.toString()).start();
    try {
      BufferedReader lines = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      StringBuilder seen = new StringBuilder();
      String curl = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      for (String line; System.nanoTime() < deadline && (line = lines.readLine()) != null; ) {
        seen.append(line).append('\n');
        if (line.startsWith("try: curl")) {
          curl = line;
          break;
        }
      }
      assertThat(curl).as("start-up output:\n%s", seen).isNotNull();
      assertThat(seen.toString()).contains("loopkit started in", "classpath:conf/application.json", "http front", "(loopback only)");
      Matcher m = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+)/health").matcher(curl);
      assertThat(m.find()).isTrue();
      HttpResponse<String> health = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(m.group(1) + "/health")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"outcome\":\"UP\"");
      HttpResponse<String> metrics = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(m.group(1) + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).as("metrics are on by default in the fat jar").isEqualTo(200);
      assertThat(metrics.body()).contains("vertx_http_server_requests_total");
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  @DisplayName("a typo'd key stops start-up with exit ≠ 0 and one line naming file, path and problem")
  void typo_in_config(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("typo.json");
    Files.writeString(conf, "{\n  \"http\": { \"host\": \"127.0.0.1\", \"prot\": 0 }\n}\n");
    int[] exit = {0};
    String out = run(java("-jar", JAR.toString(), "-conf", conf.toString()), exit);
    assertThat(exit[0]).isNotZero();
    List<String> errorLines = out.lines().filter(l -> l.contains("ERROR")).toList();
    assertThat(errorLines).hasSize(1);
    assertThat(errorLines.get(0)).contains(conf + ": http.prot: unknown key (did you mean 'port'?)");
  }

  @Test
  @DisplayName("failures found only while deploying, and the application listed as a verticle, are one line without a stack trace")
  void deploy_time_failures_are_one_line(@TempDir Path dir) throws Exception {
    try (java.net.ServerSocket held = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      Path inUse = dir.resolve("in-use.json");
      Files.writeString(inUse, "{\"http\": {\"enabled\": false}, \"verticles\": {\"upstream\": "
        + "{\"class\": \"dev.loopkit.demo.DemoUpstreamVerticle\", \"config\": {\"port\": " + held.getLocalPort() + "}}}}");
      Path itself = dir.resolve("itself.json");
      Files.writeString(itself, "{\"http\": {\"enabled\": false}, \"verticles\": {\"app\": {\"class\": \"dev.loopkit.MainVerticle\"}}}");
      for (Path conf : List.of(inUse, itself)) {
        int[] exit = {0};
        String out = run(java("-jar", JAR.toString(), "-conf", conf.toString()), exit);
        assertThat(exit[0]).isNotZero();
        List<String> problems = out.lines().filter(l -> l.contains("ERROR") || l.contains("WARN")).toList();
        assertThat(problems).as(out).hasSize(1);
        assertThat(problems.get(0)).contains(conf.toString()).containsAnyOf("verticles.upstream: ", "verticles.app.class: ");
        assertThat(out).doesNotContain("\tat ");
      }
    }
  }

  @Test
  @DisplayName("-Dhttp=x is an error naming the override, not a section that silently vanishes")
  void a_section_replaced_by_an_override_is_named() throws Exception {
    int[] exit = {0};
    String out = run(java("-Dhttp=x", "-jar", JAR.toString()), exit);
    assertThat(exit[0]).isNotZero();
    assertThat(out).contains("classpath:conf/application.json (overridden by -Dhttp): http: must be a JSON object, got \"x\"");
  }

  @Test
  @DisplayName("invalid JSON stops start-up naming line and column")
  void invalid_json(@TempDir Path dir) throws Exception {
    Path conf = dir.resolve("broken.json");
    Files.writeString(conf, "{\n  \"http\": {\n    \"port\": 8080,\n  }\n}\n");
    int[] exit = {0};
    String out = run(java("-jar", JAR.toString(), "-conf", conf.toString()), exit);
    assertThat(exit[0]).isNotZero();
    assertThat(out).contains(conf + ": invalid JSON at line 4, column 3");
    assertThat(out).doesNotContain("does not point to an valid JSON");
  }

  @Test
  @DisplayName("conf/tutorial.json prints every section with timings and exits 0")
  void tutorial_walkthrough() throws Exception {
    int[] exit = {-1};
    String out = run(java("-Dloopkit.verticles.tutorial.config.delayMs=300", "-jar", JAR.toString(), "-conf", "conf/tutorial.json"), exit);
    assertThat(exit[0]).as(out).isZero();
    assertThat(out).contains("[a] ", "[b] gather: 3 fetches of 300 ms in ", "(sequential: ", "[c] ", "[d] ", "[e] ", "[f] ", "[g] ", "[h] ",
      "tutorial: every claim held");
  }

}
