package dev.loopkit.async;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *   failure.</li>
 *   <li><b>A cancelled task is not a failure</b> (asyncio: {@code t.cancel()} is not an error): a task that
 *   ends with a {@link CancelledException} — the group's cancellation, or its own scope's, such as a child
 *   scope the task cancelled itself — leaves its siblings running. A {@link DeadlineExceededException} is
 *   a failure (asyncio's {@code TimeoutError} in a child), unless it is the group's own cancellation (an
 *   ancestor's deadline passed).</li>
 *   <li>{@link #join()} waits until every spawned task has finished — so when it completes, nothing the
 *   group started still holds a resource — then succeeds, or fails with the first failure (later,
 *   distinct failures are attached to it as suppressed exceptions; the same exception object reached by
 *   several tasks counts once). Failures take precedence over a cancellation.</li>
 *   <li>Cancelling the parent scope cancels the group; {@link #join()} then fails with that cancellation —
 *   also when the code calling {@code join()} heard of the cancellation before the group did (callbacks
 *   run innermost-first).</li>
 *   <li>After the group is cancelled, {@link #spawn(Task)} starts nothing and returns the cancellation
 *   (level-triggered); after {@link #join()} has completed, it throws {@link IllegalStateException}.</li>
 * </ul>
 * The code that spawns and joins is asyncio's {@code async with} body: work of its own that may fail the
 * group is best spawned as a task too. Thread-safe.
 */
public final class TaskGroup {

  private static final Logger LOG = LoggerFactory.getLogger(TaskGroup.class);

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

  /** @return how many spawned tasks have not finished yet */
  public synchronized int running() {
    return running;
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
      if (failure != null && isFailure(failure)) {
        first = failures.isEmpty();
        failures.add(failure);
      }
    }
    if (first) {
      scope.cancel(failure);
    }
    maybeFinish();
  }

  /** asyncio's {@code if task.cancelled(): return}: a cancellation is not a failure, a timeout is. */
  private boolean isFailure(Throwable failure) {
    if (!(failure instanceof CancelledException)) {
      return true;
    }
    return ((CancelledException) failure).deadline() && failure != scope.reason();
  }

  private void maybeFinish() {
    synchronized (this) {
      if (!joined || running > 0 || finished) {
        return;
      }
      finished = true;
    }
    Throwable result = null;
    try {
      result = outcome();
    } catch (Throwable t) {
      LOG.warn("TaskGroup could not combine its failures ({}) — join() reports the first one", t.toString(), t);
      synchronized (this) {
        result = failures.isEmpty() ? t : failures.get(0);
      }
    } finally {
      scope.close();
      if (result == null) {
        done.complete();
      } else {
        done.fail(result);
      }
    }
  }

  private Throwable outcome() {
    List<Throwable> all;
    synchronized (this) {
      all = new ArrayList<>(failures);
    }
    if (all.isEmpty()) {
      return scope.reason();
    }
    Throwable first = all.get(0);
    List<Throwable> attached = new ArrayList<>(List.of(first.getSuppressed()));
    for (Throwable later : all.subList(1, all.size())) {
      if (later != first && attached.stream().noneMatch(t -> t == later)) {
        first.addSuppressed(later);
        attached.add(later);
      }
    }
    return first;
  }
}
