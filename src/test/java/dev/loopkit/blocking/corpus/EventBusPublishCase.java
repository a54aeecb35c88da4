package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/** Publish/subscribe: three subscriber verticles, a publisher on a periodic timer. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class EventBusPublishCase {

  static class Subscriber extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer("news-feed", message -> System.out.println("Received news: " + message.body()))
        .completion();
    }
  }

  static class Publisher extends VerticleBase {
    @Override
    public Future<?> start() {
      vertx.setPeriodic(5, id -> vertx.eventBus().publish("news-feed", "Some news!"));
      return Future.succeededFuture();
    }
  }

  @Test
  void every_subscriber_gets_the_news(Vertx vertx, VertxTestContext tc) {
    Checkpoint received = tc.laxCheckpoint(3 * 40);
    vertx.eventBus().consumer("news-feed", m -> received.flag());
    vertx.deployVerticle(Subscriber::new, new io.vertx.core.DeploymentOptions().setInstances(2))
      .compose(id -> vertx.deployVerticle(new Publisher()))
      .onComplete(tc.succeeding(id -> { }));
  }
}
