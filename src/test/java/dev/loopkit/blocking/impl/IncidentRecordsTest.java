package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.blocking.BlockingCheckerOptions;
import dev.loopkit.blocking.BlockingIncident;
import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.json.JsonObject;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 10 item 2, the records themselves on a busy machine: an incident's ongoing and final durations agree
 * (final ≥ ongoing) even when a look at the stack waited long for a safepoint; the canary is detected even
 * when the reporter thread that delivers records is busy.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("incident records on a busy machine")
class IncidentRecordsTest {

  private BlockingCheckerImpl checker;

  @AfterEach
  void close() throws Exception {
    if (checker != null) {
      get(checker.close());
    }
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("the final record never says less than the ongoing one (the ongoing was made after a long look at the stack)")
  void ongoing_and_final_durations_agree() {
    long ms = 1_000_000L;
    long t0 = System.nanoTime();
    Watched loop = new Watched(Thread.currentThread(), true, 100 * ms, 10 * ms);
    Incident inc = new Incident(loop, t0, t0 + 50 * ms);
    List<StackFrame> frames = List.of(new StackFrame("com.acme.Prices", "load", "Prices.java", 42));
    inc.add(new Sample(t0 + 50 * ms, frames, 0, BlockingKind.PARK, Thread.State.WAITING, false, null, null, false));
    // the watchdog's look at the threshold waited 200 ms for a safepoint: the ongoing record says 300 ms...
    long at = t0 + 300 * ms;
    long reported = inc.effectiveNanos(at);
    inc.reportedNanos = reported;
    JsonObject ongoing = inc.toJson(at, true, 100, 8);
    // ...and the stall ended before the next tick, whose estimate of the end is its last sighting (102 ms)
    JsonObject done = inc.toJson(t0 + 102 * ms, false, 100, 8);
    assertThat(ongoing.getLong("durationMs")).isEqualTo(300);
    assertThat(done.getLong("durationMs")).isGreaterThanOrEqualTo(ongoing.getLong("durationMs"));
  }

  @Test
  @DisplayName("the canary is detected while the reporter thread is busy delivering an earlier record")
  void canary_does_not_wait_for_the_reporter(Vertx vertx) throws Exception {
    checker = new BlockingCheckerImpl(vertx, new BlockingCheckerOptions().setThresholdMs(100).setRecentIncidents(0));
    CountDownLatch listenerBusy = new CountDownLatch(1);
    CountDownLatch releaseListener = new CountDownLatch(1);
    checker.onIncident(i -> {
      if ("earlier".equals(i.allowed())) {
        // a slow listener (or JMX and Micrometer loading on a busy machine) holds the reporter thread
        listenerBusy.countDown();
        try {
          releaseListener.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    });
    get(checker.ready());
    vertx.runOnContext(v -> BlockingAttribution.allow("earlier", () -> LockSupport.parkNanos(150_000_000L)));
    assertThat(listenerBusy.await(10, TimeUnit.SECONDS)).isTrue();
    try {
      long t0 = System.nanoTime();
      BlockingIncident canary = checker.canary().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(canary.allowed()).startsWith("loopkit canary #");
      assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000);
    } finally {
      releaseListener.countDown();
    }
  }
}
