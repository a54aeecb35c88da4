package com.acme;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A user's own service, written the way the Vert.x docs write one: a bus consumer and a Router. */
public class PricesVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger(PricesVerticle.class);

  private HttpServer server;

  @Override
  public Future<?> start() {
    vertx.eventBus().<JsonObject>consumer("prices.get", msg -> {
      int id = msg.body().getInteger("id", 0);
      if (id <= 0) {
        msg.fail(400, "id: must be a positive integer");
        return;
      }
      vertx.timer(5).onComplete(t -> msg.reply(new JsonObject().put("id", id).put("priceCents", 100 * id)));
    });

    Router router = Router.router(vertx);
    router.route().handler(BodyHandler.create().setHandleFileUploads(false));
    router.get("/prices/:id").handler(rc -> {
      int id = Integer.parseInt(rc.pathParam("id"));
      vertx.eventBus().<JsonObject>request("prices.get", new JsonObject().put("id", id))
        .onSuccess(reply -> rc.json(reply.body()))
        .onFailure(rc::fail);
    });
    router.post("/prices").handler(rc -> {
      JsonObject price = rc.body().asJsonObject();
      LOG.info("new price {}", price.encode());
      System.out.println("stored " + price.getInteger("id"));
      rc.response().setStatusCode(201).putHeader("content-type", "application/json").end(price.encode());
    });

    return vertx.createHttpServer()
      .requestHandler(router)
      .listen(config().getInteger("port", 0), "127.0.0.1")
      .onSuccess(s -> {
        server = s;
        LOG.info("prices listening on {}", s.actualPort());
      });
  }

  public int port() {
    return server.actualPort();
  }
}
