package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Fixture for BlockingRulesTest: a worker verticle (deployed as one by {@link Deployer}), no annotation. */
public class WorkerVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer("jdbc", m -> {
      try {
        Thread.sleep(15);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      m.reply("row");
    });
    return Future.succeededFuture();
  }
}
