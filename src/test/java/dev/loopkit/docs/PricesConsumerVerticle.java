package dev.loopkit.docs;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.Replies;
import dev.loopkit.timeout.Budget;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/**
 * The README's "The library in a consumer" example, compiled and run by {@link PricesConsumerExampleTest}:
 * a consumer of {@code prices.get} that serves within the caller's budget (or its own 2 s), asks
 * {@code rates.get} with what is left, and is cancelled by a cancel notice for its request id.
 */
public class PricesConsumerVerticle extends VerticleBase {

  private Registration notices;

  @Override
  public Future<?> start() {
    // README: begin
    Registration notices = CancelNotices.listen(vertx);          // in start(); notices.remove() in stop()

    vertx.eventBus().consumer("prices.get", Replies.guarded("prices.get", msg -> {
      CancelScope scope = Budget.serve(vertx, msg, 2_000);       // null: already answered 400 or 504 (shed)
      if (scope == null) {
        return;
      }
      BusRequest.request(scope, "rates.get", msg.body())          // carries what is left of the budget
        .onComplete(ar -> {
          scope.close();
          if (ar.succeeded()) msg.reply(ar.result().body()); else Replies.fail(msg, ar.cause());
        });
    }));
    // README: end
    this.notices = notices;
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    notices.remove();
    return Future.succeededFuture();
  }
}
