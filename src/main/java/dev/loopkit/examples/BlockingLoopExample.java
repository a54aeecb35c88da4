package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;

/**
 * Section (g), gotcha "blocking the event loop". Ten waits of 100 ms started together on one event loop:
 * with timers ({@code asyncio.sleep}) they overlap and finish in ~100 ms; with {@link Thread#sleep}
 * ({@code time.sleep}) each holds the loop, so they run one after the other — ~1 s — and nothing else on
 * that loop (other requests, timers) runs meanwhile. loopkit's blocking checker reports such code with the
 * culprit line; move it to {@code executeBlocking} or a worker verticle.
 */
public final class BlockingLoopExample {

  private BlockingLoopExample() {
  }

  /** Ten timer waits of {@code waitMs} on {@code loop}: elapsed ms until the last one finished. */
  public static Future<Long> tenTimerWaits(Context loop, long waitMs) {
    Promise<Long> result = Promise.promise();
    loop.runOnContext(v -> {
      long t0 = System.nanoTime();
      Vertx vertx = loop.owner();
      List<Future<Void>> waits = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        waits.add(Tasks.sleep(vertx, waitMs));
      }
      Tasks.gather(waits).map(all -> (System.nanoTime() - t0) / 1_000_000).onComplete(result);
    });
    return result.future();
  }

  /**
   * Ten {@link Thread#sleep} waits of {@code waitMs} scheduled on {@code loop}: elapsed ms until the last
   * one finished. This blocks the event loop on purpose — it is the gotcha.
   */
  @SuppressWarnings("BusyWait")
  public static Future<Long> tenSleepingWaits(Context loop, long waitMs) {
    Promise<Long> result = Promise.promise();
    long t0 = System.nanoTime();
    int[] done = {0};
    for (int i = 0; i < 10; i++) {
      loop.runOnContext(v -> {
        try {
          Thread.sleep(waitMs); // the mistake: holds the event loop for waitMs
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        if (++done[0] == 10) {
          result.complete((System.nanoTime() - t0) / 1_000_000);
        }
      });
    }
    return result.future();
  }
}
