package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.dns.AddressResolverOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SSRF rules against real servers. Every address used is loopback: a "forbidden" upstream listens on
 * 127.0.0.2 (outside every allowlist here) and must see zero connections; host names come from an in-memory
 * hosts file, and the DNS server is set to 127.0.0.1:1, so no packet ever leaves the machine.
 */
@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
@DisplayName("SSRF: allow/deny lists, protected ranges, resolved addresses, every redirect hop")
class FetchSecurityTest {

  private Vertx vertx;
  private DemoUpstreamVerticle good;
  private DemoUpstreamVerticle forbidden;

  @BeforeEach
  void setUp(VertxTestContext tc) {
    AddressResolverOptions dns = new AddressResolverOptions()
      .setHostsValue(Buffer.buffer("127.0.0.1 good.test\n127.0.0.2 rebind.test\n127.0.0.2 other.test\n"))
      .setServers(List.of("127.0.0.1:1"))
      .setQueryTimeout(500);
    vertx = Vertx.vertx(new VertxOptions().setAddressResolverOptions(dns));
    Fixture.upstream(vertx).compose(u -> {
      good = u;
      return Fixture.upstream(vertx, "127.0.0.2");
    }).onComplete(tc.succeeding(f -> {
      forbidden = f;
      tc.completeNow();
    }));
  }

  @AfterEach
  void tearDown(VertxTestContext tc) {
    assertThat(forbidden.connectionsAccepted()).as("the forbidden upstream on 127.0.0.2 was never reached").isZero();
    vertx.close().onComplete(v -> tc.completeNow());
  }

  private String goodPort() {
    return Integer.toString(good.actualPort());
  }

  private String badPort() {
    return Integer.toString(forbidden.actualPort());
  }

  private FetchResult single(FetchReply reply) {
    return reply.results().get(0);
  }

