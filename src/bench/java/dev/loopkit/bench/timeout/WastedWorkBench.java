package dev.loopkit.bench.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Registration;
import dev.loopkit.async.Tasks;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Replies;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import dev.loopkit.timeout.RouteOptions;
import dev.loopkit.timeout.TimeoutOptions;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Downstream work wasted after the caller's deadline. The target does {@value #STEPS} steps of
 * {@value #STEP_MS} ms (timers, never blocking); the caller's budget is {@code budgetMs}. A step that
 * completes after the caller's deadline is wasted work: nobody will use its result.
 *
 * <ul>
 *   <li>without propagation: a plain request with a send timeout, to a target that knows nothing of it;</li>
 *   <li>with propagation: through a TimeoutVerticle route, to a target that serves with
 *   {@link Budget#serve} (its steps are {@link Tasks#sleep sleeps} under the scope);</li>
 *   <li>for contrast: the route, to the target that ignores budgets and cancel notices; and a
 *   {@link BusRequest} under a scope straight to the budget-aware target.</li>
 * </ul>
 *
 * <p>Usage: {@code WastedWorkBench [budgetMs=50] [calls=400] [concurrency=40]}
 */
public final class WastedWorkBench {

  static final int STEPS = 20;
  static final long STEP_MS = 10;

  private static final Map<Long, Long> DEADLINES = new ConcurrentHashMap<>();
  private static final AtomicLong STEPS_DONE = new AtomicLong();
  private static final AtomicLong STEPS_LATE = new AtomicLong();
  private static final AtomicLong KEYS = new AtomicLong();

  public static void main(String[] args) throws Exception {
    long budgetMs = args.length > 0 ? Long.parseLong(args[0]) : 50;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 400;
    int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 40;
    Vertx vertx = Vertx.vertx();
    try {
      Registration listening = CancelNotices.listen(vertx);
      vertx.eventBus().<JsonObject>consumer("work.plain", msg -> plainSteps(vertx, msg, 0));
      vertx.eventBus().<JsonObject>consumer("work.budget", Replies.guarded("work.budget", msg -> budgetSteps(vertx, msg)));
      vertx.deployVerticle(new TimeoutVerticle(new TimeoutOptions()
        .addRoute(new RouteOptions().setAddress("work.budget.guarded").setTarget("work.budget").setTimeoutMs(budgetMs)
          .setLateReplyWindowMs(0))
        .addRoute(new RouteOptions().setAddress("work.plain.guarded").setTarget("work.plain").setTimeoutMs(budgetMs)
          .setLateReplyWindowMs(0)))).await(10, TimeUnit.SECONDS);
      System.out.println(BenchSupport.fmt("# wasted work after the caller's deadline: budget %d ms, target work %d × %d ms, "
        + "%d calls, %d concurrent", budgetMs, STEPS, STEP_MS, calls, concurrency));
      for (int round = 1; round <= 2; round++) {
        System.out.println(round == 1 ? "round 1 (cold JVM: includes JIT warm-up)" : "round 2 (warm)");
        run(vertx, "no propagation: request(sendTimeout) → plain target", calls, concurrency, budgetMs,
          body -> vertx.eventBus().request("work.plain", body, new DeliveryOptions().setSendTimeout(budgetMs)));
        run(vertx, "propagation: route → Budget.serve target", calls, concurrency, budgetMs,
          body -> vertx.eventBus().request("work.budget.guarded", body, budgetHeader(budgetMs)));
        run(vertx, "propagation: BusRequest(scope) → Budget.serve target", calls, concurrency, budgetMs, body -> {
          CancelScope scope = CancelScope.withTimeout(vertx, budgetMs);
          return BusRequest.request(scope, "work.budget", body).onComplete(ar -> scope.close());
        });
        run(vertx, "route → target ignoring budgets (contrast)", calls, concurrency, budgetMs,
          body -> vertx.eventBus().request("work.plain.guarded", body, budgetHeader(budgetMs)));
      }
      listening.remove();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static void run(Vertx vertx, String label, int calls, int concurrency, long budgetMs,
                          Function<JsonObject, Future<?>> call) throws Exception {
    DEADLINES.clear();
    STEPS_DONE.set(0);
    STEPS_LATE.set(0);
    AtomicLong answeredLate = new AtomicLong();
    BenchSupport.closedLoop(vertx, 2, concurrency, 60_000, calls, () -> {
      long key = KEYS.incrementAndGet();
      long deadline = System.nanoTime() + budgetMs * 1_000_000;
      DEADLINES.put(key, deadline);
      return call.apply(new JsonObject().put("k", key)).onComplete(ar -> {
        if (System.nanoTime() - deadline > 20_000_000L) {
          answeredLate.incrementAndGet();
        }
      });
    }).await(120, TimeUnit.SECONDS);
    // let every target finish whatever it still does
    vertx.timer(STEPS * STEP_MS + 200).await(10, TimeUnit.SECONDS);
    long done = STEPS_DONE.get();
    long late = STEPS_LATE.get();
    System.out.println(BenchSupport.fmt("%-55s wasted %6.1f ms of work per call (%5.1f %% of the steps run); "
      + "answers > 20 ms late: %d", label, late * STEP_MS / (double) calls, done == 0 ? 0.0 : 100.0 * late / done,
      answeredLate.get()));
  }

  /** The caller's budget, sent as {@code loopkit-timeout-ms} (what a loopkit caller does). */
  private static DeliveryOptions budgetHeader(long budgetMs) {
    return new DeliveryOptions().addHeader(dev.loopkit.bus.Headers.TIMEOUT_MS, Long.toString(budgetMs));
  }

  private static void step(long key) {
    STEPS_DONE.incrementAndGet();
    Long deadline = DEADLINES.get(key);
    if (deadline != null && System.nanoTime() - deadline > 0) {
      STEPS_LATE.incrementAndGet();
    }
  }

  /** Ignores budgets and notices: runs every step, then replies (maybe to nobody). */
  private static void plainSteps(Vertx vertx, Message<JsonObject> msg, int done) {
    if (done == STEPS) {
      msg.reply(new JsonObject().put("steps", done));
      return;
    }
    vertx.setTimer(STEP_MS, t -> {
      step(msg.body().getLong("k"));
      plainSteps(vertx, msg, done + 1);
    });
  }

  /** Serves under the caller's budget: each step is a sleep under the scope, so it stops at the deadline. */
  private static void budgetSteps(Vertx vertx, Message<JsonObject> msg) {
    CancelScope scope = Budget.serve(vertx, msg, 10_000);
    if (scope == null) {
      return;
    }
    long key = msg.body().getLong("k");
    Promise<Void> all = Promise.promise();
    loop(scope, key, 0, all);
    all.future().onComplete(ar -> {
      scope.close();
      if (ar.succeeded()) {
        msg.reply(new JsonObject().put("steps", STEPS));
      } else {
        Replies.fail(msg, FailureCode.TIMEOUT, "stopped: " + ar.cause().getMessage());
      }
    });
  }

  private static void loop(CancelScope scope, long key, int done, Promise<Void> all) {
    if (done == STEPS) {
      all.complete();
      return;
    }
    Tasks.sleep(scope, STEP_MS).onComplete(ar -> {
      if (ar.failed()) {
        all.fail(ar.cause());
        return;
      }
      step(key);
      loop(scope, key, done + 1, all);
    });
  }
}
