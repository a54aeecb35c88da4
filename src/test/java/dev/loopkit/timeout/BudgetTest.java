package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.loopkit.timeout.FailureAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 10, timeUnit = TimeUnit.SECONDS)
@DisplayName("Budget and CancelNotices: the deadline library")
class BudgetTest {

  @AfterEach
  void nothing_left_behind(Vertx vertx, VertxTestContext tc) {
    Leaks.awaitNone(vertx).onComplete(tc.succeedingThenComplete());
  }

  /**
   * A consumer that serves with {@link Budget#serve}: replies what it saw ({@code remainingMs} of its
   * scope, whether it has a deadline), counts the requests whose work it started.
   */
  private static AtomicInteger serving(Vertx vertx, String address, long ownMs, long minMs) {
    AtomicInteger worked = new AtomicInteger();
    vertx.eventBus().consumer(address, msg -> {
      CancelScope scope = Budget.serve(vertx, msg, ownMs, minMs);
      if (scope == null) {
        return;
      }
      worked.incrementAndGet();
      JsonObject seen = new JsonObject().put("none", scope.deadline().isNone()).put("remainingMs", scope.remainingMs());
      scope.close();
      msg.reply(seen);
    });
    return worked;
  }

  private static Future<Message<JsonObject>> send(Vertx vertx, String address, String budget) {
    DeliveryOptions d = new DeliveryOptions();
    if (budget != null) {
      d.addHeader(Headers.TIMEOUT_MS, budget);
    }
    return vertx.eventBus().request(address, "work", d);
  }

  @Nested
  @DisplayName("reading the incoming budget")
  class Reading {

