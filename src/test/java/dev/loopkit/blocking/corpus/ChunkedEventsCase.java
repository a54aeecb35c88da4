package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import static org.assertj.core.api.Assertions.assertThat;

/** A chunked, server-sent-events style response written from a periodic timer, read as a stream. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class ChunkedEventsCase {

  static class Events extends VerticleBase {
    HttpServer server;

    @Override
    public Future<?> start() {
      return vertx.createHttpServer().requestHandler(req -> {
        req.response().setChunked(true).putHeader("content-type", "text/event-stream");
        int[] sent = {0};
        vertx.setPeriodic(5, id -> {
          req.response().write("data: event " + sent[0] + "\n\n");
          if (++sent[0] == 20) {
            vertx.cancelTimer(id);
            req.response().end();
          }
        });
      }).listen(0).onSuccess(s -> server = s);
    }
  }

  private final Events events = new Events();

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) {
    vertx.deployVerticle(events).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private HttpClient client;

  @Test
  void streams_events(Vertx vertx, VertxTestContext tc) {
    client = vertx.createHttpClient();
    int n = 5;
    Checkpoint ok = tc.checkpoint(n);
    for (int i = 0; i < n; i++) {
      client.request(HttpMethod.GET, events.server.actualPort(), "localhost", "/events")
        .compose(req -> req.send())
        .onComplete(tc.succeeding(resp -> {
          StringBuilder sb = new StringBuilder();
          resp.handler(buf -> sb.append(buf.toString()));
          resp.endHandler(v -> {
            tc.verify(() -> assertThat(sb.toString()).contains("data: event 19"));
            ok.flag();
          });
        }));
    }
  }
}
