package dev.loopkit.hostile;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import ch.qos.logback.core.spi.FilterReply;
import dev.loopkit.LauncherLogFilter;
import dev.loopkit.MainVerticle;
import dev.loopkit.config.ConfigException;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad config files and overrides, each deployed for real ({@code new MainVerticle(file)}, as
 * {@code java -jar … -conf file}): start-up fails with exactly one log line — naming the file, the JSON
 * path and the problem, without a stack trace — the failure is one the launcher's echo of is dropped
 * ({@link LauncherLogFilter}), and nothing is left deployed.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("hostile config files and overrides: one line, nothing deployed")
class HostileConfigTest {

  private static final String FIXTURES = ConfigFixtures.class.getName();
  private static final String UPSTREAM = "{\"class\": \"dev.loopkit.demo.DemoUpstreamVerticle\", \"config\": {\"port\": 0}}";
  private static final String NO_FRONT = "\"http\": {\"enabled\": false}";

  /** A config file (placeholders {@code {PORT}}: a port in use, {@code {FILE}}: the file itself), overrides, what the line must say. */
  record Case(String name, String content, Map<String, String> properties, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case file(String name, String content, String... expected) {
    return new Case(name, content, Map.of(), List.of(expected));
  }

  private static Case verticle(String name, String entry, String... expected) {
    return file(name, "{" + NO_FRONT + ", \"verticles\": {\"up\": " + UPSTREAM + ", \"x\": " + entry + "}}", expected);
  }

  private static Case override(String name, String property, String value, String... expected) {
    return new Case(name, "{\"http\": {\"port\": 0}, \"verticles\": {\"upstream\": " + UPSTREAM + "}}",
      Map.of(property, value), List.of(expected));
  }

  private static String escaped(String s) {
    return s.replace("\r", "\\r").replace("\n", "\\n").replace("\u0000", "\\u0000");
  }

  static Stream<Arguments> cases() {
    String mb = "\r\nERROR forged\u0000" + "k".repeat(1 << 20);
    List<Case> all = new ArrayList<>(List.of(
      // what the file holds
      file("a number", "42", "line 1, column 1: must be a JSON object, starts with a number (42)"),
      file("an array", "[]", "must be a JSON object, starts with ["),
      file("null", "null", "must be a JSON object, starts with null"),
      file("a string", "\"x\"", "must be a JSON object, starts with a string (\"x\")"),
      file("true", "true", "must be a JSON object, starts with true"),
      file("empty", "  \n", "the file is empty"),
      file("truncated", "{\"http\": {", "invalid JSON at line 1"),
      file("a duplicate key", "{\"http\": {},\n \"http\": {}}", "line 2", "Duplicate field 'http'"),
      file("content after the object", "{}\n{}", "line 2, column 1: unexpected content after the JSON object"),
      file("a 1 MB key with CR LF NUL", "{\"" + escaped(mb) + "\": 1}", "invalid JSON", "Name length"),
      file("a 10 000-character key with CR LF NUL", "{\"" + escaped(mb.substring(0, 10_000)) + "\": 1}", "unknown key",
        "\\r\\nERROR forged\\u0000kkk", "…(10000 chars)"),
      file("a 1 MB value with CR LF NUL", "{\"http\": {\"host\": \"" + escaped(mb) + "\", \"port\": 0}}", ": http: the HTTP front failed to listen on"),
      // sections of the wrong type are named at their own path
      file("http is an array", "{\"http\": [8080]}", ": http: must be a JSON object, got an array"),
      file("http is a string", "{\"http\": \"127.0.0.1:8080\"}", ": http: must be a JSON object, got \"127.0.0.1:8080\""),
      file("verticles is an array", "{\"verticles\": [" + UPSTREAM + "]}", ": verticles: must be a JSON object, got an array"),
      file("a verticle entry is a number", "{\"verticles\": {\"x\": 5}}", ": verticles.x: must be a JSON object, got 5"),
      file("a verticle's config is an array", "{\"verticles\": {\"x\": {\"class\": \"dev.loopkit.demo.DemoUpstreamVerticle\", \"config\": []}}}",
        ": verticles.x.config: must be a JSON object, got an array"),
      // classes refused at validation
      verticle("the application itself", "{\"class\": \"dev.loopkit.MainVerticle\"}",
        ": verticles.x.class: \"dev.loopkit.MainVerticle\" is the application itself"),
      verticle("a subclass of the application", "{\"class\": \"" + FIXTURES + "$SubApp\"}", ": verticles.x.class:", "is the application itself"),
      verticle("an abstract class", "{\"class\": \"" + FIXTURES + "$Abstract\"}", ": verticles.x.class:", "is abstract"),
      verticle("an interface", "{\"class\": \"io.vertx.core.Deployable\"}", ": verticles.x.class:", "is an interface"),
      verticle("no no-argument constructor", "{\"class\": \"" + FIXTURES + "$NoDefaultConstructor\"}", ": verticles.x.class:",
        "has no no-argument constructor"),
      verticle("a private constructor", "{\"class\": \"" + FIXTURES + "$PrivateConstructor\"}", ": verticles.x.class:",
        "constructor must be public"),
      verticle("not a verticle", "{\"class\": \"java.lang.String\"}", ": verticles.x.class: \"java.lang.String\" is not a verticle"),
      verticle("no such class", "{\"class\": \"com.example.Nope\"}", ": verticles.x.class: no such class on the class path"),
      verticle("a disabled entry with a bad config", "{\"class\": \"dev.loopkit.timeout.TimeoutVerticle\", \"enabled\": false, "
        + "\"config\": {\"routes\": 5}}", ": verticles.x.config.routes: must be an array of objects, got 5"),
      // found only while deploying: still one line, at the entry's path; what was deployed is undeployed
      verticle("a constructor that throws", "{\"class\": \"" + FIXTURES + "$ThrowingConstructor\"}",
        ": verticles.x: " + FIXTURES + "$ThrowingConstructor failed to start: its constructor threw", "boom\\nat line two"),
      verticle("a start that fails", "{\"class\": \"" + FIXTURES + "$FailingStart\"}",
        ": verticles.x: " + FIXTURES + "$FailingStart failed to start: cannot start\\n"),
      verticle("a port in use", "{\"class\": \"dev.loopkit.demo.DemoUpstreamVerticle\", \"config\": {\"port\": {PORT}}}",
        ": verticles.x: dev.loopkit.demo.DemoUpstreamVerticle failed to start:", "free the resource it needs"),
      verticle("a verticle that deploys the application", "{\"class\": \"" + FIXTURES + "$DeploysTheApp\", \"config\": {\"conf\": \"{FILE}\"}}",
        ": verticles.x: " + FIXTURES + "$DeploysTheApp failed to start: the application is already starting"),
      file("the front's port in use", "{\"http\": {\"port\": {PORT}}, \"verticles\": {\"up\": " + UPSTREAM + "}}",
        ": http: the HTTP front failed to listen on 127.0.0.1:"),
      // overrides that break a section are named
      override("-Dhttp=x", "http", "x", " (overridden by -Dhttp): http: must be a JSON object, got \"x\""),
      override("-Dverticles=x", "verticles", "x", " (overridden by -Dverticles): verticles: must be a JSON object, got \"x\""),
      override("-Dverticles=[]", "verticles", "[]", " (overridden by -Dverticles): verticles: must be a JSON object, got an array"),
      override("-Dloopkit.http=x", "loopkit.http", "x", " (overridden by -Dloopkit.http): http: must be a JSON object, got \"x\""),
      override("-Dloopkit.verticles=7", "loopkit.verticles", "7", " (overridden by -Dloopkit.verticles): verticles: must be a JSON object, got 7"),
      override("-Dloopkit.verticles.upstream.config.port=-1", "loopkit.verticles.upstream.config.port", "-1",
        " (overridden by -Dloopkit.verticles.upstream.config.port): verticles.upstream.config.port: must be an integer in [0, 65535], got -1"),
      override("-Dloopkit.verticles.upstream.class=dev.loopkit.MainVerticle", "loopkit.verticles.upstream.class",
        "dev.loopkit.MainVerticle", " (overridden by -Dloopkit.verticles.upstream.class): verticles.upstream.class:",
        "is the application itself")));
    return all.stream().map(Arguments::of);
  }

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private Logger root;

  @BeforeEach
  void capture() {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    captured.start();
    root.addAppender(captured);
  }

  @AfterEach
  void release() {
    root.detachAppender(captured);
    captured.stop();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void fails_with_one_line_and_deploys_nothing(Case c, Vertx vertx, VertxTestContext tc, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.json");
    NetServer held = vertx.createNetServer().connectHandler(s -> { });
    held.listen(0, "127.0.0.1").compose(server -> {
      String content = c.content().replace("{PORT}", Integer.toString(server.actualPort()))
        .replace("{FILE}", file.toString().replace("\\", "\\\\"));
      try {
        Files.writeString(file, content);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      c.properties().forEach(System::setProperty);
      return vertx.deployVerticle(new MainVerticle(file.toString()));
    }).transform(ar -> {
      c.properties().keySet().forEach(System::clearProperty);
      return ar.succeeded() ? io.vertx.core.Future.failedFuture(new AssertionError("started with " + c.name()))
        : io.vertx.core.Future.succeededFuture(ar.cause());
    }).compose(err -> {
      tc.verify(() -> {
        assertThat(err).isInstanceOf(ConfigException.class);
        assertThat(err.getMessage()).startsWith(file.toString()).hasSizeLessThan(1_000)
          .doesNotContain("\n").doesNotContain("\r").doesNotContain("\u0000");
        for (String part : c.expected()) {
          assertThat(err.getMessage()).contains(part);
        }
        // the launcher's own "Failed in deploying verticle" repeat (with its stack trace) is dropped
        LoggingEvent echo = new LoggingEvent();
        echo.setLoggerName("io.vertx.launcher.application.VertxApplication");
        echo.setLevel(Level.ERROR);
        echo.setMessage("Failed in deploying verticle");
        echo.setThrowableProxy(new ch.qos.logback.classic.spi.ThrowableProxy(err));
        assertThat(new LauncherLogFilter().decide(echo)).isEqualTo(FilterReply.DENY);
      });
      return Released.eventually(vertx, 5_000, () -> vertx.deploymentIDs().isEmpty(),
        () -> "still deployed: " + vertx.deploymentIDs())
        .compose(v -> Released.counters(vertx, 5_000)).map(err);
    }).onComplete(tc.succeeding(err -> tc.verify(() -> {
      List<ILoggingEvent> lines = captured.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)).toList();
      assertThat(lines).as("WARN/ERROR lines").hasSize(1);
      assertThat(lines.get(0).getLoggerName()).isEqualTo(MainVerticle.class.getName());
      assertThat(lines.get(0).getFormattedMessage()).isEqualTo("loopkit did not start: " + err.getMessage());
      assertThat(lines.get(0).getThrowableProxy()).isNull();
      tc.completeNow();
    })));
  }
}
