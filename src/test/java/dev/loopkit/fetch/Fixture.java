package dev.loopkit.fetch;

import dev.loopkit.async.LiveResources;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.timeout.CancelNotices;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Real parts for fetch tests: a demo upstream on a loopback address, engines allowed to reach it, leak checks. */
final class Fixture {

  private Fixture() {
  }

  static Future<DemoUpstreamVerticle> upstream(Vertx vertx) {
    return upstream(vertx, "127.0.0.1");
  }

  static Future<DemoUpstreamVerticle> upstream(Vertx vertx, String host) {
    DemoUpstreamVerticle u = new DemoUpstreamVerticle();
    return vertx.deployVerticle(u, new DeploymentOptions().setConfig(new JsonObject().put("host", host).put("port", 0)))
      .map(id -> u);
  }

  /** Options that allow exactly {@code u} (host:port). */
  static FetchOptions allowing(DemoUpstreamVerticle u) {
    return new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + u.actualPort()));
  }

  /** Polls {@code condition} every 5 ms (on timers, never sleeping) until true or {@code timeoutMs}. */
  static Future<Void> eventually(Vertx vertx, long timeoutMs, BooleanSupplier condition, Supplier<String> state) {
    Promise<Void> p = Promise.promise();
    long until = System.nanoTime() + timeoutMs * 1_000_000L;
    poll(vertx, condition, state, until, p);
    return p.future();
  }

  private static void poll(Vertx vertx, BooleanSupplier condition, Supplier<String> state, long until, Promise<Void> p) {
    if (condition.getAsBoolean()) {
      p.complete();
    } else if (System.nanoTime() - until > 0) {
      p.fail(new AssertionError("condition not met in time: " + state.get()));
    } else {
      vertx.setTimer(5, t -> poll(vertx, condition, state, until, p));
    }
  }

  /**
   * Everything a call held is released: loopkit's live counters are zero (scopes, timers, HTTP requests,
   * calls), the engine has nothing in flight or queued, the upstreams serve nothing, and every connection
   * the upstreams still see is one the engine keeps pooled.
   */
  static Future<Void> released(Vertx vertx, FetchEngine engine, DemoUpstreamVerticle... ups) {
    LiveResources live = LiveResources.of(vertx);
    return eventually(vertx, 3_000, () -> {
      JsonObject s = engine.stats();
      return callCountersZero(live) && s.getInteger("calls") == 0 && s.getInteger("inFlight") == 0 && s.getInteger("queued") == 0
        && s.getInteger("hosts") == 0 && active(ups) == 0 && open(ups) == s.getInteger("connections")
        && CancelNotices.watching(vertx) == 0;
    }, () -> "live=" + live + " engine=" + engine.stats() + " upstreams open=" + open(ups)
      + " active=" + active(ups) + " watching=" + CancelNotices.watching(vertx));
  }

  /**
   * Every per-call counter is zero. The one cancel-notice consumer a deployed verticle holds from start to
   * stop ({@code cancelNotices.consumers}) is infrastructure, not a call's: at most one may remain.
   */
  static boolean callCountersZero(LiveResources live) {
    return live.snapshot().entrySet().stream().allMatch(e -> e.getKey().equals("cancelNotices.consumers")
      ? e.getValue() <= 1
      : e.getValue() == 0);
  }

  /** {@link #released}, then the engine closes and the upstreams see no connection left. */
  static Future<Void> releasedAndClosed(Vertx vertx, FetchEngine engine, DemoUpstreamVerticle... ups) {
    return released(vertx, engine, ups)
      .compose(v -> engine.close())
      .compose(v -> eventually(vertx, 3_000, () -> open(ups) == 0,
        () -> "upstreams still see " + open(ups) + " open connections after engine close"));
  }

  static long open(DemoUpstreamVerticle... ups) {
    long n = 0;
    for (DemoUpstreamVerticle u : ups) {
      n += u.openConnections();
    }
    return n;
  }

  static long active(DemoUpstreamVerticle... ups) {
    long n = 0;
    for (DemoUpstreamVerticle u : ups) {
      n += u.activeRequests();
    }
    return n;
  }
}
