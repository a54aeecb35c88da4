package com.acme;

import dev.loopkit.async.CancelScope;
import dev.loopkit.blocking.CheckBlocking;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.fetch.FetchVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The user's tests: VertxExtension plus loopkit's @CheckBlocking with its defaults, on correct code. */
@ExtendWith(VertxExtension.class)
@CheckBlocking
class PricesTest {

  private App app;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.fileSystem().readFile("conf/app.json")
      .map(Buffer::toJsonObject)
      .compose(conf -> {
        app = new App();
        return vertx.deployVerticle(app, new DeploymentOptions().setConfig(conf));
      })
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void serves_a_price_over_http(Vertx vertx, VertxTestContext tc) {
    WebClient.create(vertx).get(app.pricesPort(), "127.0.0.1", "/prices/7").send()
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(200, r.statusCode());
        assertEquals(700, r.bodyAsJsonObject().getInteger("priceCents"));
        tc.completeNow();
      })));
  }

  @Test
  void stores_a_price(Vertx vertx, VertxTestContext tc) {
    WebClient.create(vertx).post(app.pricesPort(), "127.0.0.1", "/prices")
      .sendJsonObject(new JsonObject().put("id", 3).put("priceCents", 250))
      .onComplete(tc.succeeding(r -> tc.verify(() -> {
        assertEquals(201, r.statusCode());
        tc.completeNow();
      })));
  }

  @Test
  void guarded_route_answers_within_its_deadline(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().<JsonObject>request("prices.guarded", new JsonObject().put("id", 4))
      .onComplete(tc.succeeding(m -> tc.verify(() -> {
        assertEquals(400, m.body().getInteger("priceCents"));
        tc.completeNow();
      })));
  }

  @Test
  void fetches_its_own_prices_concurrently(Vertx vertx, VertxTestContext tc) {
    String base = "http://127.0.0.1:" + app.pricesPort() + "/prices/";
    JsonObject request = new JsonObject()
      .put("urls", new JsonArray().add(base + 1).add(base + 2).add(base + 3))
      .put("mode", "all");
    vertx.eventBus().<JsonObject>request("loopkit.fetch", request)
      .map(Message::body)
      .onComplete(tc.succeeding(reply -> tc.verify(() -> {
        assertEquals(3, reply.getInteger("succeeded"));
        tc.completeNow();
      })));
  }

  @Test
  void a_scope_bounds_a_bus_request(Vertx vertx, VertxTestContext tc) {
    CancelScope scope = CancelScope.withTimeout(vertx, 1_000);
    BusRequest.<JsonObject>request(scope, "prices.get", new JsonObject().put("id", 2))
      .onComplete(ar -> scope.close())
      .onComplete(tc.succeeding(m -> tc.verify(() -> {
        assertEquals(200, m.body().getInteger("priceCents"));
        tc.completeNow();
      })));
  }

  @Test
  void a_bad_loopkit_config_is_refused_naming_the_key(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(new FetchVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("maxInFlight", "ten")))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertTrue(err.getMessage().contains("maxInFlight"), err.getMessage());
        tc.completeNow();
      })));
  }

  @Test
  void a_bad_request_gets_a_stable_code(Vertx vertx, VertxTestContext tc) {
    vertx.eventBus().request("loopkit.fetch", new JsonObject().put("urls", "not a list"))
      .onComplete(tc.failing(err -> tc.verify(() -> {
        assertEquals(400, ((ReplyException) err).failureCode());
        tc.completeNow();
      })));
  }
}
