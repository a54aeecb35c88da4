package dev.loopkit.async.cpython;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Cancellable;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.Task;
import dev.loopkit.async.Tasks;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.loopkit.async.cpython.Asyncio.failure;
import static dev.loopkit.async.cpython.Asyncio.run;
import static dev.loopkit.async.cpython.Asyncio.settle;
import static dev.loopkit.async.cpython.Asyncio.zeroDivision;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gather cases of CPython's {@code Lib/test/test_asyncio/test_tasks.py} (3.13: {@code GatherTestsBase},
 * {@code FutureGatherTests}, {@code CoroutineGatherTests}, {@code test_cancel_gather_1/2},
 * {@code test_shield_gather}, {@code test_gather_shield}) on loopkit's API: {@code gather(*fs)} is
 * {@code Tasks.gather(futures)} (or {@code Tasks.gather(scope, tasks)} when cancelling it must reach the
 * children), {@code return_exceptions=True} is {@code Tasks.gatherSettled}, a future cancelled is one
 * failed with {@link CancelledException}, {@code asyncio.shield(f)} is work not bound to the scope.
 * The base cases run twice, as in CPython: on futures, and on "coroutines" awaiting them (composed futures).
 * Not ported (no loopkit counterpart): {@code test_env_var_debug}, the {@code test_constructor_*} cases
 * about event loops (a Vert.x future belongs to no loop), {@code test_issue46672} (a type error in Python).
 */
@ExtendWith(VertxExtension.class)
@DisplayName("CPython test_tasks.py: gather")
class GatherTest {

  private static final Function<Promise<Integer>, Future<Integer>> FUTURE = Promise::future;
  private static final Function<Promise<Integer>, Future<Integer>> COROUTINE = p -> p.future().compose(Future::succeededFuture);

