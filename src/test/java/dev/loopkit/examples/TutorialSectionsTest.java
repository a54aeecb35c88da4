package dev.loopkit.examples;

import dev.loopkit.async.LiveResources;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Each section of the asyncio tutorial, asserting the tutorial's claim (timings loosely). */
@ExtendWith(VertxExtension.class)
@DisplayName("The asyncio tutorial, section by section")
class TutorialSectionsTest {

  @Test
  @DisplayName("(a) fetch_data + asyncio.run: an async operation run from main")
  void a_run_from_main() {
    long t0 = System.nanoTime();
    assertThat(FetchDataExample.run(50)).isEqualTo("Data after 50 ms");
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(50);
  }

  @Test
  @DisplayName("(b) gather: three fetches of 1 s complete in about 1 s, not 3 s")
  void b_gather(Vertx vertx, VertxTestContext tc) {
    long t0 = System.nanoTime();
    GatherExample.gather(vertx, 1000).onComplete(tc.succeeding(results -> tc.verify(() -> {
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertThat(results).hasSize(3).allMatch(r -> r.equals("Data after 1000 ms"));
      assertThat(ms).isBetween(1000L, 1499L);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("(b') the same fetches one after the other take the sum")
  void b_sequential_takes_the_sum(Vertx vertx, VertxTestContext tc) {
    long t0 = System.nanoTime();
    GatherExample.sequential(vertx, 100).onComplete(tc.succeeding(results -> tc.verify(() -> {
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isGreaterThanOrEqualTo(300);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("(c) create_task: tasks start at once, other work runs, results are awaited")
  void c_create_task(Vertx vertx, VertxTestContext tc) {
    CreateTaskExample.run(vertx, 400).onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.getJsonArray("results")).containsExactly("task1 done", "task2 done");
      assertThat(r.getLong("tasksStartedMs")).as("started at once").isLessThan(100);
      assertThat(r.getLong("otherWorkDoneMs")).as("other work finished while tasks ran").isLessThan(400);
      assertThat(r.getLong("totalMs")).as("tasks overlapped").isBetween(400L, 700L);
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("(d) wait_for: the slow operation times out AND is cancelled (timer and request released)")
  void d_wait_for(Vertx vertx, VertxTestContext tc) {
    WaitForExample.run(vertx, 200, 10_000).onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.getBoolean("timedOut")).isTrue();
      assertThat(r.getLong("elapsedMs")).isBetween(190L, 1_000L);
      assertThat(r.getLong("timers")).as("timers left").isZero();
      assertThat(r.getLong("busRequests")).as("event-bus requests left").isZero();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("(d') the request half is cancelled too: its reply consumer is released at the deadline")
  void d_request_half_cancelled(Vertx vertx, VertxTestContext tc) {
    // timeout lands while the event-bus request (second half) is pending
    WaitForExample.run(vertx, 300, 400).onComplete(tc.succeeding(r -> tc.verify(() -> {
      assertThat(r.getBoolean("timedOut")).isTrue();
      assertThat(r.getLong("busRequests")).isZero();
      assertThat(LiveResources.of(vertx).get(LiveResources.BUS_REQUESTS)).isZero();
      tc.completeNow();
    })));
  }

  @Test
  @DisplayName("(e) aiohttp: 10 items fetched concurrently from the demo upstream, JSON decoded")
  void e_http_fetch(Vertx vertx, VertxTestContext tc) {
    DemoUpstreamVerticle upstream = new DemoUpstreamVerticle();
    WebClient client = HttpFetchExample.client(vertx, 10);
    vertx.deployVerticle(upstream, new DeploymentOptions().setConfig(new JsonObject().put("port", 0)))
      .compose(id -> {
        long t0 = System.nanoTime();
        return HttpFetchExample.fetchItems(client, upstream.baseUrl(), 10, "?delay_ms=300")
          .map(items -> new JsonObject().put("items", items).put("ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)));
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertThat(r.getJsonArray("items")).hasSize(10);
        for (int i = 0; i < 10; i++) {
          assertThat(r.getJsonArray("items").getJsonObject(i).getInteger("id")).isEqualTo(i);
        }
        assertThat(r.getLong("ms")).as("one round of 300 ms, not ten").isBetween(300L, 1_500L);
        tc.completeNow();
      })));
  }

  @Test
  @DisplayName("(f) forgetting to await: the failure is lost; the fix propagates it")
  void f_forgotten_future(Vertx vertx, VertxTestContext tc) {
    ForgottenFutureExample.placeOrderForgetful(vertx).onComplete(tc.succeeding(forgetful -> tc.verify(() -> {
      assertThat(forgetful).as("the mistake reports success").isEqualTo("order placed");
      ForgottenFutureExample.placeOrder(vertx).onComplete(tc.failing(err -> tc.verify(() -> {
        assertThat(err).hasMessage("out of stock");
        tc.completeNow();
      })));
    })));
  }

  @Test
  @DisplayName("(g) blocking the loop: ten 100 ms waits take ~100 ms with timers, ~1 s with Thread.sleep")
  void g_blocking_the_loop(Vertx vertx, VertxTestContext tc) {
    Context single = vertx.getOrCreateContext();
    BlockingLoopExample.tenTimerWaits(single, 100).onComplete(tc.succeeding(timers ->
      BlockingLoopExample.tenSleepingWaits(single, 100).onComplete(tc.succeeding(sleeping -> tc.verify(() -> {
        assertThat(timers).as("timers overlap").isBetween(100L, 600L);
        assertThat(sleeping).as("sleeps serialise").isBetween(1_000L, 3_000L);
        tc.completeNow();
      })))));
  }

  @Test
  @DisplayName("(h) async from sync: Future.await() works on a plain thread and refuses on an event loop")
  void h_await_from_plain_thread(Vertx vertx, VertxTestContext tc) {
    assertThat(AsyncFromSyncExample.fromPlainThread(vertx, 20)).isEqualTo("Data after 20 ms");
    AsyncFromSyncExample.awaitOnEventLoop(vertx.getOrCreateContext()).onComplete(tc.succeeding(err -> tc.verify(() -> {
      assertThat(err).isInstanceOf(IllegalStateException.class);
      tc.completeNow();
    })));
  }

  @Test
  @EnabledForJreRange(min = JRE.JAVA_21)
  @DisplayName("(h') on Java 21+, a virtual-thread verticle awaits in straight lines, requests side by side")
  void h_virtual_thread_verticle(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(new AwaitStyleVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD))
      .compose(id -> {
        long t0 = System.nanoTime();
        return io.vertx.core.Future.all(
            vertx.eventBus().<JsonObject>request(AwaitStyleVerticle.ADDRESS, 200L),
            vertx.eventBus().<JsonObject>request(AwaitStyleVerticle.ADDRESS, 200L))
          .map(all -> new JsonObject()
            .put("ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0))
            .put("reply", ((io.vertx.core.eventbus.Message<JsonObject>) all.resultAt(0)).body()));
      })
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        JsonObject reply = r.getJsonObject("reply");
        assertThat(reply.getJsonArray("results")).hasSize(3);
        assertThat(reply.getString("thread")).contains("VirtualThread");
        assertThat(r.getLong("ms")).as("two requests of 2 × 200 ms side by side, not 1600 ms in a row").isBetween(400L, 1_400L);
        tc.completeNow();
      })));
  }
}
