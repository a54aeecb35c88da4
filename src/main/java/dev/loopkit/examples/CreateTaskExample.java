package dev.loopkit.examples;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.TaskGroup;
import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * Section (c): {@code create_task} — start work now, do other work, await the results later.
 *
 * <pre>
 * task1 = asyncio.create_task(fetch_data(1))
 * task2 = asyncio.create_task(fetch_data(1))
 * other_work()
 * r1, r2 = await task1, await task2
 * </pre>
 *
 * A Vert.x future starts when it is created, so calling an async method <em>is</em> {@code create_task};
 * a {@link TaskGroup} adds what asyncio's TaskGroup adds: the first failure cancels the siblings, and
 * {@link TaskGroup#join()} waits for all.
 */
public final class CreateTaskExample {

  private CreateTaskExample() {
  }

  /**
   * Spawns two fetches, runs "other work" while they are in flight, then awaits both.
   *
   * @return {@code {results, tasksStartedMs, otherWorkDoneMs, totalMs}} measured from the start
   */
  public static Future<JsonObject> run(Vertx vertx, long delayMs) {
    long t0 = System.nanoTime();
    CancelScope scope = CancelScope.create(vertx);
    TaskGroup group = TaskGroup.create(scope);
    Future<String> task1 = group.spawn(s -> Tasks.sleep(s, delayMs).map("task1 done"));
    Future<String> task2 = group.spawn(s -> Tasks.sleep(s, delayMs).map("task2 done"));
    long tasksStarted = elapsedMs(t0);
    // other work while both tasks are in flight: here, a short timer
    return Tasks.sleep(vertx, delayMs / 4)
      .map(v -> elapsedMs(t0))
      .compose(otherWorkDone -> group.join().map(v -> new JsonObject()
        .put("results", new io.vertx.core.json.JsonArray().add(task1.result()).add(task2.result()))
        .put("tasksStartedMs", tasksStarted)
        .put("otherWorkDoneMs", otherWorkDone)
        .put("totalMs", elapsedMs(t0))))
      .onComplete(ar -> scope.close());
  }

  static long elapsedMs(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
