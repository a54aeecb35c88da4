package dev.loopkit.blocking.child;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;

import java.util.concurrent.TimeUnit;

/**
 * The child JVM of {@code HttpAttributionTest}: a plain {@code Vertx.vertx()} (the test puts
 * {@code BlockingAttributionProvider} in a service file on the class path), a plain request handler and a
 * Router whose handlers block, one request each; prints every record as {@code RECORD <json>}, then exits.
 */
public final class AttributionProviderMain {

  private AttributionProviderMain() {
  }

  static void nap(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    BlockingChecker checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100));
    checker.onIncident(i -> System.out.println("RECORD " + i.toJson().copy().put("stack", (Object) null).encode()));
    checker.ready().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Router router = Router.router(vertx);
    router.get("/items/:id").handler(rc -> {
      nap(250);
      rc.end("item");
    });
    HttpServer plain = vertx.createHttpServer().requestHandler(req -> {
      nap(250);
      req.response().end("plain");
    }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    HttpServer web = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
      .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    WebClient client = WebClient.create(vertx);
    client.get(plain.actualPort(), "127.0.0.1", "/plain").send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    client.get(web.actualPort(), "127.0.0.1", "/items/7").send().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    checker.drain().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    checker.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.out.flush();
    System.exit(0);
  }
}