  private static List<Promise<Integer>> futures(int n) {
    List<Promise<Integer>> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Promise.promise());
    }
    return out;
  }

  private static List<Future<Integer>> wrap(List<Promise<Integer>> ps, Function<Promise<Integer>, Future<Integer>> how) {
    return ps.stream().map(how).collect(Collectors.toList());
  }

  private static void checkSuccess(Function<Promise<Integer>, Future<Integer>> how, boolean returnExceptions) {
    List<Promise<Integer>> abc = futures(3);
    Future<?> fut = returnExceptions ? Tasks.gatherSettled(wrap(abc, how)) : Tasks.gather(wrap(abc, how));
    abc.get(1).complete(1);
    abc.get(0).complete(2);
    assertThat(fut.isComplete()).isFalse();
    abc.get(2).complete(3);
    assertThat(fut.succeeded()).isTrue();
    List<Object> values = returnExceptions
      ? ((List<?>) fut.result()).stream().map(ar -> ((AsyncResult<?>) ar).result()).collect(Collectors.toList())
      : new ArrayList<>((List<?>) fut.result());
    assertThat(values).containsExactly(2, 1, 3);
  }

  @Test
  @DisplayName("FutureGatherTests.test_success")
  void future_test_success() {
    checkSuccess(FUTURE, false);
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_success")
  void coroutine_test_success() {
    checkSuccess(COROUTINE, false);
  }

  @Test
  @DisplayName("FutureGatherTests.test_result_exception_success")
  void future_test_result_exception_success() {
    checkSuccess(FUTURE, true);
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_result_exception_success")
  void coroutine_test_result_exception_success() {
    checkSuccess(COROUTINE, true);
  }

  private static void oneException(Function<Promise<Integer>, Future<Integer>> how) {
    List<Promise<Integer>> f = futures(5);
    Future<List<Integer>> fut = Tasks.gather(wrap(f, how));
    ArithmeticException exc = zeroDivision();
    f.get(0).complete(1);
    f.get(1).fail(exc);
    assertThat(fut.isComplete()).isTrue();
    assertThat(fut.cause()).isSameAs(exc);
    // does nothing
    f.get(2).complete(3);
    f.get(3).fail(new CancelledException("d.cancel()"));
    f.get(4).fail(new IllegalStateException("RuntimeError"));
    assertThat(fut.cause()).isSameAs(exc);
  }

  @Test
  @DisplayName("FutureGatherTests.test_one_exception")
  void future_test_one_exception() {
    oneException(FUTURE);
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_one_exception")
  void coroutine_test_one_exception() {
    oneException(COROUTINE);
  }

  private static void returnExceptions(Function<Promise<Integer>, Future<Integer>> how) {
    List<Promise<Integer>> f = futures(4);
    Future<List<AsyncResult<Integer>>> fut = Tasks.gatherSettled(wrap(f, how));
    ArithmeticException exc = zeroDivision();
    IllegalStateException exc2 = new IllegalStateException("RuntimeError");
    f.get(1).complete(1);
    f.get(2).fail(exc);
    f.get(0).complete(3);
    assertThat(fut.isComplete()).isFalse();
    f.get(3).fail(exc2);
    assertThat(fut.isComplete()).isTrue();
    List<Object> outcome = fut.result().stream().map(ar -> ar.succeeded() ? ar.result() : ar.cause()).collect(Collectors.toList());
    assertThat(outcome).containsExactly(3, 1, exc, exc2);
  }

  @Test
  @DisplayName("FutureGatherTests.test_return_exceptions")
  void future_test_return_exceptions() {
    returnExceptions(FUTURE);
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_return_exceptions")
  void coroutine_test_return_exceptions() {
    returnExceptions(COROUTINE);
  }

  @Test
  @DisplayName("FutureGatherTests.test_constructor_empty_sequence_use_running_loop")
  void test_constructor_empty_sequence_use_running_loop(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Future<List<Integer>> fut = Tasks.gather(List.<Future<Integer>>of());
      assertThat(fut.result()).isEmpty();
      try (CancelScope scope = CancelScope.create(vertx)) {
        assertThat(Tasks.gather(scope, List.<Task<Integer>>of()).result()).isEmpty();
      }
      return fut;
    });
  }

  @Test
  @DisplayName("FutureGatherTests.test_one_cancellation: a cancelled child fails the gather with the cancellation")
  void test_one_cancellation() {
    List<Promise<Integer>> f = futures(5);
    Future<List<Integer>> fut = Tasks.gather(wrap(f, FUTURE));
    f.get(0).complete(1);
    f.get(1).fail(new CancelledException("b.cancel()"));
    assertThat(fut.isComplete()).isTrue();
    assertThat(fut.cause()).isInstanceOf(CancelledException.class);
    f.get(2).complete(3);
    f.get(3).fail(new CancelledException("d.cancel()"));
    f.get(4).fail(new IllegalStateException("RuntimeError"));
    assertThat(fut.cause()).hasMessage("b.cancel()");
  }

  @Test
  @DisplayName("FutureGatherTests.test_result_exception_one_cancellation")
  void test_result_exception_one_cancellation() {
    List<Promise<Integer>> f = futures(6);
    Future<List<AsyncResult<Integer>>> fut = Tasks.gatherSettled(wrap(f, FUTURE));
    f.get(0).complete(1);
    ArithmeticException zde = zeroDivision();
    f.get(1).fail(zde);
    f.get(2).fail(new CancelledException("c.cancel()"));
    assertThat(fut.isComplete()).isFalse();
    f.get(3).complete(3);
    f.get(4).fail(new CancelledException("e.cancel()"));
    IllegalStateException rte = new IllegalStateException("RuntimeError");
    f.get(5).fail(rte);
    List<AsyncResult<Integer>> res = fut.result();
    assertThat(res.get(2).cause()).isInstanceOf(CancelledException.class);
    assertThat(res.get(4).cause()).isInstanceOf(CancelledException.class);
    assertThat(res.get(0).result()).isEqualTo(1);
    assertThat(res.get(1).cause()).isSameAs(zde);
    assertThat(res.get(3).result()).isEqualTo(3);
    assertThat(res.get(5).cause()).isSameAs(rte);
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_duplicate_coroutines")
  void test_duplicate_coroutines() {
    Future<String> c = Future.succeededFuture("abc");
    assertThat(Tasks.gather(List.of(c, c, Future.succeededFuture("def"), c)).result()).containsExactly("abc", "abc", "def", "abc");
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_cancellation_broadcast: cancelling the caller cancels every child")
  void test_cancellation_broadcast(Vertx vertx, VertxTestContext tc) {
    AtomicInteger proof = new AtomicInteger();
    List<Future<Void>> children = new ArrayList<>();
    run(vertx, tc, () -> {
      CancelScope outer = CancelScope.create(vertx);
      Promise<Void> waiter = Promise.promise();
      Task<Void> inner = s -> {
        Future<Void> child = Cancellable.run(s, waiter::future, () -> waiter.tryFail(new CancelledException("waiter cancelled")))
          .onSuccess(v -> proof.addAndGet(1));
        children.add(child);
        return child;
      };
      Future<Void> f = Tasks.gather(outer, List.of(inner, inner)).<Void>mapEmpty().onSuccess(v -> proof.addAndGet(100));
      return Tasks.sleep(vertx, 0).compose(v -> {
        outer.cancel();
        return settle(f);
      }).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(CancelledException.class);
        assertThat(waiter.future().failed()).isTrue();
        assertThat(children).allSatisfy(child -> assertThat(child.cause()).isInstanceOf(CancelledException.class));
        assertThat(proof).hasValue(0);
        outer.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("CoroutineGatherTests.test_exception_marking: the first failure is reported, the later one does not get lost as an error")
  void test_exception_marking(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Promise<Void> a = Promise.promise();
      Promise<Void> b = Promise.promise();
      Future<List<Object>> f = Tasks.gather(List.of(
        a.future().compose(v -> Future.failedFuture(new IllegalStateException("should not be ignored"))),
        b.future().compose(v -> Future.failedFuture(new IllegalStateException("should not be ignored")))));
      a.complete();
      b.complete();
      return settle(f).map((AsyncResult<?> ar) -> {
        assertThat(failure(ar)).isInstanceOf(IllegalStateException.class);
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancel_gather_1: a gather whose children are all done ignores a late cancel")
  void test_cancel_gather_1(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      CancelScope gatherTask = CancelScope.create(vertx);
      Promise<Integer> fut = Promise.promise();
      Future<List<Integer>> gathered = Tasks.gather(gatherTask, List.<Task<Integer>>of(s -> fut.future().map(x -> x)));
      fut.future().onComplete(ar -> gatherTask.cancel()); // the cancelling callback
      fut.complete(42);
      return gathered.map(result -> {
        assertThat(result).containsExactly(42);
        gatherTask.close();
        return null;
      });
    });
  }

  @Test
  @DisplayName("test_cancel_gather_2: the cancel message reaches the gather's caller")
  void test_cancel_gather_2(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> Future.join(cancelGather(vertx, null, "cancelled"), cancelGather(vertx, "my message", "my message")));
  }

  private Future<Void> cancelGather(Vertx vertx, String message, String expected) {
    CancelScope qwe = CancelScope.create(vertx);
    Future<Void> test = loop(qwe, 0);
    return Tasks.sleep(vertx, 40).compose(v -> {
      if (message == null) {
        qwe.cancel();
      } else {
        qwe.cancel(message);
      }
      return settle(test);
    }).map((AsyncResult<?> ar) -> {
      assertThat(failure(ar)).isInstanceOf(CancelledException.class).hasMessage(expected);
      qwe.close();
      return null;
    });
  }

  /** {@code while True: time += 0.05; await gather(sleep(0.05), return_exceptions=True); if time > 1: return} */
  private Future<Void> loop(CancelScope scope, int time) {
    if (time > 1_000) {
      return Future.succeededFuture();
    }
    return Tasks.gather(scope, List.<Task<Void>>of(s -> Tasks.sleep(s, 10))).compose(v -> loop(scope, time + 10));
  }

  @Test
  @DisplayName("test_shield_gather: the gather keeps going when a shielded wait on it is cancelled")
  void test_shield_gather(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Promise<Integer> child1 = Promise.promise();
      Promise<Integer> child2 = Promise.promise();
      Future<List<Integer>> parent = Tasks.gather(List.of(child1.future(), child2.future()));
      CancelScope scope = CancelScope.create(vertx);
      Future<List<Integer>> outer = Tasks.waitFor(scope, Deadline.NONE, s -> parent);
      scope.cancel();
      assertThat(outer.cause()).isInstanceOf(CancelledException.class);
      child1.complete(1);
      child2.complete(2);
      assertThat(parent.result()).containsExactly(1, 2);
      scope.close();
      return parent;
    });
  }

  @Test
  @DisplayName("test_gather_shield: cancelling the gather cancels the shields, not the shielded children")
  void test_gather_shield(Vertx vertx, VertxTestContext tc) {
    run(vertx, tc, () -> {
      Promise<Integer> child1 = Promise.promise();
      Promise<Integer> child2 = Promise.promise();
      CancelScope scope = CancelScope.create(vertx);
      List<Future<Integer>> inners = new ArrayList<>();
      Future<List<Integer>> parent = Tasks.gather(scope, List.<Task<Integer>>of(
        s -> add(inners, Cancellable.run(s, child1::future, () -> { })),
        s -> add(inners, Cancellable.run(s, child2::future, () -> { }))));
      scope.cancel();
      assertThat(parent.cause()).isInstanceOf(CancelledException.class);
      assertThat(inners).allSatisfy(inner -> assertThat(inner.cause()).isInstanceOf(CancelledException.class));
      assertThat(child1.future().isComplete()).isFalse();
      child1.complete(1);
      child2.complete(2);
      scope.close();
      return Future.succeededFuture();
    });
  }

  private static <T> Future<T> add(List<Future<T>> into, Future<T> f) {
    into.add(f);
    return f;
  }
}
