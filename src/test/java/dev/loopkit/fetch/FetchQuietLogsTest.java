package dev.loopkit.fetch;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.loopkit.bus.Headers;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.hostile.RawUpstream;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 90, timeUnit = TimeUnit.SECONDS)
@DisplayName("logs can't be flooded: loopkit's own resets and hostile upstreams log nothing at ERROR, lines stay short")
class FetchQuietLogsTest {

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private Logger root;
  private DemoUpstreamVerticle up;
  private RawUpstream garbage;
  private RawUpstream dropsMidBody;
  private FetchVerticle verticle;
  private String base;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    captured.start();
    root.addAppender(captured);
    Fixture.upstream(vertx)
      .compose(u -> {
        up = u;
        base = u.baseUrl();
        return RawUpstream.start(vertx, RawUpstream.write("HTTP/1.1 2x0 Nope\r\n\r\n"));
      })
      .compose(g -> {
        garbage = g;
        return RawUpstream.start(vertx, RawUpstream.writeAndClose("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + "x".repeat(100)));
      })
      .compose(d -> {
        dropsMidBody = d;
        verticle = new FetchVerticle(Fixture.allowing(up).setMaxBodyBytes(1_000)
          .addAllowedHost("127.0.0.1:" + garbage.port()).addAllowedHost("127.0.0.1:" + dropsMidBody.port()));
        return vertx.deployVerticle(verticle);
      })
      .onComplete(tc.succeedingThenComplete());
  }

  @AfterEach
  void tearDown() {
    root.detachAppender(captured);
    captured.stop();
  }

  private static JsonObject urls(List<String> urls) {
    return new JsonObject().put("urls", new JsonArray(new ArrayList<>(urls)));
  }

  private Future<JsonObject> call(Vertx vertx, JsonObject body, DeliveryOptions d) {
    return vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS, body, d.setSendTimeout(20_000))
      .map(m -> m.body()).otherwise(t -> new JsonObject().put("failed", t.getMessage()));
  }

  @Test
  void a_flood_of_resets_logs_nothing_at_error(Vertx vertx, VertxTestContext tc) {
    String longPath = "/item/1?fault=hang&pad=" + "%0D%0A".repeat(500);
    List<Future<JsonObject>> calls = new ArrayList<>();
    int resets = 0;
    // 1. deadline resets: 60 hanging requests with a 40 ms timeout (some with 3 kB caller-chosen URLs)
    List<String> hang = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      hang.add(i % 2 == 0 ? base + "/item/" + i + "?fault=hang" : base + longPath);
    }
    JsonArray timed = new JsonArray();
    hang.forEach(u -> timed.add(new JsonObject().put("url", u).put("timeoutMs", 40)));
    calls.add(call(vertx, new JsonObject().put("requests", timed).put("concurrency", 60), new DeliveryOptions()));
    resets += 60;
    // 2. lost races: 10 races of one fast request against 4 hanging ones
    for (int c = 0; c < 10; c++) {
      List<String> race = new ArrayList<>(List.of(base + "/item/0?delay_ms=30"));
      for (int i = 1; i <= 4; i++) {
        race.add(base + "/item/" + i + "?fault=hang");
      }
      calls.add(call(vertx, urls(race).put("mode", "race"), new DeliveryOptions()));
    }
    resets += 40;
    // 3. body caps: 20 declared too large (reset unread), 20 streamed past the cap (reset mid-body)
    List<String> big = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      big.add(base + "/item/" + i + "?bytes=100000");
      big.add(base + "/item/" + i + "?bytes=100000&chunked=true");
    }
    calls.add(call(vertx, urls(big), new DeliveryOptions()));
    resets += 40;
    // 4. hostile upstreams: 20 malformed status lines, 20 connections dropped mid-body
    List<String> hostile = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      hostile.add(garbage.base() + "/g" + i);
      hostile.add(dropsMidBody.base() + "/d" + i);
    }
    calls.add(call(vertx, urls(hostile), new DeliveryOptions()));
    resets += 40;
    // 5. cancel notices: 20 calls of 2 hanging requests each, cancelled by their request id
    List<Future<JsonObject>> noticed = new ArrayList<>();
    for (int c = 0; c < 20; c++) {
      DeliveryOptions d = new DeliveryOptions().addHeader(Headers.REQUEST_ID, "flood-" + c);
      noticed.add(call(vertx, urls(List.of(base + "/item/1?fault=hang", base + "/item/2?fault=hang")).put("timeoutMs", 20_000), d));
    }
    resets += 40;
    assertThat(resets).isGreaterThanOrEqualTo(200);
    int flood = resets;
    Fixture.eventually(vertx, 10_000, () -> CancelNotices.watching(vertx) == 20 && up.activeRequests() >= 40,
        () -> "watching=" + CancelNotices.watching(vertx) + " upstream active=" + up.activeRequests())
      .compose(v -> {
        for (int c = 0; c < 20; c++) {
          CancelNotices.publish(vertx, "flood-" + c, "caller left");
        }
        List<Future<JsonObject>> all = new ArrayList<>(calls);
        all.addAll(noticed);
        return Future.join(all);
      })
      .compose(v -> Fixture.released(vertx, verticle.engine(), up))
      .map(v -> {
        for (Future<JsonObject> n : noticed) {
          assertThat(n.result().getString("failed")).as("cancelled by its notice").contains("cancel");
        }
        List<String> errors = new ArrayList<>();
        int longest = 0;
        for (ILoggingEvent e : captured.list) {
          String line = e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage();
          longest = Math.max(longest, line.length());
          if (e.getLevel().isGreaterOrEqual(Level.ERROR)) {
            errors.add(line.length() > 300 ? line.substring(0, 300) : line);
          }
          assertThat(e.getFormattedMessage()).as("one line: %s", line).doesNotContain("\n", "\r");
        }
        System.out.println("flood of " + flood + " resets: " + captured.list.size() + " log lines, longest " + longest + " chars");
        assertThat(errors).as("ERROR lines during the flood").isEmpty();
        assertThat(longest).as("log lines are bounded").isLessThan(1_000);
        return v;
      })
      .onComplete(tc.succeedingThenComplete());
  }
}
