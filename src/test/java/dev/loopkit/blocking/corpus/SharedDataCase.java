package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** Shared data: a local async map, a counter and an asynchronous lock shared by verticle instances. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class SharedDataCase {

  static class Visitor extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<String>consumer("visit", msg -> vertx.sharedData().<String, Integer>getLocalAsyncMap("visits")
        .compose((AsyncMap<String, Integer> map) -> vertx.sharedData().withLocalLock("visits-lock", () ->
          map.get(msg.body()).compose(n -> map.put(msg.body(), n == null ? 1 : n + 1))))
        .compose(v -> vertx.sharedData().getLocalCounter("total"))
        .compose(counter -> counter.incrementAndGet())
        .onSuccess(total -> msg.reply(total))
        .onFailure(err -> msg.fail(500, err.getMessage()))).completion();
    }
  }

  @Test
  void counts_visits(Vertx vertx, VertxTestContext tc) {
    int n = 100;
    Checkpoint ok = tc.checkpoint(n);
    vertx.deployVerticle(Visitor::new, new io.vertx.core.DeploymentOptions().setInstances(4)).onComplete(tc.succeeding(id -> {
      for (int i = 0; i < n; i++) {
        vertx.eventBus().request("visit", "page" + (i % 7)).onComplete(tc.succeeding(r -> ok.flag()));
      }
    }));
  }
}