  @Test
  void an_address_outside_the_allowlist_is_refused_before_any_connection(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(good));
    engine.fetch(FetchRequest.of("http://127.0.0.2:" + badPort() + "/item/1")).transform((AsyncResult<FetchReply> ar) -> {
      assertThatFailure(ar.cause()).failedWith(FailureCode.FORBIDDEN).messageContains("urls[0]", "127.0.0.2", "not in allowedHosts");
      return engine.close();
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_redirect_to_a_forbidden_host_is_refused_on_that_hop(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(good));
    String to = "http://127.0.0.2:" + badPort() + "/item/7";
    engine.fetch(FetchRequest.of(good.baseUrl() + "/item/1?redirect_to=" + to)).map((FetchReply reply) -> {
      FetchResult r = single(reply);
      assertThat(r.error()).isEqualTo(FetchErrorCode.FORBIDDEN_HOST);
      assertThat(r.message()).contains("redirect 1", "127.0.0.2");
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, good)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_redirect_to_an_unsupported_scheme_is_an_invalid_url(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, Fixture.allowing(good));
    engine.fetch(FetchRequest.of(good.baseUrl() + "/item/1?redirect_to=file:///etc/passwd")).map((FetchReply reply) -> {
      assertThat(single(reply).error()).isEqualTo(FetchErrorCode.INVALID_URL);
      assertThat(single(reply).message()).contains("unsupported scheme \"file\"");
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, good)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_name_allowed_by_a_wildcard_that_resolves_to_loopback_is_refused(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setAllowedHosts(List.of("*.test")));
    engine.fetch(FetchRequest.of("http://rebind.test:" + badPort() + "/item/1")).map((FetchReply reply) -> {
      FetchResult r = single(reply);
      assertThat(r.error()).as("checked on the resolved address: %s", r.message()).isEqualTo(FetchErrorCode.FORBIDDEN_HOST);
      assertThat(r.message()).contains("resolved to 127.0.0.2", "loopback");
      return reply;
    }).compose(r -> engine.close()).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_denied_address_is_refused_whatever_name_resolves_to_it(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions()
      .setAllowedHosts(List.of("rebind.test", "good.test:" + goodPort()))
      .setDeniedHosts(List.of("127.0.0.2/32")));
    engine.fetch(FetchRequest.of("http://rebind.test:" + badPort() + "/item/1", "http://good.test:" + goodPort() + "/echo")).map((FetchReply reply) -> {
      assertThat(reply.results().get(0).error()).isEqualTo(FetchErrorCode.FORBIDDEN_HOST);
      assertThat(reply.results().get(0).message()).contains("deniedHosts entry \"127.0.0.2/32\"");
      FetchResult echo = reply.results().get(1);
      assertThat(echo.ok()).as("%s", echo).isTrue();
      JsonObject seen = (JsonObject) echo.json();
      assertThat(seen.getJsonObject("headers").getString("host")).as("the Host header keeps the name")
        .isEqualTo("good.test:" + goodPort());
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, good)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_redirect_through_a_name_is_checked_on_its_resolved_address(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions()
      .setAllowedHosts(List.of("good.test:" + goodPort(), "*.test")));
    String to = "http://other.test:" + badPort() + "/item/2";
    engine.fetch(FetchRequest.of("http://good.test:" + goodPort() + "/item/1?redirect_to=" + to)).map((FetchReply reply) -> {
      assertThat(single(reply).error()).isEqualTo(FetchErrorCode.FORBIDDEN_HOST);
      assertThat(single(reply).message()).contains("resolved to 127.0.0.2");
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, good)).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_star_allowlist_still_refuses_loopback_link_local_metadata_and_unspecified(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setAllowedHosts(List.of("*")).setDeniedHosts(List.of("*.evil.test")));
    List<String> refused = List.of("http://127.0.0.2:" + badPort() + "/", "http://169.254.169.254/latest/meta-data/",
      "http://[fe80::1]/", "http://0.0.0.0:" + badPort() + "/", "http://[::ffff:127.0.0.2]:" + badPort() + "/",
      "http://100.100.100.200/", "http://a.evil.test/", "http://[fd00:ec2::254]/");
    Future<Void> chain = Future.succeededFuture();
    for (String url : refused) {
      chain = chain.compose(v -> engine.fetch(FetchRequest.of(url)).transform((AsyncResult<FetchReply> ar) -> {
        assertThat(ar.failed()).as("%s must be refused", url).isTrue();
        assertThatFailure(ar.cause()).failedWith(FailureCode.FORBIDDEN);
        return Future.<Void>succeededFuture();
      }));
    }
    chain.compose(v -> engine.close()).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void authorization_is_dropped_on_a_cross_origin_redirect_and_kept_on_the_same_origin(VertxTestContext tc) {
    FetchEngine engine = FetchEngine.create(vertx, new FetchOptions()
      .setAllowedHosts(List.of("127.0.0.1:" + goodPort(), "good.test:" + goodPort())));
    String cross = "http://good.test:" + goodPort() + "/echo";
    FetchRequest req = new FetchRequest()
      .add(FetchRequest.Item.get(good.baseUrl() + "/item/1?redirect_to=" + cross).header("authorization", "Bearer s3cret"))
      .add(FetchRequest.Item.get(good.baseUrl() + "/item/1?redirect_to=/echo").header("authorization", "Bearer s3cret"));
    engine.fetch(req).map((FetchReply reply) -> {
      JsonObject crossSeen = (JsonObject) reply.results().get(0).json();
      assertThat(crossSeen.getJsonObject("headers").containsKey("authorization")).as("dropped for another origin").isFalse();
      JsonObject sameSeen = (JsonObject) reply.results().get(1).json();
      assertThat(sameSeen.getJsonObject("headers").getString("authorization")).isEqualTo("Bearer s3cret");
      return reply;
    }).compose(r -> Fixture.releasedAndClosed(vertx, engine, good)).onComplete(tc.succeedingThenComplete());
  }
}
