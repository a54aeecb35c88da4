package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;

/** Fixture for BlockingRulesTest: a plain class (not a verticle, not a Handler) registering a handler lambda that blocks. */
public class PlainServer {

  public Future<HttpServer> start(Vertx vertx) {
    return vertx.createHttpServer()
      .requestHandler(req -> {
        try {
          Thread.sleep(10);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        req.response().end("late");
      })
      .listen(0);
  }

  /** Not flagged: a plain class may block outside handlers (it is not known to run on a loop). */
  public String load() throws Exception {
    Thread.sleep(1);
    return "x";
  }
}
