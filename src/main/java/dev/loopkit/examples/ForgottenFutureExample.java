package dev.loopkit.examples;

import dev.loopkit.async.Tasks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

/**
 * Section (f), gotcha "forgetting to await". In asyncio, calling a coroutine without {@code await} never
 * runs it, and Python warns "coroutine was never awaited". In Vert.x the work <em>does</em> run (futures
 * start eagerly) — but a returned {@link Future} that nobody composes, returns or observes loses its
 * failure silently: no warning, no log, and the caller reports success.
 *
 * <pre>
 * async def place_order():            # the asyncio mistake
 *     reserve_stock()                 # never awaited
 *     return "order placed"
 * </pre>
 *
 * The fix is the same in both worlds: compose it ({@code await} it) and return the result, or — for
 * deliberate fire-and-forget — attach {@code onFailure} so that the failure is at least logged.
 */
public final class ForgottenFutureExample {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ForgottenFutureExample.class);

  private ForgottenFutureExample() {
  }

  /** An async step that fails after a short delay, like a stock reservation that finds nothing left. */
  public static Future<Void> reserveStock(Vertx vertx) {
    return Tasks.sleep(vertx, 10).compose(v -> Future.failedFuture(new IllegalStateException("out of stock")));
  }

  /** The mistake: the reservation's future is dropped, so its failure is lost and the order "succeeds". */
  public static Future<String> placeOrderForgetful(Vertx vertx) {
    reserveStock(vertx); // returned Future ignored: its failure goes nowhere
    return Future.succeededFuture("order placed");
  }

  /** The fix: compose the reservation; its failure becomes the order's failure. */
  public static Future<String> placeOrder(Vertx vertx) {
    return reserveStock(vertx).map(v -> "order placed");
  }

  /** Deliberate fire-and-forget, done right: the failure is logged with what was attempted. */
  public static Future<String> placeOrderAndReserveInBackground(Vertx vertx) {
    reserveStock(vertx).onFailure(err ->
      LOG.warn("background stock reservation failed: {} — the order was placed without stock; compensate or retry", err.getMessage()));
    return Future.succeededFuture("order placed, stock reserved in the background");
  }
}
