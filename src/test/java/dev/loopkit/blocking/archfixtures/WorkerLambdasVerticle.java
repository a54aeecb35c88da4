package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.ext.web.Router;

import java.nio.file.Files;
import java.nio.file.Path;

/** Fixture for BlockingRulesTest: blocking calls that run on workers (not flagged) next to one that does not. */
public class WorkerLambdasVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/report").blockingHandler(rc -> {
      try {
        Thread.sleep(25);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      rc.end("report");
    });
    return vertx.executeBlocking(() -> {
      Thread.sleep(20);
      return Files.readString(Path.of("data.txt"));
    }).compose(text -> vertx.executeBlocking(this::load))
      .onSuccess(text -> {
        try {
          Thread.sleep(1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
  }

  /** Only ever handed to executeBlocking by reference: a worker runs it (no annotation needed). */
  private String load() throws Exception {
    return Files.readString(Path.of("more.txt"));
  }
}
