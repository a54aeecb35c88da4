package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.bus.Replies;
import dev.loopkit.bus.ServedAddresses;
import dev.loopkit.config.ConfiguredVerticle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Guards event-bus services with a deadline that travels across hops: for each configured
 * {@link RouteOptions route}, callers send to {@code address}; the verticle forwards to {@code target}
 * through a {@link RouteGuard} (budget propagation, retries or hedging inside the budget, circuit breaker,
 * cancel notices) and answers exactly once:
 *
 * <ul>
 *   <li>the target's reply (body and headers), when it comes in time;</li>
 *   <li>{@code 504} ({@link FailureCode#TIMEOUT}) at the deadline — the earlier of the route's
 *   {@code timeoutMs} and the caller's {@code loopkit-timeout-ms} budget; at once, without calling the
 *   target, when that budget is already spent ({@code 0} or less) or below the route's
 *   {@code minAttemptMs};</li>
 *   <li>{@code 503} ({@link FailureCode#UNAVAILABLE}) when the circuit is open (nothing sent) or nobody
 *   consumes the target;</li>
 *   <li>the target's own failure, code and message unchanged, when it is not retried;</li>
 *   <li>{@code 400} when the budget header is not an integer of ASCII digits (or, on the generic address,
 *   the body is not {@code {"route", "body"}}), {@code 404} for an unknown route;</li>
 *   <li>the route's {@code fallback} body, with header {@value #FALLBACK_HEADER} set to the code it
 *   replaces, instead of a failure listed in {@code fallbackOn}.</li>
 * </ul>
 *
 * Addresses: each route's {@code address}; {@link TimeoutOptions#getAddress() address} (default
 * {@value TimeoutOptions#DEFAULT_ADDRESS}) takes {@code {"route": "<route address>", "body": ...}};
 * {@link TimeoutOptions#getStatsAddress() statsAddress} (default
 * {@value TimeoutOptions#DEFAULT_STATS_ADDRESS}) answers {@code {"routes": {"<address>": {stats}}}} (or
 * one route's stats for {@code {"route": "<address>"}}), each with the {@code node} that answered
 * ({@code {"id", "name"}}: clustered, one of the nodes running this verticle answers); circuit state changes are published on each
 * breaker's {@code notificationAddress} (default {@value BreakerOptions#DEFAULT_NOTIFICATION_ADDRESS}).
 *
 * <p>Instances of one deployment share each route's guard (one breaker and one retry budget per route).
 * The verticle holds a {@link CancelNotices#listen listener}, so a caller that gives up (its
 * {@code BusRequest} publishes a cancel notice) stops the guarded call, which in turn tells its target.
 * {@link LiveResources} counts the verticle's consumers under {@value #CONSUMERS}.
 *
 * <p>What a caller sends can only reach configured routes: {@code route} fields are looked up among the
 * configured route addresses (never used as an address), anything else is answered 404; the caller's
 * {@code loopkit-request-id} and {@code loopkit-timeout-ms} are never forwarded (each attempt carries its
 * own). Caller-chosen values echoed in failure messages are cut and escaped ({@link LogValues}). Every
 * address the verticle serves is registered in {@link ServedAddresses} while it runs, so no address-valued
 * field elsewhere can point at it.
 */
public class TimeoutVerticle extends VerticleBase implements ConfiguredVerticle {

  /** Header set on a fallback reply: the failure code the fallback replaced (e.g. {@code "504"}). */
  public static final String FALLBACK_HEADER = "loopkit-fallback";
  /** {@link LiveResources} counter of the event-bus consumers registered by running TimeoutVerticles. */
  public static final String CONSUMERS = "timeout.consumers";

  private static final Map<String, Shared> SHARED = new HashMap<>();

  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private TimeoutOptions options;
  private Shared shared;
  private Registration notices = Registration.NONE;
  private final List<Registration> served = new ArrayList<>();

  public TimeoutVerticle() {
  }

  /** A verticle with these options instead of its {@code config()}. */
  public TimeoutVerticle(TimeoutOptions options) {
    this.options = new TimeoutOptions(options);
  }

  @Override
  public void checkConfig(JsonObject config) {
    new TimeoutOptions(config);
  }

  @Override
  public Future<?> start() {
    if (options == null) {
      options = new TimeoutOptions(config());
    }
    shared = acquire(context.deploymentID(), options);
    notices = CancelNotices.listen(vertx);
    List<Future<?>> registered = new ArrayList<>();
    for (Route route : shared.routes.values()) {
      registered.add(register(route.guard.options().getAddress(), msg -> serve(route, msg, msg.body())));
    }
    registered.add(register(options.getAddress(), this::serveGeneric));
    registered.add(register(options.getStatsAddress(), this::serveStats));
    registered.add(CancelNotices.ready(vertx));
    return Future.all(registered);
  }

  @Override
  public Future<?> stop() {
    List<Future<?>> done = new ArrayList<>();
    for (MessageConsumer<?> c : consumers) {
      LiveResources.of(vertx).decrement(CONSUMERS);
      done.add(c.unregister());
    }
    consumers.clear();
    served.forEach(Registration::remove);
    served.clear();
    notices.remove();
    if (shared != null) {
      done.add(release(context.deploymentID()));
      shared = null;
    }
    return Future.join(done);
  }

  @Override
  public String startupLine() {
    StringBuilder sb = new StringBuilder();
    for (RouteOptions r : options.getRoutes()) {
      if (sb.length() > 0) {
        sb.append("; ");
      }
      sb.append(r.getAddress()).append(" → ").append(r.getTarget()).append(" (").append(r.getTimeoutMs()).append(" ms");
      if (r.getRetry() != null) {
        sb.append(", retry ×").append(r.getRetry().getMaxAttempts());
      }
      if (r.getHedge() != null) {
        sb.append(", hedge after ").append(r.getHedge().getDelayMs()).append(" ms");
      }
      if (r.getCircuitBreaker() != null) {
        sb.append(", breaker");
      }
      if (r.getFallback() != null) {
        sb.append(", fallback");
      }
      sb.append(')');
    }
    return "guards " + sb + "; call " + options.getAddress() + ", stats " + options.getStatsAddress();
  }

  /** @return the guard of the route at {@code address} (while deployed), or {@code null} */
  public RouteGuard guard(String address) {
    Shared s = shared;
    Route r = s == null ? null : s.routes.get(address);
    return r == null ? null : r.guard;
  }

  private Future<Void> register(String address, io.vertx.core.Handler<Message<Object>> handler) {
    MessageConsumer<Object> c = vertx.eventBus().consumer(address, Replies.guarded(address, handler));
    consumers.add(c);
    served.add(ServedAddresses.add(vertx, address));
    LiveResources.of(vertx).increment(CONSUMERS);
    return c.completion();
  }

  private void serve(Route route, Message<Object> msg, Object body) {
    RouteOptions o = route.options;
    CancelScope scope = Budget.serve(vertx, msg, o.getTimeoutMs(), 0, true);
    if (scope == null) {
      route.shedOnArrival.increment();
      return;
    }
    route.guard.<Object>call(scope, body, forwarded(msg.headers())).onComplete(ar -> {
      scope.close();
      if (ar.succeeded()) {
        Message<Object> reply = ar.result();
        DeliveryOptions delivery = replyOptions(reply.headers());
        if (delivery == null) {
          msg.reply(reply.body());
        } else {
          msg.reply(reply.body(), delivery);
        }
      } else {
        fail(route, msg, ar.cause());
      }
    });
  }

  private void fail(Route route, Message<Object> msg, Throwable cause) {
    RouteOptions o = route.options;
    String where = "'" + o.getAddress() + "' → '" + o.getTarget() + "'";
    int code;
    String text;
    if (cause instanceof DeadlineExceededException) {
      code = FailureCode.TIMEOUT.code();
      text = cause.getMessage();
    } else if (cause instanceof CancelledException) {
      boolean deadline = ((CancelledException) cause).deadline();
      code = deadline ? FailureCode.TIMEOUT.code() : FailureCode.CANCELLED.code();
      text = where + ": " + cause.getMessage();
    } else if (cause instanceof ReplyException) {
      ReplyException re = (ReplyException) cause;
      if (re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
        code = re.failureCode();
        text = re.getMessage();
      } else if (re.failureType() == ReplyFailure.TIMEOUT) {
        code = FailureCode.TIMEOUT.code();
        text = where + ": " + re.getMessage();
      } else if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        code = FailureCode.UNAVAILABLE.code();
        text = where + ": nobody consumes '" + o.getTarget() + "' (" + re.getMessage() + ")";
      } else {
        code = FailureCode.INTERNAL.code();
        text = where + ": " + re.getMessage();
      }
    } else {
      code = FailureCode.INTERNAL.code();
      text = where + ": unexpected " + cause;
    }
    if (o.getFallback() != null && o.getFallbackOn().matches(cause)) {
      route.fallbacks.increment();
      if (msg.replyAddress() != null) {
        Object fb = o.getFallback();
        fb = fb instanceof JsonObject ? ((JsonObject) fb).copy() : fb instanceof JsonArray ? ((JsonArray) fb).copy() : fb;
        msg.reply(fb, new DeliveryOptions().addHeader(FALLBACK_HEADER, Integer.toString(code)));
      }
      return;
    }
    if (msg.replyAddress() != null) {
      msg.reply(new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, text, false));
    }
  }

  private void serveGeneric(Message<Object> msg) {
    Object body = msg.body();
    if (!(body instanceof JsonObject)) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, "body: '" + options.getAddress()
        + "' takes a JSON object {\"route\": \"<route address>\", \"body\": ...}, got " + describe(body));
      return;
    }
    JsonObject json = (JsonObject) body;
    Object name = json.getValue("route");
    if (!(name instanceof String) || ((String) name).isEmpty()) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, "route: required, the address of a configured route (one of "
        + String.join(", ", shared.routes.keySet()) + "), got " + (name == null ? "nothing" : describe(name)));
      return;
    }
    String unknown = unknownKey(json, "route", "body");
    if (unknown != null) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, LogValues.safe(unknown, LogValues.MAX_CHARS) + ": unknown key; '" + options.getAddress()
        + "' takes {\"route\", \"body\"}");
      return;
    }
    // a name, looked up among the configured routes: never used as an address
    Route route = shared.routes.get(name);
    if (route == null) {
      Replies.fail(msg, FailureCode.NOT_FOUND, "route: no route " + LogValues.quote(name) + "; configured routes: "
        + String.join(", ", shared.routes.keySet()));
      return;
    }
    serve(route, msg, json.getValue("body"));
  }

  private void serveStats(Message<Object> msg) {
    Object body = msg.body();
    if (body != null && !(body instanceof JsonObject)) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, "body: '" + options.getStatsAddress()
        + "' takes nothing or {\"route\": \"<route address>\"}, got " + describe(body));
      return;
    }
    String unknown = body == null ? null : unknownKey((JsonObject) body, "route", null);
    if (unknown != null) {
      Replies.fail(msg, FailureCode.BAD_REQUEST, LogValues.safe(unknown, LogValues.MAX_CHARS) + ": unknown key; '" + options.getStatsAddress()
        + "' takes nothing or {\"route\": \"<route address>\"}");
      return;
    }
    Object name = body == null ? null : ((JsonObject) body).getValue("route");
    if (name != null) {
      if (!(name instanceof String)) {
        Replies.fail(msg, FailureCode.BAD_REQUEST, "route: must be the address of a configured route (one of "
          + String.join(", ", shared.routes.keySet()) + "), got " + describe(name));
        return;
      }
      Route route = shared.routes.get(name);
      if (route == null) {
        Replies.fail(msg, FailureCode.NOT_FOUND, "route: no route " + LogValues.quote(name)
          + "; configured routes: " + String.join(", ", shared.routes.keySet()));
        return;
      }
      msg.reply(route.stats().put("node", ClusterNode.of(vertx).toJson()));
      return;
    }
    JsonObject all = new JsonObject();
    shared.routes.forEach((address, route) -> all.put(address, route.stats()));
    msg.reply(new JsonObject().put("routes", all).put("node", ClusterNode.of(vertx).toJson()));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "no body";
    }
    if (value instanceof String) {
      return "a string " + LogValues.quote(value);
    }
    return "a " + value.getClass().getSimpleName();
  }

  /** @return the first key of {@code json} other than {@code a} and {@code b}, or {@code null} */
  private static String unknownKey(JsonObject json, String a, String b) {
    for (String key : json.fieldNames()) {
      if (!key.equals(a) && !key.equals(b)) {
        return key;
      }
    }
    return null;
  }

  /** The caller's headers minus the budget (the guard sets what is left); the request id is the base id. */
  private static DeliveryOptions forwarded(MultiMap headers) {
    DeliveryOptions d = new DeliveryOptions();
    if (headers != null && !headers.isEmpty()) {
      for (Map.Entry<String, String> h : headers) {
        if (!h.getKey().equalsIgnoreCase(Headers.TIMEOUT_MS)) {
          d.addHeader(h.getKey(), h.getValue());
        }
      }
    }
    return d;
  }

  private static DeliveryOptions replyOptions(MultiMap headers) {
    if (headers == null || headers.isEmpty()) {
      return null;
    }
    DeliveryOptions d = null;
    for (Map.Entry<String, String> h : headers) {
      if (h.getKey().equalsIgnoreCase(Headers.TIMEOUT_MS) || h.getKey().equalsIgnoreCase(Headers.REQUEST_ID)) {
        continue;
      }
      if (d == null) {
        d = new DeliveryOptions();
      }
      d.addHeader(h.getKey(), h.getValue());
    }
    return d;
  }

  private Shared acquire(String deploymentId, TimeoutOptions options) {
    synchronized (SHARED) {
      Shared s = SHARED.get(deploymentId);
      if (s == null) {
        s = new Shared();
        for (RouteOptions r : options.getRoutes()) {
          s.routes.put(r.getAddress(), new Route(r, RouteGuard.create(vertx, r)));
        }
        SHARED.put(deploymentId, s);
      }
      s.instances++;
      return s;
    }
  }

  private static Future<Void> release(String deploymentId) {
    Shared s;
    synchronized (SHARED) {
      s = SHARED.get(deploymentId);
      if (s == null || --s.instances > 0) {
        return Future.succeededFuture();
      }
      SHARED.remove(deploymentId);
    }
    List<Future<Void>> closed = new ArrayList<>();
    for (Route r : s.routes.values()) {
      closed.add(r.guard.close());
    }
    return Future.join(closed).mapEmpty();
  }

  /** The guards of one deployment, shared by its instances. */
  private static final class Shared {
    final Map<String, Route> routes = new LinkedHashMap<>();
    int instances;
  }

  /** A route's guard plus what only the verticle sees (calls shed on arrival, fallbacks). */
  private static final class Route {
    final RouteOptions options;
    final RouteGuard guard;
    final LongAdder shedOnArrival = new LongAdder();
    final LongAdder fallbacks = new LongAdder();

    Route(RouteOptions options, RouteGuard guard) {
      this.options = options;
      this.guard = guard;
    }

    JsonObject stats() {
      return guard.stats().put("shedOnArrival", shedOnArrival.sum()).put("fallbacks", fallbacks.sum());
    }
  }
}
