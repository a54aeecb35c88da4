package dev.loopkit.fetch;

import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("per-host limits key on the canonical resolved address, not on how the host is spelled")
class FetchHostAliasTest {

  private DemoUpstreamVerticle up;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).onComplete(tc.succeeding(u -> {
      up = u;
      tc.completeNow();
    }));
  }

  /** Spellings of 127.0.0.1 that the URL parser accepts as an address literal. */
  private List<String> spellings() {
    int port = up.actualPort();
    return List.of("127.0.0.1", "127.00.000.001", "127.000.0.01", "[::ffff:7f00:1]", "[::ffff:127.0.0.1]",
      "[0:0:0:0:0:ffff:7f00:1]", "[::FFFF:7F00:0001]").stream().map(h -> "http://" + h + ":" + port).toList();
  }

  @Test
  void max_per_host_is_exact_across_spellings_and_they_share_one_pool(Vertx vertx, VertxTestContext tc) {
    // one shard: one pool (with several shards each keeps its own; FetchShardsTest)
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up).setMaxPerHost(2).setShards(1));
    List<String> urls = new ArrayList<>();
    int i = 0;
    for (int round = 0; round < 3; round++) {
      for (String origin : spellings()) {
        urls.add(origin + "/item/" + i++ + "?delay_ms=100");
      }
    }
    int[] hostsSeen = {0};
    long timer = vertx.setPeriodic(5, t -> hostsSeen[0] = Math.max(hostsSeen[0], engine.stats().getInteger("hosts")));
    engine.fetch(FetchRequest.of(urls).concurrency(urls.size()).timeoutMs(20_000)).map((FetchReply reply) -> {
      vertx.cancelTimer(timer);
      assertThat(reply.succeeded()).isEqualTo(urls.size());
      assertThat(up.maxActiveRequests()).as("requests served at once across every spelling").isEqualTo(2);
      assertThat(up.connectionsAccepted()).as("one pool of maxPerHost connections, whatever the spelling").isEqualTo(2);
      assertThat(hostsSeen[0]).as("one per-host state").isEqualTo(1);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void the_host_header_keeps_the_spelling_of_the_url(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up).setMaxPerHost(1));
    int port = up.actualPort();
    engine.fetch(FetchRequest.of("http://127.00.000.001:" + port + "/echo", "http://[::ffff:7f00:1]:" + port + "/echo")
      .concurrency(1)).map(reply -> {
        assertThat(((io.vertx.core.json.JsonObject) reply.results().get(0).json()).getJsonObject("headers").getString("host"))
          .isEqualTo("127.00.000.001:" + port);
        assertThat(((io.vertx.core.json.JsonObject) reply.results().get(1).json()).getJsonObject("headers").getString("host"))
          .isEqualTo("[::ffff:7f00:1]:" + port);
        assertThat(up.connectionsAccepted()).as("one pool: the second used the first's connection").isEqualTo(1);
        return reply;
      }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }
}
