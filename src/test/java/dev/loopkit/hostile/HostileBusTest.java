package dev.loopkit.hostile;

import dev.loopkit.async.CancelScope;
import dev.loopkit.blocking.BlockingCheckerVerticle;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.ServedAddresses;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile inputs to loopkit's bus addresses — {@code loopkit.timeout}, a route's address,
 * {@code loopkit.timeout.stats}, {@code loopkit.cancel}, {@code loopkit.blocking.report} — and hostile
 * budget and request-id headers. Each input gets exactly one answer (counted at its reply address), with a
 * stable code, within its deadline, a short one-line message, and leaves nothing behind.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("hostile inputs on the event bus")
class HostileBusTest {

  static final String MB = "\r\nERROR forged\u0000" + "m".repeat(1 << 20);
  private static final String ROUTE = "h.guarded";
  private static final String STATS = "loopkit.timeout.stats";
  private static final String GENERIC = "loopkit.timeout";

  static final JsonObject CONFIG = new JsonObject().put("routes", new JsonArray()
    .add(new JsonObject().put("address", ROUTE).put("target", "h.svc").put("timeoutMs", 2_000)
      .put("lateReplyWindowMs", 100)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 3)))
    .add(new JsonObject().put("address", "c.guarded").put("target", "h.cancellable").put("timeoutMs", 2_000)
      .put("lateReplyWindowMs", 0)));

  /** One hostile input: where, what, which headers; the code and deadline it must be answered with. */
  record Case(String name, String address, Object body, Map<String, String> headers, int code, long deadlineMs,
              Consumer<BusProbe.Answer> extra) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Case c(String name, String address, Object body, int code) {
    return new Case(name, address, body, Map.of(), code, 1_000, a -> { });
  }

  private static Case budget(String name, String value, int code) {
    return new Case(name, ROUTE, new JsonObject(), Map.of(Headers.TIMEOUT_MS, value), code, 1_000, a -> { });
  }

  private static Case id(String name, String value) {
    return new Case(name, ROUTE, new JsonObject(), Map.of(Headers.REQUEST_ID, value), 200, 1_000, a ->
      // the caller's id never reaches the target: each attempt has its own
      assertThat(((JsonObject) a.body()).getString("id")).matches("[A-Za-z0-9_-]{22}"));
  }

  static Stream<Arguments> cases() {
    int bad = FailureCode.BAD_REQUEST.code();
    int notFound = FailureCode.NOT_FOUND.code();
    int timeout = FailureCode.TIMEOUT.code();
    List<Case> all = new ArrayList<>(List.of(
      // loopkit.timeout: {"route", "body"}
      c("generic: no body", GENERIC, null, bad),
      c("generic: a string body", GENERIC, "route=h.guarded", bad),
      c("generic: an array body", GENERIC, new JsonArray().add(ROUTE), bad),
      c("generic: no route", GENERIC, new JsonObject().put("body", 1), bad),
      c("generic: route is a number", GENERIC, new JsonObject().put("route", 42), bad),
      c("generic: route is empty", GENERIC, new JsonObject().put("route", ""), bad),
      c("generic: route is an object", GENERIC, new JsonObject().put("route", new JsonObject().put("address", ROUTE)), bad),
      c("generic: unknown route", GENERIC, new JsonObject().put("route", "nope"), notFound),
      c("generic: 1 MB route name with CR LF NUL", GENERIC, new JsonObject().put("route", MB), notFound),
      c("generic: route names a Vert.x reply address", GENERIC, new JsonObject().put("route", "__vertx.reply.1"), notFound),
      c("generic: route names loopkit.cancel", GENERIC, new JsonObject().put("route", Addresses.CANCEL), notFound),
      c("generic: route names the target, not a route", GENERIC, new JsonObject().put("route", "h.svc"), notFound),
      c("generic: route names the stats address", GENERIC, new JsonObject().put("route", STATS), notFound),
      c("generic: unknown key", GENERIC, new JsonObject().put("route", ROUTE).put("body", 1).put("target", "x"), bad),
      c("generic: 1 MB unknown key", GENERIC, new JsonObject().put("route", ROUTE).put(MB, 1), bad),
      // a route's address: budget headers
      budget("budget: Arabic-Indic digits", "\u0663\u0660\u0660", bad),
      budget("budget: full-width digits", "\uff13\uff10\uff10", bad),
      budget("budget: Devanagari digit mixed in", "3\u0966\u0966", bad),
      budget("budget: empty", "", bad),
      budget("budget: whitespace only", "  \t ", bad),
      budget("budget: NUL inside", "1\u00000", bad),
      budget("budget: exponent", "1e3", bad),
      budget("budget: hex", "0x10", bad),
      budget("budget: decimal", "12.5", bad),
      budget("budget: two signs", "--5", bad),
      budget("budget: 1 MB with CR LF", MB, bad),
      budget("budget: negative", "-5", timeout),
      budget("budget: zero", "0", timeout),
      budget("budget: 40 digits is read as one day", "9".repeat(40), 200),
      budget("budget: padded with spaces", "  500 ", 200),
      new Case("budget: 80 ms against a 300 ms target", ROUTE, new JsonObject().put("sleep", 300),
        Map.of(Headers.TIMEOUT_MS, "80"), timeout, 80 + 700, a -> { }),
      // a route's address: request ids
      id("request id: 1 MB with CR LF NUL", MB),
      id("request id: names loopkit.cancel", Addresses.CANCEL),
      id("request id: names a Vert.x reply address", "__vertx.reply.1"),
      id("request id: empty", ""),
      // loopkit.timeout.stats
      c("stats: a string body", STATS, "all", bad),
      c("stats: route is a number", STATS, new JsonObject().put("route", 7), bad),
      c("stats: unknown route", STATS, new JsonObject().put("route", "nope"), notFound),
      c("stats: 1 MB route name", STATS, new JsonObject().put("route", MB), notFound),
      c("stats: unknown key", STATS, new JsonObject().put("reset", true), bad),
      c("stats: 1 MB unknown key", STATS, new JsonObject().put(MB, true), bad),
      c("stats: empty object", STATS, new JsonObject(), 200),
      // loopkit.cancel: notices are published; a request is refused, not ignored
      c("cancel: requested instead of published", Addresses.CANCEL, new JsonObject().put("requestId", "x"), bad),
      c("cancel: requested with a 1 MB id", Addresses.CANCEL, new JsonObject().put("requestId", MB).put("reason", MB), bad),
      // loopkit.blocking.report (read only)
      c("blocking report: a string body", Addresses.BLOCKING_REPORT, "report", bad),
      c("blocking report: recent negative", Addresses.BLOCKING_REPORT, new JsonObject().put("recent", -1), bad),
      c("blocking report: recent as a string", Addresses.BLOCKING_REPORT, new JsonObject().put("recent", "5"), bad),
      c("blocking report: recent huge", Addresses.BLOCKING_REPORT, new JsonObject().put("recent", Long.MAX_VALUE), bad),
      c("blocking report: reset as a string", Addresses.BLOCKING_REPORT, new JsonObject().put("reset", "yes"), bad),
      c("blocking report: 1 MB unknown key", Addresses.BLOCKING_REPORT, new JsonObject().put(MB, 1), bad),
      c("blocking report: 1 MB string value", Addresses.BLOCKING_REPORT, new JsonObject().put("recent", MB), bad)));
    return all.stream().map(Arguments::of);
  }

  /** Deploys the timeout verticle (and the blocking checker when asked) with targets of its routes. */
  static Future<Void> deploy(Vertx vertx, boolean blocking) {
    vertx.eventBus().<Object>consumer("h.svc", msg -> {
      Object b = msg.body();
      long sleep = b instanceof JsonObject ? ((JsonObject) b).getLong("sleep", 0L) : 0;
      JsonObject reply = new JsonObject().put("ok", true).put("id", msg.headers().get(Headers.REQUEST_ID));
      if (sleep > 0) {
        vertx.setTimer(sleep, t -> msg.reply(reply));
      } else {
        msg.reply(reply);
      }
    });
    vertx.eventBus().<Object>consumer("h.cancellable", msg -> {
      CancelScope scope = Budget.serve(vertx, msg, Long.MAX_VALUE);
      if (scope == null) {
        return;
      }
      long timer = vertx.setTimer(300, t -> {
        scope.close();
        msg.reply(new JsonObject().put("ok", true));
      });
      scope.onCancel(reason -> {
        vertx.cancelTimer(timer);
        scope.close();
        msg.reply(FailureCode.CANCELLED.exception("stopped: " + reason.getMessage()));
      });
    });
    Future<String> timeout = vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(CONFIG));
    Future<String> checker = blocking ? vertx.deployVerticle(new BlockingCheckerVerticle()) : Future.succeededFuture();
    return Future.all(timeout, checker).mapEmpty();
  }

  static void oneShortLine(String message) {
    if (message != null) {
      assertThat(message).hasSizeLessThan(800).doesNotContain("\r").doesNotContain("\n").doesNotContain("\u0000");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void one_answer_a_stable_code_in_time_nothing_leaked(Case c, Vertx vertx, VertxTestContext tc) {
    BusProbe probe = new BusProbe(vertx);
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(c.deadlineMs() + 3_000);
    c.headers().forEach(options::addHeader);
    deploy(vertx, c.address().equals(Addresses.BLOCKING_REPORT))
      .compose(v -> probe.request(c.name(), c.address(), c.body(), options))
      .compose(answer -> {
        tc.verify(() -> {
          assertThat(answer.code()).as("code of %s: %s", c.name(), answer.message()).isEqualTo(c.code());
          assertThat(answer.elapsedMs()).as("answered within its deadline").isLessThanOrEqualTo(c.deadlineMs());
          oneShortLine(answer.message());
          c.extra().accept(answer);
        });
        return probe.released(3_000);
      })
      // a second reply, had there been one, would have been sent by now
      .compose(v -> vertx.timer(100))
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat(probe.answersTo(c.name())).as("answers to %s", c.name()).isEqualTo(1);
        tc.completeNow();
      })));
  }

  /** A call in flight on {@code c.guarded}; the forged notices must not stop it. */
  private static void victimSurvives(Vertx vertx, VertxTestContext tc, List<Object> forgedBodies) {
    BusProbe probe = new BusProbe(vertx);
    long before = CancelNotices.received(vertx);
    deploy(vertx, false).compose(v -> {
      Future<BusProbe.Answer> victim = probe.request("victim", "c.guarded", new JsonObject(),
        new DeliveryOptions().addHeader(Headers.REQUEST_ID, "victim-1"));
      // forged once the victim's attempt is being watched at the target
      return Released.eventually(vertx, 2_000, () -> CancelNotices.watching(vertx) >= 2, () -> "victim not watched")
        .compose(w -> {
          forgedBodies.forEach(b -> vertx.eventBus().publish(Addresses.CANCEL, b));
          return victim;
        });
    }).compose(answer -> {
      tc.verify(() -> {
        assertThat(answer.code()).as("the victim's answer: %s", answer.message()).isEqualTo(200);
        assertThat(CancelNotices.received(vertx) - before).isGreaterThanOrEqualTo(forgedBodies.size());
        assertThat(CancelNotices.cancelledByNotice(vertx)).isZero();
      });
      return probe.released(3_000);
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("cancel: forged notices for ids derived from the victim's (prefixes, suffixes, #n, wildcards) stop nothing")
  void forged_derived_ids(Vertx vertx, VertxTestContext tc) {
    List<Object> forged = new ArrayList<>();
    for (String id : List.of("victim-1#1", "victim-1#2", "victim", "victim-1 ", "VICTIM-1", "*", "", "victim-1\u0000",
      "victim-1#", ".*")) {
      forged.add(new JsonObject().put("requestId", id).put("reason", "forged"));
    }
    victimSurvives(vertx, tc, forged);
  }

  @Test
  @DisplayName("cancel: notices of the wrong shape (id not a string, not an object, huge) stop nothing")
  void forged_wrong_types(Vertx vertx, VertxTestContext tc) {
    Map<String, Object> weird = new LinkedHashMap<>();
    weird.put("a number", new JsonObject().put("requestId", 1));
    weird.put("an array", new JsonObject().put("requestId", new JsonArray().add("victim-1")));
    weird.put("an object", new JsonObject().put("requestId", new JsonObject().put("id", "victim-1")));
    weird.put("null", new JsonObject().putNull("requestId"));
    weird.put("a string body", "victim-1");
    weird.put("an array body", new JsonArray().add("victim-1"));
    weird.put("1 MB id and reason", new JsonObject().put("requestId", MB).put("reason", MB));
    victimSurvives(vertx, tc, new ArrayList<>(weird.values()));
  }

  @Test
  @DisplayName("cancel: the victim's own id (which its caller chose and was told) does stop it — exactly that id")
  void the_exact_id_does_cancel(Vertx vertx, VertxTestContext tc) {
    BusProbe probe = new BusProbe(vertx);
    deploy(vertx, false).compose(v -> {
      Future<BusProbe.Answer> victim = probe.request("victim", "c.guarded", new JsonObject(),
        new DeliveryOptions().addHeader(Headers.REQUEST_ID, "victim-1"));
      return Released.eventually(vertx, 2_000, () -> CancelNotices.watching(vertx) >= 2, () -> "victim not watched")
        .compose(w -> {
          CancelNotices.publish(vertx, "victim-1", MB);
          return victim;
        });
    }).compose(answer -> {
      tc.verify(() -> {
        assertThat(answer.code()).isEqualTo(FailureCode.CANCELLED.code());
        oneShortLine(answer.message());
      });
      return probe.released(3_000);
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  @DisplayName("every address the timeout verticle serves is reserved while it runs (no address-valued field can name it)")
  void served_addresses_are_reserved_while_deployed(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(CONFIG)).compose(id -> {
      tc.verify(() -> {
        for (String a : List.of(ROUTE, "c.guarded", GENERIC, STATS)) {
          assertThat(ServedAddresses.isReserved(vertx, a)).as(a).isTrue();
        }
        assertThat(ServedAddresses.isReserved(vertx, "h.svc")).isFalse();
      });
      return vertx.undeploy(id);
    }).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(ServedAddresses.isReserved(vertx, ROUTE)).isFalse();
      assertThat(ServedAddresses.isReserved(vertx, "c.guarded")).isFalse();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("a flood of short budgets against a healthy target leaves the breaker closed for everyone")
  void short_budget_flood_keeps_the_breaker_closed(Vertx vertx, VertxTestContext tc) {
    BusProbe probe = new BusProbe(vertx);
    List<Future<BusProbe.Answer>> calls = new ArrayList<>();
    deploy(vertx, false).compose(v -> {
      for (int i = 0; i < 20; i++) {
        calls.add(probe.request("short-" + i, ROUTE, new JsonObject().put("sleep", 300),
          new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "80")));
      }
      return Future.all(calls);
    }).compose(all -> {
      tc.verify(() -> calls.forEach(f -> assertThat(f.result().code()).isEqualTo(FailureCode.TIMEOUT.code())));
      return probe.request("after", ROUTE, new JsonObject(), new DeliveryOptions());
    }).compose(after -> {
      tc.verify(() -> assertThat(after.code()).as("a normal caller after the flood: %s", after.message()).isEqualTo(200));
      return probe.request("stats", STATS, new JsonObject().put("route", ROUTE), new DeliveryOptions());
    }).compose(stats -> {
      tc.verify(() -> assertThat(((JsonObject) stats.body()).getString("breaker")).isEqualTo(CircuitBreakerState.CLOSED.name()));
      return probe.released(3_000);
    }).onComplete(tc.succeedingThenComplete());
  }
}
