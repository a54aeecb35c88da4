package dev.loopkit.hostile;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.http.FrontFixture;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import io.vertx.micrometer.backends.BackendRegistries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile inputs against the HTTP front (the default app's shape: front + fetch verticle + an upstream, on
 * loopback, with loopkit's metrics). Each input asserts: exactly the expected answers (or a clean close
 * where the protocol leaves nothing to answer), a stable status and error name, within its deadline, and
 * nothing leaked — open connections back to zero, {@code LiveResources} back to zero,
 * {@code vertx_http_server_active_requests} back to where it was, no file on disk — and no log line from
 * it above DEBUG, none longer than one bounded line.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("Hostile inputs: HTTP front")
class HostileHttpFrontTest {

  static final long IDLE = 600;
  static final long HEAD = 400;
  static final long BODY = 400;
  static final int MAX_BODY = 64 * 1024;

  private static Vertx vertx;
  private static HttpFrontVerticle front;
  private static DemoUpstreamVerticle up;
  private static MeterRegistry registry;
  private static final ListAppender<ILoggingEvent> LOGS = new ListAppender<>();
  private static Level previousLevel;

  @BeforeAll
  static void deploy() {
    vertx = FrontFixture.withMetrics("hostile-http");
    registry = BackendRegistries.getNow("hostile-http");
    up = new DemoUpstreamVerticle();
    vertx.deployVerticle(up, new DeploymentOptions().setConfig(new JsonObject().put("host", "127.0.0.1").put("port", 0))).await();
    vertx.deployVerticle(new FetchVerticle(new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort())))).await();
    HttpFrontOptions options = new HttpFrontOptions().setPort(0).setIdleTimeoutMs(IDLE).setRequestHeadTimeoutMs(HEAD)
      .setRequestBodyTimeoutMs(BODY).setMaxBodyBytes(MAX_BODY).setMaxJsonValues(10_000).setMaxConnections(32)
      .setMaxReplyBytes(1024 * 1024);
    front = FrontFixture.deploy(vertx, options).await();
    // warm up (class loading on a busy machine must not count against the first case's deadline)
    RawClient.exchange(vertx, front.actualPort(), "GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 5_000).await();
    RawClient.exchange(vertx, front.actualPort(), "POST /fetch HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}", 5_000).await();
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    LOGS.start();
    root.addAppender(LOGS);
    Logger http = (Logger) LoggerFactory.getLogger("dev.loopkit.http");
    previousLevel = http.getLevel();
    http.setLevel(Level.DEBUG); // the DEBUG lines must be bounded and one line too
  }

  @AfterAll
  static void close() {
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
    ((Logger) LoggerFactory.getLogger("dev.loopkit.http")).setLevel(previousLevel);
    vertx.close().await();
  }

  static Iterable<HostileCase> cases() {
    return HostileHttpCases.all(up == null ? "http://127.0.0.1:1" : up.baseUrl());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void hostile_input(HostileCase c, VertxTestContext tc) {
    double activeBefore = Gauges.activeRequests(registry);
    int logsBefore = LOGS.list.size();
    String request = c.request().replace("{upstream}", up.baseUrl());
    if (request.contains("{length}")) {
      int bodyAt = request.indexOf("\r\n\r\n") + 4;
      request = request.replace("{length}", Integer.toString(request.length() - bodyAt));
    }
    long wait = c.deadlineMs() + 3_000;
    Future<RawClient.Exchange> sent = c.trickleFrom() < 0
      ? RawClient.exchange(vertx, front.actualPort(), request, wait)
      : FrontFixture.trickle(vertx, front.actualPort(), request.substring(0, c.trickleFrom()), request.substring(c.trickleFrom()), 40, wait);
    sent.compose(x -> {
      tc.verify(() -> {
        List<HttpText.Response> answers = HttpText.finals(x, c.head());
        assertThat(answers).as("answers to %s: %s", c.name(), x.text().length() > 400 ? x.text().substring(0, 400) : x.text())
          .extracting(HttpText.Response::status).containsExactlyElementsOf(c.statuses());
        assertThat(x.closedByServer()).as("the server closes the connection (at once or when idle)").isTrue();
        assertThat(x.elapsedMs()).as("within its deadline").isLessThanOrEqualTo(c.deadlineMs());
        if (!answers.isEmpty() && !c.head() && answers.get(0).status() >= 400 && c.error() != null) {
          JsonObject error = answers.get(0).json();
          assertThat(error.getInteger("code")).isEqualTo(answers.get(0).status());
          assertThat(error.getString("error")).isEqualTo(c.error());
          assertThat(error.getString("message")).contains(c.messagePart());
        }
        if (c.closesAtOnce()) {
          assertThat(answers).allMatch(a -> "close".equals(a.header("connection")));
          assertThat(x.elapsedMs()).as("closed at once, not when idle").isLessThan(IDLE);
        }
        c.extra().accept(answers);
      });
      return Released.eventually(vertx, 5_000,
        () -> front.openConnections() == 0 && Gauges.activeRequests(registry) == activeBefore
          && Released.zero(dev.loopkit.async.LiveResources.of(vertx).snapshot()) && front.bufferedBodyBytes() == 0,
        () -> "open=" + front.openConnections() + " active=" + Gauges.activeRequests(registry) + " (was " + activeBefore + ") "
          + dev.loopkit.async.LiveResources.of(vertx) + " buffered=" + front.bufferedBodyBytes());
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(Path.of("file-uploads")).doesNotExist();
      List<ILoggingEvent> lines = new ArrayList<>(LOGS.list.subList(logsBefore, LOGS.list.size()));
      assertThat(lines).as("log lines above DEBUG caused by %s", c.name())
        .noneMatch(e -> e.getLevel().isGreaterOrEqual(Level.WARN) && !e.getMessage().startsWith("This Gauge has been already registered"));
      assertThat(lines).as("every log line is one bounded line")
        .allMatch(e -> e.getFormattedMessage().indexOf('\n') < 0 && e.getFormattedMessage().indexOf('\r') < 0
          && e.getFormattedMessage().length() <= 600 && e.getThrowableProxy() == null);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a connection flood within bounds: connections past maxConnections are closed at once, the held ones still work")
  void connection_flood(VertxTestContext tc) {
    NetClient net = vertx.createNetClient();
    List<NetSocket> held = new ArrayList<>();
    List<Future<NetSocket>> flood = new ArrayList<>();
    double activeBefore = Gauges.activeRequests(registry);
    for (int i = 0; i < 32; i++) {
      flood.add(net.connect(front.actualPort(), "127.0.0.1").onSuccess(held::add));
    }
    Future.all(flood)
      .compose(v -> Released.eventually(vertx, 3_000, () -> front.openConnections() == 32, () -> "open=" + front.openConnections()))
      .compose(v -> {
        List<Future<RawClient.Exchange>> extra = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          extra.add(RawClient.exchange(vertx, front.actualPort(), "GET /health HTTP/1.1\r\nHost: a\r\n\r\n", 3_000));
        }
        return Future.all(extra).map(cf -> {
          tc.verify(() -> {
            for (int i = 0; i < extra.size(); i++) {
              RawClient.Exchange x = cf.resultAt(i);
              assertThat(x.closedByServer()).isTrue();
              assertThat(x.received().length()).isZero();
              assertThat(x.elapsedMs()).isLessThan(2_000);
            }
          });
          return null;
        });
      })
      .compose(v -> {
        io.vertx.core.buffer.Buffer got = io.vertx.core.buffer.Buffer.buffer();
        held.get(0).handler(got::appendBuffer);
        held.get(0).write("GET /health HTTP/1.1\r\nHost: a\r\n\r\n");
        return Released.eventually(vertx, 3_000, () -> got.toString().contains("\"outcome\""), got::toString);
      })
      .compose(v -> {
        held.forEach(NetSocket::close);
        return Released.eventually(vertx, 5_000, () -> front.openConnections() == 0 && Gauges.activeRequests(registry) == activeBefore,
          () -> "open=" + front.openConnections() + " active=" + Gauges.activeRequests(registry));
      })
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat(LOGS.list).filteredOn(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("http.maxConnections"))
          .as("one rate-limited WARN for the whole flood").hasSizeLessThanOrEqualTo(1);
        tc.completeNow();
      })));
  }

  static boolean noFiles() {
    return !Files.exists(Path.of("file-uploads"));
  }
}
