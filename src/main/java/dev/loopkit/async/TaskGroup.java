package dev.loopkit.async;

import io.vertx.core.Future;
import io.vertx.core.Promise;

import java.util.ArrayList;
import java.util.List;

/**
 * asyncio's {@code TaskGroup} (and {@code create_task}) for Vert.x: tasks spawned into a group run at once,
 * concurrently, under the group's {@link CancelScope}; {@link #join()} completes when all of them have.
 *
 * <p>The contract, after CPython's {@code taskgroups.py}:
 * <ul>
 *   <li>{@link #spawn(Task)} starts the task immediately and returns its own future.</li>
 *   <li>The <b>first failure</b> of a task cancels the group's scope: every sibling still running is
 *   cancelled (its resources released) and fails with a {@link CancelledException} whose cause is that
 *   failure. A {@link CancelledException} raised by the group's own cancellation is not a failure.</li>
 *   <li>{@link #join()} waits until every spawned task has finished — so when it completes, nothing the
 *   group started still holds a resource — then succeeds, or fails with the first failure; later
 *   failures are attached to it as suppressed exceptions.</li>
 *   <li>Cancelling the parent scope cancels the group; {@link #join()} then fails with that
 *   cancellation.</li>
 *   <li>After the group is cancelled, {@link #spawn(Task)} starts nothing and returns the cancellation
 *   (level-triggered); after {@link #join()} has completed, it throws {@link IllegalStateException}.</li>
 * </ul>
 */
public final class TaskGroup {

  private final CancelScope scope;
  private final Promise<Void> done = Promise.promise();
  private final List<Throwable> failures = new ArrayList<>();
  private int running;
  private boolean joined;
  private boolean finished;

  private TaskGroup(CancelScope scope) {
    this.scope = scope;
  }

  /** A group under a child of {@code parent}. */
  public static TaskGroup create(CancelScope parent) {
    return new TaskGroup(parent.child());
  }

  /** @return the group's scope (cancelling it cancels every task) */
  public CancelScope scope() {
    return scope;
  }

  /** Starts {@code task} in the group. */
  public <T> Future<T> spawn(Task<T> task) {
    synchronized (this) {
      if (finished) {
        throw new IllegalStateException("TaskGroup is finished: spawn before join() completes");
      }
      CancelledException cancelled = scope.reason();
      if (cancelled != null) {
        return Future.failedFuture(cancelled);
      }
      running++;
    }
    Future<T> f = Tasks.start(task, scope);
    f.onComplete(ar -> taskDone(ar.failed() ? ar.cause() : null));
    return f;
  }

  /** Completes when every task has finished: succeeds, or fails with the first failure. */
  public Future<Void> join() {
    synchronized (this) {
      joined = true;
    }
    maybeFinish();
    return done.future();
  }

  /** Cancels every running task. */
  public void cancel() {
    scope.cancel("task group cancelled");
  }

  private void taskDone(Throwable failure) {
    boolean first = false;
    synchronized (this) {
      running--;
      if (failure != null && !isOwnCancellation(failure)) {
        first = failures.isEmpty();
        failures.add(failure);
      }
    }
    if (first) {
      scope.cancel(failure);
    }
    maybeFinish();
  }

  private boolean isOwnCancellation(Throwable failure) {
    CancelledException reason = scope.reason();
    return failure instanceof CancelledException && reason != null
      && (failure == reason || failure.getCause() == reason.getCause() && reason.getCause() != null);
  }

  private void maybeFinish() {
    Throwable result;
    synchronized (this) {
      if (!joined || running > 0 || finished) {
        return;
      }
      finished = true;
      if (!failures.isEmpty()) {
        result = failures.get(0);
        for (int i = 1; i < failures.size(); i++) {
          result.addSuppressed(failures.get(i));
        }
      } else {
        result = scope.reason();
      }
    }
    scope.close();
    if (result == null) {
      done.complete();
    } else {
      done.fail(result);
    }
  }
}
