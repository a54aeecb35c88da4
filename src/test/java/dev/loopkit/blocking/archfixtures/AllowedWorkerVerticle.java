package dev.loopkit.blocking.archfixtures;

import dev.loopkit.blocking.AllowBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Fixture for BlockingRulesTest: a worker verticle, suppressed as a whole. */
@AllowBlocking("deployed as a worker verticle")
public class AllowedWorkerVerticle extends VerticleBase {

  @Override
  public Future<?> start() throws Exception {
    Thread.sleep(5);
    return Future.succeededFuture();
  }
}
