package dev.loopkit.async.cpython;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.Tasks;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;

import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The as_completed cases of CPython's {@code Lib/test/test_asyncio/test_tasks.py} (3.13) on loopkit's
 * {@code Tasks.asCompleted(futures)}: a list whose i-th future completes like the i-th input to complete.
 * {@code as_completed(fs, timeout=t)} is awaiting each under a scope that expires after {@code t}.
 * Cases marked DIFFERS assert loopkit's documented behaviour (README, "asyncio differences").
 * Not ported: {@code test_as_completed_coroutine_without_loop} and {@code test_as_completed_invalid_args}
 * (event-loop and type errors in Python, a compile error in Java).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_tasks.py: as_completed")
class AsCompletedTest {

  private static Future<String> sleep(Vertx vertx, long ms, String value) {
    return Tasks.sleep(vertx, ms).map(value);
  }

  @Test
  @DisplayName("test_as_completed")
  void test_as_completed(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> a = sleep(vertx, 10, "a");
      Future<String> b = sleep(vertx, 10, "b");
      Future<String> c = sleep(vertx, 150, "c");
      return Tasks.gather(Tasks.asCompleted(List.of(b, c, a))).map((List<String> res) -> {
        assertThat(res.subList(0, 2)).containsExactlyInAnyOrder("a", "b");
        assertThat(res.get(2)).isEqualTo("c");
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_same_tasks_in_as_out — DIFFERS: the futures yielded are new ones, never the inputs")
  void test_as_completed_same_tasks_in_as_out(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      List<Future<Integer>> in = List.of(Future.succeededFuture(0), Future.succeededFuture(1));
      List<Future<Integer>> out = Tasks.asCompleted(in);
      assertThat(out).doesNotContainAnyElementsOf(in);
      return Tasks.gather(out).map((List<Integer> values) -> {
        assertThat(values).containsExactlyInAnyOrder(0, 1);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_with_timeout: what has not completed by the deadline fails with DeadlineExceededException")
  void test_as_completed_with_timeout(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> a = sleep(vertx, 100, "a");
      Future<String> b = sleep(vertx, 150, "b");
      CancelScope within = CancelScope.withTimeout(vertx, 120);
      List<Future<String>> fs = Tasks.asCompleted(List.of(a, b));
      List<AsyncResult<String>> values = new ArrayList<>();
      return settle(Tasks.waitFor(within, Deadline.NONE, (CancelScope s) -> fs.get(0))).compose((AsyncResult<String> first) -> {
        values.add(first);
        return settle(Tasks.waitFor(within, Deadline.NONE, (CancelScope s) -> fs.get(1)));
      }).compose((AsyncResult<String> second) -> {
        values.add(second);
        assertThat(values.get(0).result()).isEqualTo("a");
        assertThat(failure(values.get(1))).isInstanceOf(DeadlineExceededException.class);
        within.close();
        return Future.join(a, b); // move forward to close the generators
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_with_unused_timeout")
  void test_as_completed_with_unused_timeout(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope within = CancelScope.withTimeout(vertx, 1_000);
      List<Future<String>> fs = Tasks.asCompleted(List.of(sleep(vertx, 10, "a")));
      return Tasks.waitFor(within, Deadline.NONE, (CancelScope s) -> fs.get(0)).map((String v) -> {
        assertThat(v).isEqualTo("a");
        within.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_resume_iterator: the list can be consumed in parts")
  void test_as_completed_resume_iterator(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      List<Future<Integer>> iterator = Tasks.asCompleted(List.of(
        Future.succeededFuture(0), Future.succeededFuture(1), Future.succeededFuture(2), Future.succeededFuture(3)));
      return Tasks.gather(iterator.subList(0, 2))
        .compose((List<Integer> firstTwo) -> Tasks.gather(iterator.subList(2, 4)).map((List<Integer> rest) -> {
          List<Integer> collected = new ArrayList<>(firstTwo);
          collected.addAll(rest);
          assertThat(collected).containsExactlyInAnyOrder(0, 1, 2, 3);
          return null;
        }));
    });
  }

  @Test
  @DisplayName("test_as_completed_reverse_wait — DIFFERS: the i-th future is the i-th to complete, whatever order they are awaited in")
  void test_as_completed_reverse_wait(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      List<Future<String>> futs = Tasks.asCompleted(List.of(sleep(vertx, 50, "a"), sleep(vertx, 100, "b")));
      assertThat(futs).hasSize(2);
      return futs.get(1).compose((String x) -> {
        assertThat(x).as("asyncio: 'a', the first to complete").isEqualTo("b");
        return futs.get(0);
      }).map((String y) -> {
        assertThat(y).isEqualTo("a");
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_concurrent")
  void test_as_completed_concurrent(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      List<Future<String>> futs = Tasks.asCompleted(List.of(sleep(vertx, 50, "a"), sleep(vertx, 50, "b")));
      assertThat(futs).hasSize(2);
      return Tasks.gatherSettled(futs).map((List<AsyncResult<String>> done) -> {
        assertThat(done).extracting(AsyncResult::result).containsExactlyInAnyOrder("a", "b");
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_duplicate_coroutines — DIFFERS: duplicates are not merged, one output per input")
  void test_as_completed_duplicate_coroutines(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<String> c = Future.succeededFuture("ham");
      return Tasks.gather(Tasks.asCompleted(List.of(c, c, Future.succeededFuture("spam")))).map((List<String> result) -> {
        assertThat(result).containsExactlyInAnyOrder("ham", "ham", "spam");
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_as_completed_coroutine_use_running_loop")
  void test_as_completed_coroutine_use_running_loop(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      List<Future<Integer>> futs = Tasks.asCompleted(List.of(Future.succeededFuture(42)));
      assertThat(futs).hasSize(1);
      return futs.get(0).map((Integer v) -> {
        assertThat(v).isEqualTo(42);
        return null;
      });
    });
  }
}
