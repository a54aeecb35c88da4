package dev.loopkit.async;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * asyncio's tutorial patterns as Vert.x futures: {@code sleep}, {@code gather} (fail-fast and settled),
 * {@code wait_for} / {@code asyncio.timeout}, {@code as_completed}. See {@link TaskGroup} for
 * {@code TaskGroup}/{@code create_task}.
 *
 * <p>Where asyncio cancels a coroutine, loopkit cancels a {@link CancelScope}: operations written as a
 * {@link Task} receive a scope and release their resources when it is cancelled. The contract:
 * <ul>
 *   <li>{@link #sleep(CancelScope, long)} is a timer; cancelling the scope cancels the timer and fails the
 *   sleep with {@link CancelledException}. {@code sleep(0)} yields one loop turn.</li>
 *   <li>{@link #gather(List)} completes with the results in input order, or fails with the first
 *   failure (asyncio's default). {@link #gather(CancelScope, List)} does the same for tasks and, unlike
 *   asyncio, cancels the tasks still running when one fails. {@link #gatherSettled(List)} never fails:
 *   every outcome is in the list ({@code return_exceptions=True}). Gathering nothing completes at
 *   once with an empty list.</li>
 *   <li>{@link #waitFor(CancelScope, Deadline, Task)} runs a task in a child scope with a deadline. When the
 *   deadline passes, the task's scope is cancelled — its timers, requests and connections are released —
 *   and the result fails <em>at the deadline</em> with {@link DeadlineExceededException}, whose cause is
 *   the {@link CancelledException} delivered to the task. A timeout of zero or less fires on the next loop
 *   turn; {@link Deadline#NONE} disables the deadline; a nested deadline only shortens the outer one.
 *   When the task finishes first, the deadline timer is cancelled and the result passes through; a
 *   failure before any cancellation passes through unchanged. Once the scope is cancelled the caller
 *   sees the cancellation, never what the task failed with while being cancelled (a reset request's
 *   {@code StreamResetException} is attached as suppressed): a parent scope's cancellation passes through
 *   unchanged — with nested deadlines only the outermost expired one reports the timeout, as in asyncio —
 *   and a value the task still delivers while being cancelled wins, as asyncio's
 *   {@code wait_for} returns a value produced on cancellation. Unlike asyncio, the result does not wait
 *   for a task that ignores the cancellation.</li>
 *   <li>{@link #asCompleted(List)} returns futures that complete in completion order.</li>
 * </ul>
 */
public final class Tasks {

  private Tasks() {
  }

  /** A timer of {@code ms} that cannot be cancelled (asyncio.sleep outside any scope). */
  public static Future<Void> sleep(Vertx vertx, long ms) {
    return sleep(CancelScope.create(vertx), ms, true);
  }

  /**
   * A timer of {@code ms} under {@code scope}: fails with the scope's {@link CancelledException} (and the
   * timer is cancelled) when the scope is cancelled first.
   */
  public static Future<Void> sleep(CancelScope scope, long ms) {
    return sleep(scope, ms, false);
  }

  private static Future<Void> sleep(CancelScope scope, long ms, boolean ownsScope) {
    CancelledException already = scope.reason();
    if (already != null) {
      if (ownsScope) {
        scope.close();
      }
      return Future.failedFuture(already);
    }
    Vertx vertx = scope.vertx();
    LiveResources live = LiveResources.of(vertx);
    Promise<Void> promise = Promise.promise();
    if (ms <= 0) {
      vertx.getOrCreateContext().runOnContext(v -> {
        CancelledException r = scope.reason();
        if (r != null) {
          promise.tryFail(r);
        } else {
          promise.tryComplete();
        }
      });
    } else {
      live.increment(LiveResources.TIMERS);
      Registration[] registration = {Registration.NONE};
      long timerId = vertx.setTimer(ms, t -> {
        live.decrement(LiveResources.TIMERS);
        registration[0].remove();
        promise.tryComplete();
      });
      registration[0] = scope.onCancel(reason -> {
        if (vertx.cancelTimer(timerId)) {
          live.decrement(LiveResources.TIMERS);
        }
        promise.tryFail(reason);
      });
    }
    Future<Void> result = promise.future();
    if (ownsScope) {
      result.onComplete(ar -> scope.close());
    }
    return result;
  }

  /** Results in input order, or the first failure (fail-fast); empty input completes at once. */
  public static <T> Future<List<T>> gather(List<? extends Future<? extends T>> futures) {
    List<Future<? extends T>> snapshot = new ArrayList<>(futures);
    if (snapshot.isEmpty()) {
      return Future.succeededFuture(Collections.emptyList());
    }
    return Future.all(snapshot).map(all -> {
      List<T> out = new ArrayList<>(snapshot.size());
      for (int i = 0; i < snapshot.size(); i++) {
        out.add(all.resultAt(i));
      }
      return out;
    });
  }

  /** {@link #gather(List)} of the given futures. */
  @SafeVarargs
  public static <T> Future<List<T>> gather(Future<? extends T>... futures) {
    return gather(Arrays.asList(futures));
  }

  /**
   * Starts every task in a child of {@code scope}; completes with the results in input order, or fails
   * with the first failure after cancelling the tasks still running (their cancellation's cause is that
   * failure).
   */
  public static <T> Future<List<T>> gather(CancelScope scope, List<? extends Task<? extends T>> tasks) {
    List<Task<? extends T>> snapshot = new ArrayList<>(tasks);
    if (snapshot.isEmpty()) {
      return Future.succeededFuture(Collections.emptyList());
    }
    CancelScope group = scope.child();
    Promise<List<T>> promise = Promise.promise();
    List<T> results = new ArrayList<>(Collections.nCopies(snapshot.size(), null));
    AtomicInteger pending = new AtomicInteger(snapshot.size());
    AtomicBoolean failed = new AtomicBoolean();
    for (int i = 0; i < snapshot.size(); i++) {
      int index = i;
      start(snapshot.get(i), group).onComplete(ar -> {
        if (ar.succeeded()) {
          synchronized (results) {
            results.set(index, ar.result());
          }
          if (pending.decrementAndGet() == 0 && promise.tryComplete(results)) {
            group.close();
          }
        } else if (failed.compareAndSet(false, true)) {
          // siblings release their resources first (their own cancellations are ignored here),
          // then the caller sees the first failure
          group.cancel(ar.cause());
          group.close();
          promise.tryFail(ar.cause());
        }
      });
    }
    return promise.future();
  }

  /**
   * Every outcome in input order, successes and failures alike; never fails (asyncio's
   * {@code gather(..., return_exceptions=True)}). Empty input completes at once.
   */
  public static <T> Future<List<AsyncResult<T>>> gatherSettled(List<? extends Future<T>> futures) {
    List<Future<T>> snapshot = new ArrayList<>(futures);
    if (snapshot.isEmpty()) {
      return Future.succeededFuture(Collections.emptyList());
    }
    return Future.join(snapshot).transform(ignored -> Future.succeededFuture(new ArrayList<>(snapshot)));
  }

  /**
   * Futures that complete in completion order: the first returned completes like whichever input
   * completes first, and so on (asyncio's {@code as_completed}).
   */
  public static <T> List<Future<T>> asCompleted(List<? extends Future<T>> futures) {
    List<Future<T>> snapshot = new ArrayList<>(futures);
    List<Promise<T>> slots = new ArrayList<>(snapshot.size());
    List<Future<T>> out = new ArrayList<>(snapshot.size());
    for (int i = 0; i < snapshot.size(); i++) {
      Promise<T> p = Promise.promise();
      slots.add(p);
      out.add(p.future());
    }
    AtomicInteger next = new AtomicInteger();
    for (Future<T> f : snapshot) {
      f.onComplete(ar -> slots.get(next.getAndIncrement()).handle(ar));
    }
    return out;
  }

  /** {@link #waitFor(CancelScope, Deadline, Task)} in a new root scope, {@code timeoutMs} from now. */
  public static <T> Future<T> waitFor(Vertx vertx, long timeoutMs, Task<T> task) {
    return waitFor(vertx, Deadline.in(timeoutMs), task);
  }

  /** {@link #waitFor(CancelScope, Deadline, Task)} in a new root scope. */
  public static <T> Future<T> waitFor(Vertx vertx, Deadline deadline, Task<T> task) {
    CancelScope root = CancelScope.create(vertx);
    return waitFor(root, deadline, task).onComplete(ar -> root.close());
  }

  /** {@link #waitFor(CancelScope, Deadline, Task)} with a deadline {@code timeoutMs} from now. */
  public static <T> Future<T> waitFor(CancelScope parent, long timeoutMs, Task<T> task) {
    return waitFor(parent, Deadline.in(timeoutMs), task);
  }

  /**
   * Runs {@code task} in a child of {@code parent} whose deadline is the earlier of {@code deadline} and
   * the parent's; see the class comment for the full contract.
   */
  public static <T> Future<T> waitFor(CancelScope parent, Deadline deadline, Task<T> task) {
    CancelScope scope = parent.child(deadline);
    Promise<T> promise = Promise.promise();
    scope.onCancel(reason -> promise.tryFail(outcome(parent, scope, reason, reason)));
    start(task, scope).onComplete(ar -> {
      if (ar.succeeded()) {
        promise.tryComplete(ar.result());
        return;
      }
      CancelledException cancelled = scope.reason();
      promise.tryFail(cancelled == null ? ar.cause() : outcome(parent, scope, cancelled, ar.cause()));
    });
    Future<T> result = promise.future();
    result.onComplete(ar -> scope.close());
    return result;
  }

  /**
   * What {@link #waitFor} reports once its scope is cancelled, whatever the task failed with meanwhile
   * (the task's own failure — say the {@code StreamResetException} of a reset request — is a consequence
   * of the cancellation, not news): an ancestor's cancellation passes through unchanged (only the
   * outermost expired scope reports a timeout, as asyncio's nested timeouts); the scope's own deadline
   * becomes a fresh {@link DeadlineExceededException} whose cause is the cancellation the task received
   * and to which a foreign failure is attached as suppressed; an explicit cancel is the scope's reason.
   */
  private static Throwable outcome(CancelScope parent, CancelScope scope, CancelledException reason, Throwable failure) {
    CancelledException above = parent.reason();
    if (above != null) {
      return above;
    }
    if (!scope.expired()) {
      return reason;
    }
    boolean foreign = !(failure instanceof CancelledException);
    DeadlineExceededException timeout = new DeadlineExceededException("deadline exceeded", foreign ? reason : failure);
    if (foreign) {
      timeout.addSuppressed(failure);
    }
    return timeout;
  }

  /** asyncio.timeout: the same as {@link #waitFor(CancelScope, long, Task)}. */
  public static <T> Future<T> timeout(CancelScope parent, long timeoutMs, Task<T> task) {
    return waitFor(parent, timeoutMs, task);
  }

  /** Starts a task; a synchronous throw becomes a failed future. */
  @SuppressWarnings("unchecked")
  static <T> Future<T> start(Task<? extends T> task, CancelScope scope) {
    try {
      Future<? extends T> f = task.run(scope);
      if (f == null) {
        return Future.failedFuture(new NullPointerException("task returned a null future"));
      }
      return (Future<T>) f;
    } catch (Throwable t) {
      return Future.failedFuture(t);
    }
  }
}
