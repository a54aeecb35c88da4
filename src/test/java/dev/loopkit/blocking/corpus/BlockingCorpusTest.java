package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.BlockingAttributionProvider;
import dev.loopkit.blocking.child.ChildJvm;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 2, the clean corpus: small correct Vert.x programs written the way the Vert.x docs and
 * examples write them, each tested with traffic under {@code @CheckBlocking}, in two cold JVMs: one strict,
 * one not ({@code -Dloopkit.blocking.strict} overrides {@code strict}; one of the two is the annotation's
 * default): no test may fail, and the checker may not log a single WARN.
 */
@DisplayName("clean corpus: correct Vert.x code under @CheckBlocking, cold JVMs")
class BlockingCorpusTest {

  /** The corpus: each class is one small program and its test, run only through {@link CorpusRunner}. */
  static final List<Class<?>> CORPUS = List.of(
    HttpHelloCase.class, StreamingPipeCase.class, WebSocketCase.class, H2cCase.class, H2TlsCase.class,
    EventBusRequestReplyCase.class, EventBusPublishCase.class, CustomCodecCase.class, TcpEchoCase.class,
    TimersCase.class, ExecuteBlockingCase.class, WorkerVerticleCase.class, VirtualThreadCase.class,
    AsyncFileJsonCase.class, RouterStaticBodyCase.class, BlockingHandlerCase.class, WebClientCase.class,
    PrometheusScrapeCase.class, PrintlnLoggingCase.class, TlsHandshakeCase.class, HealthCheckCase.class,
    CircuitBreakerCase.class, ConfigRetrieverCase.class, SharedDataCase.class, ChunkedEventsCase.class);

  @Test
  @DisplayName("every corpus program passes in both modes, without a WARN")
  void corpus_is_clean() throws Exception {
    // one cold JVM per mode, both at once; the non-strict JVM runs the corpus in reverse order, so that every
    // program meets a cold JVM (its first HTTP/2, TLS, WebSocket, vertx-web... use) early in one of them
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      // -Dloopkit.corpus.only=NameCase,OtherCase runs just those (when looking into one)
      String only = System.getProperty("loopkit.corpus.only", "");
      List<Class<?>> corpus = new ArrayList<>();
      for (Class<?> c : CORPUS) {
        if (only.isBlank() || List.of(only.split(",")).contains(c.getSimpleName())) {
          corpus.add(c);
        }
      }
      List<Class<?>> reversed = new ArrayList<>(corpus);
      java.util.Collections.reverse(reversed);
      Future<List<JsonObject>> strict = pool.submit(() -> run(corpus, true));
      Future<List<JsonObject>> watchdog = pool.submit(() -> run(reversed, false));
      List<JsonObject> results = new ArrayList<>(strict.get(10, TimeUnit.MINUTES));
      results.addAll(watchdog.get(10, TimeUnit.MINUTES));
      int tests = 0;
      int findings = 0;
      int warns = 0;
      int excused = 0;
      for (JsonObject r : results) {
        System.out.println("corpus " + r.encode());
        tests += r.getInteger("passed") + r.getInteger("failed");
        findings += r.getInteger("findings");
        warns += r.getInteger("warns");
        excused += r.getInteger("excused");
      }
      System.out.println("corpus totals: " + results.size() + " class runs, " + tests + " tests, " + findings
        + " failing findings, " + warns + " WARN lines, " + excused + " records not failing (warm-up, GC...)");
      assertThat(results).hasSize(2 * corpus.size());
      assertThat(results).allSatisfy(r -> assertThat(r.getInteger("failed"))
        .as(r.getString("class") + " strict=" + r.getString("strict") + ": " + r.getJsonArray("failures")).isZero());
      assertThat(results).allSatisfy(r -> assertThat(r.getInteger("warns"))
        .as(r.getString("class") + " strict=" + r.getString("strict") + ": " + r.getJsonArray("warnLines")).isZero());
      assertThat(results).allSatisfy(r -> assertThat(r.getInteger("passed") + r.getInteger("skipped"))
        .as(r.getString("class") + " ran").isPositive());
    } finally {
      pool.shutdownNow();
    }
  }

  static List<JsonObject> run(List<Class<?>> classes, boolean strict) throws Exception {
    List<String> names = new ArrayList<>();
    classes.forEach(c -> names.add(c.getName()));
    // as a user's test resources would: BlockingAttributionProvider registered, so every Vert.x instance the
    // programs build (VertxExtension's, and their own with Micrometer) names HTTP requests — with their own
    // metrics still working (PrometheusScrapeCase scrapes them)
    Path services = Files.createTempDirectory("corpus-services");
    Files.createDirectories(services.resolve("META-INF/services"));
    Files.writeString(services.resolve("META-INF/services/io.vertx.core.spi.VertxServiceProvider"),
      BlockingAttributionProvider.class.getName() + "\n");
    try (ChildJvm child = ChildJvm.start(List.of("-Xmx256m", "-XX:+UseG1GC", "-Dloopkit.blocking.corpus=true",
      "-Dloopkit.blocking.strict=" + strict), List.of(services.toString()), CorpusRunner.class, names.toArray(new String[0]))) {
      List<JsonObject> out = new ArrayList<>();
      while (true) {
        String line = child.await(l -> l.startsWith("CORPUS"), 300_000, "the corpus results (strict=" + strict + ")");
        if (line.equals("CORPUS-END")) {
          return out;
        }
        out.add(new JsonObject(line.substring("CORPUS ".length())));
      }
    }
  }
}
