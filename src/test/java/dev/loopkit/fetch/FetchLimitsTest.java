package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
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

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static dev.loopkit.fetch.ReplyAssert.assertItem;
import static dev.loopkit.fetch.ReplyAssert.assertOk;
import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("limits: in flight, per host, per call, bounded queue, max calls, body size, redirects")
class FetchLimitsTest {

  private DemoUpstreamVerticle up;
  private DemoUpstreamVerticle up2;
  private String base;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose(u -> {
      up = u;
      base = u.baseUrl();
      return Fixture.upstream(vertx);
    }).onComplete(tc.succeeding(u2 -> {
      up2 = u2;
      tc.completeNow();
    }));
  }

  private FetchOptions both() {
    return new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + up.actualPort(), "127.0.0.1:" + up2.actualPort()));
  }

  private List<String> delayed(DemoUpstreamVerticle u, int n, int delayMs) {
    return IntStream.range(0, n).mapToObj(i -> u.baseUrl() + "/item/" + i + "?delay_ms=" + delayMs).toList();
  }

  private Future<Void> clean(Vertx vertx, FetchEngine engine) {
    return Fixture.releasedAndClosed(vertx, engine, up, up2);
  }

  @Test
  void per_call_concurrency_is_what_the_upstream_sees(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both());
    engine.fetch(FetchRequest.of(delayed(up, 8, 60)).concurrency(2)).map((FetchReply reply) -> {
      assertThat(reply.succeeded()).isEqualTo(8);
      assertThat(up.maxActiveRequests()).as("concurrency 2").isEqualTo(2);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void per_host_limit_holds_and_does_not_block_other_hosts(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(2).setMaxInFlight(10));
    List<String> urls = new java.util.ArrayList<>(delayed(up, 6, 100));
    urls.addAll(delayed(up2, 2, 10));
    long t0 = System.nanoTime();
    engine.fetch(FetchRequest.of(urls).concurrency(8)).map((FetchReply reply) -> {
      assertThat(reply.succeeded()).isEqualTo(8);
      assertThat(up.maxActiveRequests()).as("maxPerHost 2").isEqualTo(2);
      FetchResult other = reply.results().get(6);
      assertThat(other.elapsedMs()).as("host 2 is not stuck behind host 1's queue").isLessThan(100);
      // with several shards the requests reach the limiter in about input order, not exactly: the one that
      // waited longest, whichever it is, waited about two rounds of host 1's two slots
      FetchResult queued = reply.results().subList(0, 6).stream()
        .max(java.util.Comparator.comparingDouble(FetchResult::queueMs)).orElseThrow();
      assertThat(queued.queueMs()).as("the last request of host 1 to get a slot waited about two rounds").isGreaterThan(150);
      assertThat(queued.elapsedMs()).isGreaterThanOrEqualTo(queued.queueMs());
      assertThat((System.nanoTime() - t0) / 1_000_000).isGreaterThanOrEqualTo(290);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void global_limit_holds_across_hosts(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(3).setMaxInFlight(3));
    List<String> urls = new java.util.ArrayList<>(delayed(up, 6, 60));
    urls.addAll(delayed(up2, 6, 60));
    int[] maxSeen = {0};
    long sampler = vertx.setPeriodic(2, t -> maxSeen[0] = (int) Math.max(maxSeen[0], up.activeRequests() + up2.activeRequests()));
    engine.fetch(FetchRequest.of(urls).concurrency(12)).map((FetchReply reply) -> {
      vertx.cancelTimer(sampler);
      assertThat(reply.succeeded()).isEqualTo(12);
      assertThat(maxSeen[0]).as("never more than maxInFlight at both upstreams together").isBetween(1, 3);
      assertThat(up.maxActiveRequests() + up2.maxActiveRequests()).isGreaterThanOrEqualTo(3);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_full_queue_refuses_at_once_with_overloaded(Vertx vertx, VertxTestContext tc) {
    // one shard: the five reach the limiter in input order, so 3 and 4 are the refused ones
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(1).setMaxInFlight(1).setMaxQueue(2).setShards(1));
    engine.fetch(FetchRequest.of(delayed(up, 5, 80)).concurrency(5)).map((FetchReply reply) -> {
      JsonArray rs = reply.toJson().getJsonArray("results");
      assertOk(rs.getJsonObject(0), 200);
      assertOk(rs.getJsonObject(1), 200);
      assertOk(rs.getJsonObject(2), 200);
      assertItem(rs.getJsonObject(3), FetchErrorCode.OVERLOADED);
      assertItem(rs.getJsonObject(4), FetchErrorCode.OVERLOADED);
      assertThat(rs.getJsonObject(3).getDouble("elapsedMs")).as("refused at once, not after waiting").isLessThan(50.0);
      assertThat(rs.getJsonObject(2).getDouble("queueMs")).as("waited for two requests before it").isGreaterThan(120.0);
      assertThat(up.maxActiveRequests()).isEqualTo(1);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_full_queue_refuses_exactly_the_excess_across_shards(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(1).setMaxInFlight(1).setMaxQueue(2));
    engine.fetch(FetchRequest.of(delayed(up, 5, 80)).concurrency(5)).map((FetchReply reply) -> {
      long refused = reply.results().stream().filter((FetchResult r) -> r.error() == FetchErrorCode.OVERLOADED).count();
      assertThat(reply.succeeded()).as("one on the wire, two waiting").isEqualTo(3);
      assertThat(refused).as("the rest refused at once").isEqualTo(2);
      assertThat(up.maxActiveRequests()).isEqualTo(1);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_call_arriving_when_nothing_can_start_or_wait_is_refused_503(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxPerHost(1).setMaxInFlight(1).setMaxQueue(0));
    Future<FetchReply> first = engine.fetch(FetchRequest.of(base + "/item/1?delay_ms=200"));
    Fixture.eventually(vertx, 3_000, () -> up.activeRequests() == 1, () -> "active=" + up.activeRequests())
      .compose(v -> engine.fetch(FetchRequest.of(base + "/item/2")))
      .transform(ar -> {
        assertThatFailure(ar.cause()).failedWith(FailureCode.UNAVAILABLE).messageContains("overloaded", "maxQueue 0");
        return first;
      })
      .map(reply -> {
        assertThat(reply.succeeded()).isEqualTo(1);
        return reply;
      })
      .compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void calls_beyond_max_calls_are_refused_503(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxCalls(1));
    Future<FetchReply> first = engine.fetch(FetchRequest.of(base + "/item/1?delay_ms=100"));
    engine.fetch(FetchRequest.of(base + "/item/2")).transform((AsyncResult<FetchReply> ar) -> {
      assertThatFailure(ar.cause()).failedWith(FailureCode.UNAVAILABLE).messageContains("maxCalls (1)");
      return first;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_body_over_the_cap_is_refused_from_its_content_length_without_reading_it(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxBodyBytes(64 * 1024));
    engine.fetch(FetchRequest.of(base + "/item/1?bytes=50000000", base + "/item/2?bytes=65536")).map((FetchReply reply) -> {
      JsonObject big = reply.toJson().getJsonArray("results").getJsonObject(0);
      assertItem(big, FetchErrorCode.BODY_TOO_LARGE);
      assertThat(big.getJsonObject("error").getString("message")).contains("content-length 50000000");
      assertThat(reply.results().get(1).ok()).as("exactly at the cap is fine").isTrue();
      assertThat(reply.results().get(1).body().length()).isEqualTo(65536);
      assertThat(up.bytesSent()).as("the 50 MB body was not drained").isLessThan(20_000_000L);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_head_request_is_not_judged_by_the_content_length_it_announces(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxBodyBytes(64 * 1024));
    engine.fetch(new FetchRequest().add(FetchRequest.Item.get(base + "/item/1?bytes=1000000").method("HEAD"))).map((FetchReply reply) -> {
      FetchResult r = reply.results().get(0);
      assertThat(r.ok()).as("%s", r).isTrue();
      assertThat(r.headers().get("content-length")).isEqualTo("1000000");
      assertThat(r.body()).isNull();
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_chunked_body_over_the_cap_resets_the_connection_mid_stream(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxBodyBytes(64 * 1024));
    engine.fetch(FetchRequest.of(base + "/item/1?bytes=200000000&chunked=true&type=text")).map((FetchReply reply) -> {
      FetchResult r = reply.results().get(0);
      assertThat(r.error()).isEqualTo(FetchErrorCode.BODY_TOO_LARGE);
      assertThat(r.message()).contains("connection reset");
      assertThat(up.bytesSent()).as("reset, not drained: the upstream stopped far before 200 MB").isLessThan(50_000_000L);
      return reply;
    }).compose(r -> Fixture.eventually(vertx, 2_000, () -> up.openConnections() == 0, () -> "open=" + up.openConnections()))
      .compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void redirects_are_followed_up_to_max_redirects(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxRedirects(3));
    String target = up2.baseUrl() + "/item/9";
    engine.fetch(FetchRequest.of(base + "/item/1?fault=redirect-loop", base + "/item/2?redirect_to=" + target)).map((FetchReply reply) -> {
      JsonArray rs = reply.toJson().getJsonArray("results");
      assertItem(rs.getJsonObject(0), FetchErrorCode.TOO_MANY_REDIRECTS);
      assertThat(rs.getJsonObject(0).getJsonObject("error").getString("message")).contains("maxRedirects (3)");
      JsonObject followed = rs.getJsonObject(1);
      assertOk(followed, 200);
      assertThat(followed.getInteger("redirects")).isEqualTo(1);
      assertThat(followed.getString("finalUrl")).isEqualTo(target);
      assertThat(followed.getJsonObject("json").getInteger("id")).isEqualTo(9);
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void max_redirects_zero_returns_the_3xx_as_it_is(Vertx vertx, VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, both().setMaxRedirects(0));
    engine.fetch(FetchRequest.of(base + "/item/1?fault=redirect-loop")).map((FetchReply reply) -> {
      FetchResult r = reply.results().get(0);
      assertThat(r.error()).isEqualTo(FetchErrorCode.HTTP_STATUS);
      assertThat(r.status()).isEqualTo(302);
      assertThat(r.headers().get("location")).contains("redirect-loop");
      return reply;
    }).compose(r -> clean(vertx, engine)).onComplete(tc.succeedingThenComplete());
  }
}
