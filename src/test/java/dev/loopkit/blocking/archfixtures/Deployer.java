package dev.loopkit.blocking.archfixtures;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;

/** Fixture for BlockingRulesTest: deploys the worker and virtual-thread verticles, and an event-loop one. */
public class Deployer {

  public Future<?> deploy(Vertx vertx) {
    return vertx.deployVerticle(new WorkerVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
      .compose(id -> vertx.deployVerticle(VirtualThreadVerticle.class,
        new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)));
  }

  /** An event-loop verticle (its own method: a threading-model constant next to it would be taken for it). */
  public Future<?> deployOnLoop(Vertx vertx) {
    return vertx.deployVerticle(new AwaitOnLoopVerticle());
  }
}
