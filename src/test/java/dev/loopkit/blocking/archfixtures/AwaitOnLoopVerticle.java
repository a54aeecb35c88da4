package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Fixture for BlockingRulesTest: {@code await()} in an event-loop verticle (it throws there): flagged. */
public class AwaitOnLoopVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return Future.succeededFuture(vertx.eventBus().request("backend", "q").await().body());
  }
}
