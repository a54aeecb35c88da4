package com.acme;

import dev.loopkit.fetch.FetchVerticle;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;

/**
 * The user's application: its own service plus loopkit's fetch and timeout verticles, each configured
 * by its section of the application's own JSON file ({@code conf/app.json}).
 */
public class App extends VerticleBase {

  private PricesVerticle prices;

  @Override
  public Future<?> start() {
    JsonObject conf = config();
    prices = new PricesVerticle();
    return vertx.deployVerticle(prices, new DeploymentOptions().setConfig(conf.getJsonObject("prices")))
      .compose(id -> vertx.deployVerticle(new FetchVerticle(), new DeploymentOptions().setConfig(conf.getJsonObject("fetch"))))
      .compose(id -> vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(conf.getJsonObject("timeout"))));
  }

  public int pricesPort() {
    return prices.port();
  }
}
