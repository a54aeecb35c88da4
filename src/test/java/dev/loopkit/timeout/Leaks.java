package dev.loopkit.timeout;

import dev.loopkit.async.LiveResources;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

/** Waits until every {@link LiveResources} counter of a Vert.x instance is back to zero. */
final class Leaks {

  private Leaks() {
  }

  /** @return completes when all counters are zero; fails naming them after {@code maxMs} */
  static Future<Void> awaitNone(Vertx vertx, long maxMs) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + maxMs * 1_000_000;
    poll(vertx, done, deadline);
    return done.future();
  }

  static Future<Void> awaitNone(Vertx vertx) {
    return awaitNone(vertx, 3_000);
  }

  /** @return completes when counter {@code name} is zero; fails after {@code maxMs} */
  static Future<Void> awaitZero(Vertx vertx, String name, long maxMs) {
    Promise<Void> done = Promise.promise();
    long deadline = System.nanoTime() + maxMs * 1_000_000;
    pollOne(vertx, name, done, deadline);
    return done.future();
  }

  private static void pollOne(Vertx vertx, String name, Promise<Void> done, long deadline) {
    LiveResources live = LiveResources.of(vertx);
    if (live.get(name) == 0) {
      done.complete();
    } else if (System.nanoTime() - deadline > 0) {
      done.fail(new AssertionError(name + " still " + live.get(name) + ": " + live));
    } else {
      vertx.setTimer(5, t -> pollOne(vertx, name, done, deadline));
    }
  }

  private static void poll(Vertx vertx, Promise<Void> done, long deadline) {
    LiveResources live = LiveResources.of(vertx);
    if (live.allZero()) {
      done.complete();
    } else if (System.nanoTime() - deadline > 0) {
      done.fail(new AssertionError("resources left behind: " + live));
    } else {
      vertx.setTimer(10, t -> poll(vertx, done, deadline));
    }
  }
}
