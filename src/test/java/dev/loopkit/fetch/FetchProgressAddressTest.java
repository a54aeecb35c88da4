package dev.loopkit.fetch;

import dev.loopkit.async.Registration;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.ServedAddresses;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.MessageConsumer;
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
import java.util.concurrent.atomic.AtomicInteger;

import static dev.loopkit.fetch.ReplyAssert.assertThatFailure;
import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("progressAddress: only addresses under progressAddressPrefix that nothing serves; anything else 400 before any work")
class FetchProgressAddressTest {

  private static final String OWN = "loopkit.progress.fetch-itself";

  private DemoUpstreamVerticle up;
  private FetchVerticle verticle;
  private FetchVerticle custom;
  private String ok;

  @BeforeEach
  void setUp(Vertx vertx, VertxTestContext tc) {
    Fixture.upstream(vertx).compose(u -> {
      up = u;
      ok = u.baseUrl() + "/item/1";
      verticle = new FetchVerticle(Fixture.allowing(u));
      // a verticle whose own address lies under the default prefix: it must still refuse itself
      custom = new FetchVerticle(Fixture.allowing(u).setAddress(OWN).setProgressAddressPrefix("app.progress."));
      return vertx.deployVerticle(verticle).compose(id -> vertx.deployVerticle(custom));
    }).onComplete(tc.succeedingThenComplete());
  }

  private JsonObject call(String progressAddress) {
    return new JsonObject().put("urls", new JsonArray().add(ok)).put("progressAddress", progressAddress);
  }

  @Test
  void reserved_and_foreign_addresses_are_refused_naming_the_field_and_nothing_is_published(Vertx vertx, VertxTestContext tc) {
    List<String> refused = List.of("__vertx.reply.1", "__vertx.x", Addresses.CANCEL, Addresses.FETCH, Addresses.BLOCKING,
      Addresses.BLOCKING_REPORT, "loopkit.progress.taken", "test.progress", "my.app.sink", "loopkit.progress.",
      "loopkit.progress", "loopkit.progress.a b", "loopkit.progress.\nx", "loopkit.progress." + "x".repeat(300), "");
    // another loopkit verticle serving an address under the prefix: reserved too
    Registration taken = ServedAddresses.add(vertx, "loopkit.progress.taken");
    AtomicInteger delivered = new AtomicInteger();
    List<MessageConsumer<Object>> sinks = new ArrayList<>();
    for (String a : refused) {
      // listen where a publish would land (not on addresses that are served: a second consumer there would
      // take requests meant for the server)
      if (!a.isEmpty() && !a.startsWith("__vertx.") && !a.equals(Addresses.FETCH) && !a.equals(Addresses.BLOCKING_REPORT)) {
        sinks.add(vertx.eventBus().consumer(a, m -> delivered.incrementAndGet()));
      }
    }
    List<String> problems = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (String a : refused) {
      chain = chain.compose(v -> vertx.eventBus().request(FetchOptions.DEFAULT_ADDRESS, call(a), new DeliveryOptions().setSendTimeout(5_000))
        .transform(ar -> {
          if (ar.succeeded()) {
            problems.add(a + ": accepted");
          } else {
            try {
              assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_REQUEST).messageContains("progressAddress");
              assertThat(ar.cause().getMessage()).doesNotContain("\n").hasSizeLessThan(400);
            } catch (AssertionError e) {
              problems.add(a.substring(0, Math.min(a.length(), 40)) + ": " + e.getMessage());
            }
          }
          return Future.<Void>succeededFuture();
        }));
    }
    chain.compose(v -> Fixture.released(vertx, verticle.engine(), up))
      .map(v -> {
        assertThat(problems).isEmpty();
        assertThat(delivered.get()).as("nothing published to a refused address").isZero();
        assertThat(up.connectionsAccepted()).as("refused before any work").isZero();
        taken.remove();
        sinks.forEach(MessageConsumer::unregister);
        return v;
      })
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void an_address_under_the_prefix_gets_every_result(Vertx vertx, VertxTestContext tc) {
    List<JsonObject> seen = new ArrayList<>();
    MessageConsumer<JsonObject> sink = vertx.eventBus().consumer("loopkit.progress.http.Zx81", m -> seen.add(m.body()));
    sink.completion()
      .compose(v -> vertx.eventBus().<JsonObject>request(FetchOptions.DEFAULT_ADDRESS,
        call("loopkit.progress.http.Zx81").put("urls", new JsonArray().add(ok).add(ok))))
      .map(reply -> {
        assertThat(seen).hasSize(2);
        assertThat(reply.body().getInteger("succeeded")).isEqualTo(2);
        return reply;
      })
      .compose(v -> sink.unregister())
      .compose(v -> Fixture.released(vertx, verticle.engine(), up))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_configured_prefix_replaces_the_default_and_the_verticles_own_address_stays_refused(Vertx vertx, VertxTestContext tc) {
    List<JsonObject> seen = new ArrayList<>();
    MessageConsumer<JsonObject> sink = vertx.eventBus().consumer("app.progress.1", m -> seen.add(m.body()));
    sink.completion()
      .compose(v -> vertx.eventBus().request(OWN, call("loopkit.progress.x")).transform(ar -> {
        assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_REQUEST).messageContains("progressAddress", "app.progress.");
        return vertx.eventBus().request(OWN, call(OWN));
      }).transform(ar -> {
        assertThatFailure(ar.cause()).failedWith(FailureCode.BAD_REQUEST).messageContains("progressAddress", "reserved");
        return vertx.eventBus().<JsonObject>request(OWN, call("app.progress.1"));
      }))
      .map(reply -> {
        assertThat(seen).hasSize(1);
        return reply;
      })
      .compose(v -> sink.unregister())
      .compose(v -> Fixture.released(vertx, custom.engine(), up))
      .onComplete(tc.succeedingThenComplete());
  }

  @Test
  void the_verticle_registers_its_address_as_served_while_deployed(Vertx vertx, VertxTestContext tc) {
    assertThat(ServedAddresses.isReserved(vertx, OWN)).isTrue();
    FetchVerticle other = new FetchVerticle(Fixture.allowing(up).setAddress("test.fetch.other"));
    vertx.deployVerticle(other)
      .compose(id -> {
        assertThat(ServedAddresses.isReserved(vertx, "test.fetch.other")).isTrue();
        return vertx.undeploy(id);
      })
      .map(v -> {
        assertThat(ServedAddresses.isReserved(vertx, "test.fetch.other")).as("removed on stop").isFalse();
        return v;
      })
      .onComplete(tc.succeedingThenComplete());
  }
}
