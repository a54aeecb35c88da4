package dev.loopkit.hostile;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import dev.loopkit.async.CancelScope;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.Headers;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
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

/**
 * A flood of what callers control — deadline resets, callers giving up, forged cancel notices, 1 MB values
 * with CR, LF and NUL in every name- or number-valued field — while every log event is captured: loopkit's
 * own cancellations log nothing at ERROR, nothing is logged per request, and no caller value reaches a log
 * line or a failure message unbounded or with a line break.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, timeUnit = TimeUnit.SECONDS)
@DisplayName("hostile flood on the event bus: the log stays quiet and every line short")
class HostileBusFloodTest {

  private static final String MB = HostileBusTest.MB;
  private static final int ROUNDS = 60;

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

  @Test
  void flood(Vertx vertx, VertxTestContext tc) {
    LoggerFactory.getLogger(HostileBusFloodTest.class).info("flood starts");
    BusProbe probe = new BusProbe(vertx);
    List<Future<BusProbe.Answer>> answers = new ArrayList<>();
    List<Future<?>> cancelled = new ArrayList<>();
    HostileBusTest.deploy(vertx, true).compose(v -> {
      for (int i = 0; i < ROUNDS; i++) {
        // deadline resets: the caller's budget ends the call, the attempt is abandoned and its target told
        answers.add(probe.request("reset-" + i, "h.guarded", new JsonObject().put("sleep", 200),
          new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "20")));
        answers.add(probe.request("reset-c-" + i, "c.guarded", new JsonObject(),
          new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "20")));
        // callers that give up with a 1 MB reason: BusRequest publishes it in its cancel notice
        CancelScope caller = CancelScope.create(vertx);
        Future<Message<Object>> call = BusRequest.request(caller, "c.guarded", new JsonObject());
        vertx.setTimer(5 + i % 20, t -> caller.cancel(MB));
        cancelled.add(call.otherwiseEmpty().onComplete(ar -> caller.close()));
        // a caller-chosen id, then a notice for exactly it with a 1 MB reason
        answers.add(probe.request("noticed-" + i, "c.guarded", new JsonObject(),
          new DeliveryOptions().addHeader(Headers.REQUEST_ID, "flood-" + i)));
        int n = i;
        vertx.setTimer(10 + i % 20, t -> CancelNotices.publish(vertx, "flood-" + n, MB));
        // forged notices of every shape
        vertx.eventBus().publish("loopkit.cancel", new JsonObject().put("requestId", MB).put("reason", MB));
        vertx.eventBus().publish("loopkit.cancel", MB);
        // 1 MB names and numbers everywhere a caller can put them
        answers.add(probe.request("route-" + i, "loopkit.timeout", new JsonObject().put("route", MB + i), new DeliveryOptions()));
        answers.add(probe.request("key-" + i, "loopkit.timeout", new JsonObject().put("route", "h.guarded").put(MB + i, 1),
          new DeliveryOptions()));
        answers.add(probe.request("stats-" + i, "loopkit.timeout.stats", new JsonObject().put("route", MB + i),
          new DeliveryOptions()));
        answers.add(probe.request("budget-" + i, "h.guarded", new JsonObject(),
          new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, MB + i)));
        answers.add(probe.request("id-" + i, "h.guarded", new JsonObject(),
          new DeliveryOptions().addHeader(Headers.REQUEST_ID, MB + i)));
        answers.add(probe.request("report-" + i, "loopkit.blocking.report", new JsonObject().put(MB + i, MB),
          new DeliveryOptions()));
        answers.add(probe.request("cancel-req-" + i, "loopkit.cancel", new JsonObject().put("requestId", MB),
          new DeliveryOptions()));
      }
      return Future.join(new ArrayList<Future<?>>(answers)).compose(x -> Future.join(cancelled));
    }).compose(v -> {
      tc.verify(() -> {
        for (Future<BusProbe.Answer> f : answers) {
          BusProbe.Answer a = f.result();
          assertThat(a.code()).as("%s answered with a loopkit code: %s", a.name(), a.message()).isPositive();
          HostileBusTest.oneShortLine(a.message());
        }
      });
      return probe.released(5_000);
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      List<ILoggingEvent> events = new ArrayList<>(captured.list);
      assertThat(events).as("the capture works").anyMatch(e -> e.getFormattedMessage().equals("flood starts"));
      assertThat(events).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR))
        .as("ERROR lines during the flood").isEmpty();
      // nothing per request: a few start-up lines at most
      assertThat(events).as("log lines during a flood of %d requests", answers.size()).hasSizeLessThan(20);
      for (ILoggingEvent e : events) {
        HostileBusTest.oneShortLine(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
          HostileBusTest.oneShortLine(t.getMessage());
        }
      }
      tc.completeNow();
    })));
  }
}
