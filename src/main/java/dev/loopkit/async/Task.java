package dev.loopkit.async;

import io.vertx.core.Future;

/**
 * An asynchronous operation that honours cancellation: given a {@link CancelScope}, it starts its work
 * and returns its future; when the scope is cancelled it releases what it holds (timer, event-bus reply
 * consumer, HTTP connection) and fails with {@link CancelledException}. asyncio's coroutine function.
 */
@FunctionalInterface
public interface Task<T> {

  /** Starts the work under {@code scope}. */
  Future<T> run(CancelScope scope);
}