    @Test
    void no_header_means_no_caller_budget(Vertx vertx, VertxTestContext tc) {
      serving(vertx, "b.none", Long.MAX_VALUE, 0);
      send(vertx, "b.none", null).onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.body().getBoolean("none")).isTrue();
        tc.completeNow();
      })));
    }

    @Test
    void zero_is_shed_with_504_and_no_work(Vertx vertx, VertxTestContext tc) {
      AtomicInteger worked = serving(vertx, "b.zero", 1_000, 0);
      send(vertx, "b.zero", "0").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT).hasMessageContaining("is 0")
          .hasMessageContaining("b.zero").hasMessageContaining("shed");
        assertThat(worked).hasValue(0);
        tc.completeNow();
      })));
    }

    @Test
    void negative_is_shed_with_504_and_no_work(Vertx vertx, VertxTestContext tc) {
      AtomicInteger worked = serving(vertx, "b.neg", 1_000, 0);
      send(vertx, "b.neg", "-25").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT).hasMessageContaining("is -25");
        assertThat(worked).hasValue(0);
        tc.completeNow();
      })));
    }

    @Test
    void not_a_number_is_a_400_naming_header_and_value(Vertx vertx, VertxTestContext tc) {
      AtomicInteger worked = serving(vertx, "b.nan", 1_000, 0);
      send(vertx, "b.nan", "soon").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST)
          .hasMessageContaining(Headers.TIMEOUT_MS).hasMessageContaining("\"soon\"");
        send(vertx, "b.nan", "1.5").onComplete(tc.failing(err2 -> tc.verify(() -> {
          assertThatFailure(err2).failedWith(FailureCode.BAD_REQUEST).hasMessageContaining("\"1.5\"");
          assertThat(worked).hasValue(0);
          tc.completeNow();
        })));
      })));
    }

    @Test
    @DisplayName("digits are ASCII: Arabic-Indic, full-width and other Unicode digits are a 400, as over HTTP")
    void non_ascii_digits_are_a_400(Vertx vertx, VertxTestContext tc) {
      AtomicInteger worked = serving(vertx, "b.digits", 1_000, 0);
      List<String> values = List.of("\u0663\u0660\u0660", "\uff13\uff10\uff10", "3\u0660\u0660", "\u09e9\u09e6\u09e6");
      Future<?> chain = Future.succeededFuture();
      for (String v : values) {
        chain = chain.compose(x -> send(vertx, "b.digits", v).transform(ar -> {
          tc.verify(() -> assertThatFailure(ar.cause()).as(v).failedWith(FailureCode.BAD_REQUEST)
            .hasMessageContaining(Headers.TIMEOUT_MS));
          return Future.succeededFuture();
        }));
      }
      chain.onComplete(tc.succeeding(x -> tc.verify(() -> {
        assertThat(worked).hasValue(0);
        tc.completeNow();
      })));
    }

    @Test
    @DisplayName("a 1 MB header value is answered 400 with the value cut and escaped, not echoed")
    void a_huge_header_is_not_echoed(Vertx vertx, VertxTestContext tc) {
      serving(vertx, "b.big", 1_000, 0);
      String big = "9\r\nERROR forged line " + "x".repeat(1 << 20);
      send(vertx, "b.big", big).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.BAD_REQUEST);
        assertThat(err.getMessage()).hasSizeLessThan(400).doesNotContain("\r").doesNotContain("\n")
          .contains("\\r\\nERROR forged");
        tc.completeNow();
      })));
    }

    @Test
    void huge_budgets_are_read_as_one_day(Vertx vertx, VertxTestContext tc) {
      serving(vertx, "b.huge", Long.MAX_VALUE, 0);
      send(vertx, "b.huge", Long.toString(Long.MAX_VALUE)).onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.body().getLong("remainingMs")).isBetween(Budget.MAX_BUDGET_MS - 1_000, Budget.MAX_BUDGET_MS);
        tc.completeNow();
      })));
    }

    @Test
    void below_the_minimum_is_shed(Vertx vertx, VertxTestContext tc) {
      AtomicInteger worked = serving(vertx, "b.min", 1_000, 50);
      send(vertx, "b.min", "30").onComplete(tc.failing(err -> tc.verify(() -> {
        assertThatFailure(err).failedWith(FailureCode.TIMEOUT).hasMessageContaining("below the 50 ms");
        assertThat(worked).hasValue(0);
        tc.completeNow();
      })));
    }
  }

  @Nested
  @DisplayName("nesting only shortens")
  class Nesting {

    @Test
    void own_limit_shortens_a_larger_caller_budget(Vertx vertx, VertxTestContext tc) {
      serving(vertx, "b.own", 50, 0);
      send(vertx, "b.own", "5000").onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.body().getLong("remainingMs")).isBetween(1L, 50L);
        tc.completeNow();
      })));
    }

    @Test
    void caller_budget_shortens_a_larger_own_limit(Vertx vertx, VertxTestContext tc) {
      serving(vertx, "b.caller", 60_000, 0);
      send(vertx, "b.caller", "80").onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.body().getLong("remainingMs")).isBetween(1L, 80L);
        tc.completeNow();
      })));
    }

    @Test
    void downstream_requests_carry_what_is_left(Vertx vertx, VertxTestContext tc) {
      AtomicReference<String> seenDownstream = new AtomicReference<>();
      vertx.eventBus().consumer("b.down", m -> {
        seenDownstream.set(m.headers().get(Headers.TIMEOUT_MS));
        m.reply("ok");
      });
      vertx.eventBus().consumer("b.up", msg -> {
        CancelScope scope = Budget.serve(vertx, msg, 10_000);
        vertx.setTimer(40, t -> {
          CancelScope inner = scope.childWithTimeout(5_000);
          DeliveryOptions d = Budget.forward(inner, new DeliveryOptions().addHeader(Headers.TIMEOUT_MS, "999999"));
          tc.verify(() -> {
            assertThat(d.getHeaders().getAll(Headers.TIMEOUT_MS)).hasSize(1);
            assertThat(d.getSendTimeout()).isBetween(1L, 160L);
            assertThat(Budget.sendTimeoutMs(inner, 30_000)).isBetween(1L, 160L);
            assertThat(Budget.header(inner)).isNotNull();
          });
          vertx.eventBus().request("b.down", "x", d).onComplete(ar -> {
            inner.close();
            scope.close();
            msg.reply("done");
          });
        });
      });
      send(vertx, "b.up", "200").onComplete(tc.succeeding(r -> tc.verify(() -> {
        long down = Long.parseLong(seenDownstream.get());
        // 200 ms minus the 40 ms spent: the inner 5 s could not extend it
        assertThat(down).isBetween(1L, 165L);
        try (CancelScope none = CancelScope.create(vertx)) {
          assertThat(Budget.header(none)).isNull();
        }
        tc.completeNow();
      })));
    }
  }

  @Nested
  @DisplayName("cancel notices")
  class Notices {

    @Test
    void a_notice_for_the_request_id_stops_the_work_on_the_serving_context(Vertx vertx, VertxTestContext tc) {
      Registration listening = CancelNotices.listen(vertx);
      AtomicReference<String> servedOn = new AtomicReference<>();
      vertx.eventBus().consumer("b.work", msg -> {
        CancelScope scope = Budget.serve(vertx, msg, 10_000);
        servedOn.set(Thread.currentThread().getName());
        scope.onCancel(reason -> {
          tc.verify(() -> {
            assertThat(reason.getMessage()).isEqualTo("cancel notice: user left");
            assertThat(Thread.currentThread().getName()).isEqualTo(servedOn.get());
            assertThat(CancelNotices.watching(vertx)).isEqualTo(1);
          });
          scope.close();
          msg.reply("stopped");
        });
      });
      vertx.eventBus().request("b.work", "x", new DeliveryOptions().addHeader(Headers.REQUEST_ID, "req-42"))
        .onComplete(tc.succeeding(r -> tc.verify(() -> {
          assertThat(CancelNotices.watching(vertx)).isZero();
          assertThat(CancelNotices.cancelledByNotice(vertx)).isEqualTo(1);
          listening.remove();
          tc.completeNow();
        })));
      vertx.setTimer(30, t -> CancelNotices.publish(vertx, "req-42", "user left"));
    }

    @Test
    void bus_request_cancellation_reaches_the_callee(Vertx vertx, VertxTestContext tc) {
      Registration listening = CancelNotices.listen(vertx);
      Promise<String> stopped = Promise.promise();
      vertx.eventBus().consumer("b.callee", msg -> {
        CancelScope scope = Budget.serve(vertx, msg, 10_000);
        scope.onCancel(reason -> {
          scope.close();
          stopped.tryComplete(reason.getMessage());
        });
      });
      CancelScope caller = CancelScope.create(vertx);
      BusRequest.request(caller, "b.callee", "x").onComplete(tc.failing(err -> { }));
      vertx.setTimer(30, t -> caller.cancel("caller gave up"));
      stopped.future().onComplete(tc.succeeding(reason -> tc.verify(() -> {
        assertThat(reason).startsWith("cancel notice");
        caller.close();
        listening.remove();
        tc.completeNow();
      })));
    }

    @Test
    void the_consumer_survives_the_undeploy_of_the_verticle_that_first_listened(Vertx vertx, VertxTestContext tc) {
      class Listening extends VerticleBase {
        Registration r;

        @Override
        public Future<?> start() {
          r = CancelNotices.listen(vertx);
          return CancelNotices.ready(vertx);
        }

        @Override
        public Future<?> stop() {
          r.remove();
          return Future.succeededFuture();
        }
      }
      Listening first = new Listening();
      Listening second = new Listening();
      vertx.deployVerticle(first)
        .compose(a -> vertx.deployVerticle(second).compose(b -> vertx.undeploy(a).map(b)))
        .onComplete(tc.succeeding(secondId -> {
          tc.verify(() -> assertThat(LiveResources.of(vertx).get(CancelNotices.CONSUMERS)).isEqualTo(1));
          CancelScope watched = CancelScope.create(vertx);
          CancelNotices.watch(vertx, "req-7", watched);
          watched.onCancel(reason -> {
            watched.close();
            vertx.undeploy(secondId).onComplete(tc.succeeding(v -> tc.verify(() -> {
              assertThat(LiveResources.of(vertx).get(CancelNotices.CONSUMERS)).isZero();
              assertThat(CancelNotices.isListening(vertx)).isFalse();
              tc.completeNow();
            })));
          });
          CancelNotices.publish(vertx, "req-7", "test");
        }));
    }

    @Test
    void malformed_notices_are_ignored(Vertx vertx, VertxTestContext tc) {
      Registration listening = CancelNotices.listen(vertx);
      CancelScope watched = CancelScope.create(vertx);
      CancelNotices.watch(vertx, "req-9", watched);
      long before = CancelNotices.received(vertx);
      vertx.eventBus().publish(dev.loopkit.bus.Addresses.CANCEL, "not json");
      vertx.eventBus().publish(dev.loopkit.bus.Addresses.CANCEL, new JsonObject().put("requestId", 9));
      vertx.setTimer(50, t -> tc.verify(() -> {
        assertThat(CancelNotices.received(vertx) - before).isEqualTo(2);
        assertThat(watched.isCancelled()).isFalse();
        watched.close();
        listening.remove();
        tc.completeNow();
      }));
    }
  }
}
