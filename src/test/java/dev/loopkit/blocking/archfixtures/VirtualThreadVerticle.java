package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Fixture for BlockingRulesTest: Vert.x 5's virtual-thread style, deployed as such by {@link Deployer}. */
public class VirtualThreadVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    String answer = vertx.eventBus().<String>request("backend", "question").await().body();
    vertx.eventBus().consumer("front", m -> m.reply(vertx.eventBus().request("backend", m.body()).await().body()));
    return Future.succeededFuture(answer);
  }
}
