package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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

/**
 * The engine runs one shard per event loop by default: limits stay exact across shards and across calls
 * arriving on different loops, cancellation resets the sockets of every shard, and nothing is left behind
 * on any of them.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("a sharded engine: exact limits, cancellation and release on every shard")
class FetchShardsTest {

  private DemoUpstreamVerticle up;
  private DemoUpstreamVerticle other;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose((DemoUpstreamVerticle u) -> {
      up = u;
      return Fixture.upstream(vertx);
    }).onComplete(tc.succeeding((DemoUpstreamVerticle u) -> {
      other = u;
      tc.completeNow();
    }));
  }

  private FetchOptions both() {
    return new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort(), "127.0.0.1:" + other.actualPort()));
  }

  private static List<String> urls(DemoUpstreamVerticle u, int n, String query) {
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      urls.add(u.baseUrl() + "/item/" + i + "?" + query);
    }
    return urls;
  }

  /** Runs {@code call} on a new event-loop context (Vert.x gives each one the next loop in turn). */
  private static <T> Future<T> onNewContext(Vertx vertx, java.util.function.Supplier<Future<T>> call) {
    Context ctx = ((io.vertx.core.internal.VertxInternal) vertx).createEventLoopContext();
    Promise<T> p = Promise.promise();
    ctx.runOnContext(v -> call.get().onComplete(p));
    return p.future();
  }

  @Test
  void the_default_is_one_shard_per_event_loop_and_a_big_call_uses_them_all(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up));
    int shards = engine.stats().getInteger("shards");
    assertThat(shards).as("Vert.x's default event loops (2 × cores)").isEqualTo(2 * Runtime.getRuntime().availableProcessors());
    int[] busiestSeen = new int[shards];
    long timer = vertx.setPeriodic(2, t -> {
      JsonArray a = engine.stats().getJsonArray("shardRequests");
      for (int i = 0; i < shards; i++) {
        busiestSeen[i] = Math.max(busiestSeen[i], a.getInteger(i));
      }
    });
    engine.fetch(FetchRequest.of(urls(up, 8 * shards, "delay_ms=100")).concurrency(4 * shards)).map((FetchReply reply) -> {
      vertx.cancelTimer(timer);
      assertThat(reply.succeeded()).isEqualTo(8 * shards);
      for (int i = 0; i < shards; i++) {
        assertThat(busiestSeen[i]).as("requests placed on shard " + i).isPositive();
      }
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  /**
   * Per host across shards and calls from every loop. Each upstream counts its own requests on its one loop,
   * which is exact; a sum over two upstreams on two loops is not (one's count of a finished response can drop
   * after the engine already started the next request at the other), so the global limit is checked on one
   * host below, and strictly, thread by thread, in {@code LimiterTest}.
   */
  @Test
  void max_per_host_is_exact_across_shards_and_calls_from_every_loop(Vertx vertx, VertxTestContext tc) {
    int maxPerHost = 3;
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(maxPerHost).setMaxInFlight(6));
    List<Future<FetchReply>> calls = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      DemoUpstreamVerticle target = c % 2 == 0 ? up : other;
      calls.add(onNewContext(vertx, () -> engine.fetch(FetchRequest.of(urls(target, 12, "delay_ms=20")).concurrency(12))));
    }
    Future.all(calls).map(all -> {
      for (Future<FetchReply> f : calls) {
        assertThat(f.result().succeeded()).isEqualTo(12);
      }
      assertThat(up.maxActiveRequests()).as("maxPerHost on one host").isEqualTo(maxPerHost);
      assertThat(other.maxActiveRequests()).as("maxPerHost on the other").isEqualTo(maxPerHost);
      return all;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up, other)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void in_flight_to_one_host_never_exceeds_the_limits_from_every_loop(Vertx vertx, VertxTestContext tc) {
    int maxInFlight = 2;
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up).setMaxPerHost(maxInFlight).setMaxInFlight(maxInFlight));
    List<Future<FetchReply>> calls = new ArrayList<>();
    for (int c = 0; c < 6; c++) {
      calls.add(onNewContext(vertx, () -> engine.fetch(FetchRequest.of(urls(up, 10, "delay_ms=20")).concurrency(10))));
    }
    Future.all(calls).map(all -> {
      for (Future<FetchReply> f : calls) {
        assertThat(f.result().succeeded()).isEqualTo(10);
      }
      assertThat(up.maxActiveRequests()).as("in flight at once, all calls and shards").isEqualTo(maxInFlight);
      return all;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void cancelling_a_call_resets_the_connections_of_every_shard(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up));
    int shards = engine.stats().getInteger("shards");
    int n = 3 * shards;
    CancelScope scope = CancelScope.create(vertx);
    Future<FetchReply> call = engine.fetch(FetchRequest.of(urls(up, n, "fault=hang")).concurrency(n), scope);
    Fixture.eventually(vertx, 10_000, () -> up.activeRequests() == n, () -> "upstream serves " + up.activeRequests() + " of " + n)
      .map(v -> {
        JsonArray placed = engine.stats().getJsonArray("shardRequests");
        for (int i = 0; i < shards; i++) {
          assertThat(placed.getInteger(i)).as("hanging requests on shard " + i + " of " + placed).isPositive();
        }
        scope.cancel("test: the caller went away");
        return v;
      })
      .compose(v -> call.transform((io.vertx.core.AsyncResult<FetchReply> ar) -> {
        assertThat(ar.failed()).isTrue();
        assertThat(ar.cause().getMessage()).contains("call cancelled");
        scope.close();
        return Future.succeededFuture();
      }))
      .compose(v -> Fixture.eventually(vertx, 5_000, () -> up.activeRequests() == 0 && up.openConnections() == 0,
        () -> "upstream still serves " + up.activeRequests() + ", " + up.openConnections() + " connections open"))
      .map(v -> {
        assertThat(up.connectionsClosed()).as("every hanging request's socket was closed by the engine").isEqualTo(n);
        JsonObject s = engine.stats();
        assertThat(s.getJsonArray("shardRequests").stream().allMatch(x -> ((Integer) x) == 0)).as(s.encode()).isTrue();
        return v;
      })
      .compose(v -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_lost_race_cancels_the_losers_on_other_shards_before_the_reply(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up));
    int shards = engine.stats().getInteger("shards");
    List<String> urls = new ArrayList<>(urls(up, 2 * shards, "fault=hang"));
    urls.add(up.baseUrl() + "/item/99?delay_ms=200");
    engine.fetch(FetchRequest.of(urls).mode(FetchMode.ANY).concurrency(urls.size())).map((FetchReply reply) -> {
      assertThat(reply.winner()).isEqualTo(urls.size() - 1);
      for (int i = 0; i < urls.size() - 1; i++) {
        assertThat(reply.results().get(i).error()).as("loser " + i + " has its result in the reply").isEqualTo(FetchErrorCode.CANCELLED);
      }
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void one_shard_keeps_everything_on_the_engine_loop(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(up).setShards(1).setMaxPerHost(2));
    assertThat(engine.stats().getInteger("shards")).isEqualTo(1);
    engine.fetch(FetchRequest.of(urls(up, 6, "delay_ms=20")).concurrency(6)).map((FetchReply reply) -> {
      assertThat(reply.succeeded()).isEqualTo(6);
      assertThat(up.connectionsAccepted()).as("one pool of maxPerHost connections").isEqualTo(2);
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, up)).onComplete(tc.succeedingThenComplete());
  }
}
