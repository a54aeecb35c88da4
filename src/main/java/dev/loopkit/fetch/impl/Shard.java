package dev.loopkit.fetch.impl;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One event loop's part of an engine: its own HTTP client (pool, connections and their socket I/O on this
 * loop), and the requests placed on it, which run here from the slot to the body's last byte. Calls live on
 * the shard they arrived on; a call's first requests go to the least busy shard, preferring the call's own,
 * so a lone request never changes thread and a big call spreads over every loop; a shard whose request
 * finished starts the call's next one itself ({@link #pick}).
 *
 * <p>Only {@link #active} is read by other threads.
 */
final class Shard {

  final int index;
  final Context context;
  final HttpClientAgent client;
  /** Requests placed on this shard and not finished (the balancing signal). */
  final AtomicInteger active = new AtomicInteger();

  Shard(int index, Context context, HttpClientAgent client) {
    this.index = index;
    this.context = context;
    this.client = client;
  }

  /** @return whether the caller runs on this shard's context */
  boolean current() {
    return Vertx.currentContext() == context;
  }

  /** Runs {@code task} on this shard's context: now when already there, else on its next turn. */
  void run(Runnable task) {
    if (Vertx.currentContext() == context) {
      task.run();
    } else {
      context.runOnContext(v -> task.run());
    }
  }

  /**
   * @return {@code preferred}, unless another shard has more than {@code slack} requests fewer: then the
   *   least busy ({@code slack} 0 at a call's start; 1 for the next request of a shard that just finished one)
   */
  static Shard pick(Shard[] shards, Shard preferred, int slack) {
    Shard best = preferred;
    int least = preferred.active.get() - slack;
    for (Shard s : shards) {
      int a = s.active.get();
      if (a < least) {
        least = a;
        best = s;
      }
    }
    return best;
  }
}
