package dev.loopkit.hostile;

import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.demo.DemoUpstreamVerticle;
import dev.loopkit.fetch.FetchEngine;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs hostile inputs against a deployed fetch verticle one at a time and checks, for each: exactly one
 * reply (counted on the bus, by the reply address of that very request), the expected stable code, an
 * answer within the case's deadline, and nothing leaked afterwards — loopkit's live counters back to zero,
 * the engine with no call, request, queue entry or host state, and every connection the upstreams still
 * see one the engine keeps pooled.
 */
final class FetchCaseRunner {

  /** What a case must get back. */
  record Expect(FailureCode failure, FetchErrorCode item, int itemIndex, int status, String mentions) {

    /** The whole call fails with {@code code}, its message mentioning {@code mentions}. */
    static Expect fails(FailureCode code, String mentions) {
      return new Expect(code, null, 0, 0, mentions);
    }

    /** The call replies; result {@code index} failed with {@code code}. */
    static Expect item(int index, FetchErrorCode code) {
      return new Expect(null, code, index, 0, null);
    }

    static Expect item(FetchErrorCode code) {
      return item(0, code);
    }

    /** The call replies; result 0 is a success with {@code status}. */
    static Expect ok(int status) {
      return new Expect(null, null, 0, status, null);
    }
  }

  /** One hostile input. */
  record Case(String name, RawUpstream.Script upstream, Function<String, JsonObject> request, DeliveryOptions options,
              Expect expect, long deadlineMs) {
  }

  private static final String CASE_HEADER = "x-hostile-case";

  private final Vertx vertx;
  private final String address;
  private final FetchEngine engine;
  private final DemoUpstreamVerticle demo;
  private final Map<String, String> replyAddressOf = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> repliesTo = new ConcurrentHashMap<>();

  FetchCaseRunner(Vertx vertx, String address, FetchEngine engine, DemoUpstreamVerticle demo) {
    this.vertx = vertx;
    this.address = address;
    this.engine = engine;
    this.demo = demo;
    vertx.eventBus().addOutboundInterceptor(this::count);
  }

  private void count(DeliveryContext<Object> dc) {
    String name = dc.message().headers().get(CASE_HEADER);
    if (name != null && address.equals(dc.message().address()) && dc.message().replyAddress() != null) {
      replyAddressOf.put(dc.message().replyAddress(), name);
    }
    String target = dc.message().address();
    String owner = target == null ? null : replyAddressOf.get(target);
    if (owner != null) {
      repliesTo.computeIfAbsent(owner, k -> new AtomicInteger()).incrementAndGet();
    }
    dc.next();
  }

  /** Runs {@code cases} in order; completes with the list of problems (empty: every case held). */
  Future<List<String>> run(List<Case> cases) {
    List<String> problems = new ArrayList<>();
    // one ordinary call first, so that the first case's deadline is not spent loading classes
    JsonObject warmUp = new JsonObject().put("urls", new io.vertx.core.json.JsonArray().add(demo.baseUrl() + "/item/1"));
    Future<Void> chain = vertx.eventBus().request(address, warmUp).<Void>mapEmpty().otherwiseEmpty();
    for (Case c : cases) {
      chain = chain.compose(v -> runOne(c, problems).recover(t -> {
        problems.add(c.name() + ": " + t.getMessage());
        return Future.succeededFuture();
      }));
    }
    return chain.map(v -> problems);
  }

  private Future<Void> runOne(Case c, List<String> problems) {
    Future<RawUpstream> up = c.upstream() == null ? Future.succeededFuture() : RawUpstream.start(vertx, c.upstream());
    return up.compose(raw -> {
      String base = raw != null ? raw.base() : demo.baseUrl();
      DeliveryOptions d = new DeliveryOptions(c.options() == null ? new DeliveryOptions() : c.options())
        .setSendTimeout(Math.max(5_000, c.deadlineMs() * 3)).addHeader(CASE_HEADER, c.name());
      long t0 = System.nanoTime();
      return vertx.eventBus().<JsonObject>request(address, c.request().apply(base), d).transform(ar -> {
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String got = check(c, ar.succeeded() ? ar.result().body() : null, ar.cause());
        System.out.println("hostile " + c.name() + " -> " + (ar.succeeded() ? "reply" : describe(ar.cause())) + " in " + ms + " ms"
          + (got == null ? "" : "  PROBLEM: " + got));
        if (got != null) {
          problems.add(c.name() + ": " + got);
        }
        if (ms > c.deadlineMs()) {
          problems.add(c.name() + ": answered after " + ms + " ms, deadline " + c.deadlineMs() + " ms");
        }
        return released(raw);
      }).compose(v -> {
        int replies = repliesTo.getOrDefault(c.name(), new AtomicInteger()).get();
        if (replies != 1) {
          problems.add(c.name() + ": " + replies + " replies");
        }
        return raw == null ? Future.succeededFuture() : raw.close();
      });
    });
  }

  private static String describe(Throwable t) {
    if (t instanceof ReplyException) {
      ReplyException re = (ReplyException) t;
      String m = String.valueOf(re.getMessage());
      return re.failureType() + " " + re.failureCode() + " " + (m.length() > 160 ? m.substring(0, 160) + "…" : m);
    }
    return String.valueOf(t);
  }

  /** @return what is wrong with the answer, or {@code null} */
  private static String check(Case c, JsonObject reply, Throwable failure) {
    Expect e = c.expect();
    if (e.failure() != null) {
      if (!(failure instanceof ReplyException)) {
        return "expected failure " + e.failure().code() + " but got " + (reply == null ? failure : "a reply " + cut(reply.encode()));
      }
      ReplyException re = (ReplyException) failure;
      if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE || re.failureCode() != e.failure().code()) {
        return "expected " + e.failure().code() + " but got " + describe(re);
      }
      String m = String.valueOf(re.getMessage());
      if (e.mentions() != null && !m.contains(e.mentions())) {
        return "message does not mention '" + e.mentions() + "': " + cut(m);
      }
      if (m.length() > 1_000 || m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0 || m.indexOf('\0') >= 0) {
        return "message not one bounded line (" + m.length() + " chars)";
      }
      return null;
    }
    if (reply == null) {
      return "expected a reply but got " + describe(failure);
    }
    JsonObject r = reply.getJsonArray("results").getJsonObject(e.itemIndex());
    if (e.item() != null) {
      JsonObject err = r.getJsonObject("error");
      if (err == null || !e.item().name().equals(err.getString("code"))) {
        return "expected item " + e.itemIndex() + " " + e.item() + " but got " + cut(r.encode());
      }
      String m = err.getString("message");
      if (m.length() > 1_000 || m.indexOf('\n') >= 0 || m.indexOf('\r') >= 0) {
        return "item message not one bounded line (" + m.length() + " chars)";
      }
      return null;
    }
    if (!Boolean.TRUE.equals(r.getBoolean("ok")) || r.getInteger("status", 0) != e.status()) {
      return "expected item 0 ok " + e.status() + " but got " + cut(r.encode());
    }
    return null;
  }

  private static String cut(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "…" : s;
  }

  /** Nothing of the case is left: counters, engine state, connections (only pooled ones may stay open). */
  private Future<Void> released(RawUpstream raw) {
    LiveResources live = LiveResources.of(vertx);
    return Released.eventually(vertx, 5_000, () -> {
      JsonObject s = engine.stats();
      long open = demo.openConnections() + (raw == null ? 0 : raw.open());
      return Released.zero(live.snapshot()) && s.getInteger("calls") == 0 && s.getInteger("inFlight") == 0
        && s.getInteger("queued") == 0 && s.getInteger("hosts") == 0 && open == s.getInteger("connections");
    }, () -> "live=" + live + " engine=" + engine.stats() + " demo open=" + demo.openConnections()
      + " raw open=" + (raw == null ? "-" : raw.open()));
  }

  /** Options of the verticle under attack: loopback upstreams allowed, small limits so the cases stay fast. */
  static FetchOptions options() {
    return new FetchOptions()
      .setAllowedHosts(List.of("127.0.0.1"))
      .setMaxBodyBytes(64 * 1024)
      .setMaxCallBytes(256 * 1024)
      .setMaxRedirects(3)
      .setMaxRequestsPerCall(50)
      .setKeepAliveTimeoutMs(30_000);
  }
}
