package dev.loopkit.http.impl;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Locale;

/**
 * The routes bridged to event-bus services. For each request:
 *
 * <ul>
 *   <li><b>Budget.</b> {@code loopkit-timeout-ms} (1–18 ASCII digits, given at most once) shortens
 *   {@code requestTimeoutMs}; malformed: 400; {@code 0} or less: 504 without work.</li>
 *   <li><b>Request id.</b> The front draws its own unpredictable id ({@link FrontIds}) for every request,
 *   sends it as the message's {@code loopkit-request-id} and returns it in the response header of the same
 *   name. A {@code loopkit-request-id} sent by the HTTP client is ignored: no client can choose an id,
 *   so none can collide with, or cancel, another client's work.</li>
 *   <li><b>Client gone.</b> The request is cancelled (the service gets a cancel notice).</li>
 *   <li><b>Answer.</b> The reply as JSON within {@code maxReplyBytes} (else 413); a failure as the HTTP
 *   status of its {@link FailureCode} with {@code {"code", "error", "message"}}.</li>
 *   <li><b>{@code POST /fetch}.</b> The body is a JSON object within {@code maxJsonDepth} and
 *   {@code maxJsonValues}; no field naming an event-bus address ({@code progressAddress}, any field whose
 *   name ends in {@code address}) is accepted over HTTP (400). With {@code Accept: application/x-ndjson}
 *   the results are streamed as they complete ({@link FetchStream}).</li>
 * </ul>
 */
public final class Bridge {

  /** The streaming media type of {@code POST /fetch}. */
  public static final String NDJSON = "application/x-ndjson";

  private final Vertx vertx;
  private final HttpFrontOptions options;
  private final Connections connections;

  public Bridge(Vertx vertx, HttpFrontOptions options, Connections connections) {
    this.vertx = vertx;
    this.options = options;
    this.connections = connections;
  }

  /**
   * {@code GET|HEAD /blocking}; {@code ?scope=node|cluster} asks for this node's report or every cluster
   * node's (sent as {@code {"scope": …}}; the checker validates it: 400 naming {@code body.scope}).
   */
  public void blocking(RoutingContext rc) {
    Call call = start(rc, options.getBlockingReportAddress());
    if (call != null) {
      String scope = rc.request().getParam("scope");
      call.reply(scope == null ? new JsonObject() : new JsonObject().put("scope", scope));
    }
  }

  /** {@code POST /fetch}. */
  public void fetch(RoutingContext rc) {
    Buffer raw = body(rc.request());
    JsonObject body;
    try {
      body = BoundedJson.parseObject(raw == null ? Buffer.buffer() : raw, options.getMaxJsonDepth(), options.getMaxJsonValues());
    } catch (BoundedJson.Refused e) {
      Answers.error(rc.response(), FailureCode.BAD_REQUEST, e.getMessage());
      return;
    }
    for (String field : body.fieldNames()) {
      if (field.toLowerCase(Locale.ROOT).endsWith("address")) {
        Answers.error(rc.response(), FailureCode.BAD_REQUEST, "body." + LogValues.safe(field, 60)
          + ": not accepted over HTTP (it names an event-bus address); to receive each result as it completes, "
          + "send \"Accept: " + NDJSON + "\" and read one JSON line per result");
        return;
      }
    }
    boolean stream = wantsNdjson(rc.request());
    Call call = start(rc, options.getFetchAddress());
    if (call == null) {
      return;
    }
    if (stream) {
      new FetchStream(vertx, options, call).start(body);
    } else {
      call.reply(body);
    }
  }

  private Buffer body(HttpServerRequest req) {
    Connections.Conn conn = connections.of(req.connection());
    return conn == null ? null : conn.takeBody();
  }

  static boolean wantsNdjson(HttpServerRequest req) {
    for (String accept : req.headers().getAll("accept")) {
      if (accept.toLowerCase(Locale.ROOT).contains(NDJSON)) {
        return true;
      }
    }
    return false;
  }

  /** @return the call, or null when the request was already answered (bad budget header, budget spent) */
  private Call start(RoutingContext rc, String address) {
    Deadline deadline = Deadline.in(options.getRequestTimeoutMs());
    List<String> budgets = rc.request().headers().getAll(Headers.TIMEOUT_MS);
    String budget = null;
    if (!budgets.isEmpty()) {
      budget = budgets.get(0);
      if (budgets.size() > 1) {
        Answers.error(rc.response(), FailureCode.BAD_REQUEST, "header " + Headers.TIMEOUT_MS + " given " + budgets.size()
          + " times; give it once");
        return null;
      }
      try {
        deadline = deadline.shorten(Headers.parseMillis(budget));
      } catch (NumberFormatException e) {
        Answers.error(rc.response(), FailureCode.BAD_REQUEST, "header " + Headers.TIMEOUT_MS
          + " must be an integer number of milliseconds in ASCII digits, got " + LogValues.quote(budget));
        return null;
      }
    }
    if (deadline.expired()) {
      Answers.error(rc.response(), FailureCode.TIMEOUT, "header " + Headers.TIMEOUT_MS + ": budget already spent, request shed");
      return null;
    }
    String requestId = FrontIds.next();
    rc.response().putHeader(Headers.REQUEST_ID, requestId);
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.getRequestTimeoutMs())
      .addHeader(Headers.REQUEST_ID, requestId);
    CancelScope scope = CancelScope.withDeadline(vertx, deadline);
    Connections.Conn conn = connections.of(rc.request().connection());
    Registration gone = conn == null ? Registration.NONE : conn.whenClosed(() -> scope.cancel("HTTP client closed the connection"));
    scope.onClose(gone::remove);
    return new Call(rc, address, budget, requestId, scope, delivery, conn);
  }

  /** One bridged request: where it goes, its scope and delivery options. */
  final class Call {
    final RoutingContext rc;
    final String address;
    final String budget;
    final String requestId;
    final CancelScope scope;
    final DeliveryOptions delivery;
    final Connections.Conn conn;

    Call(RoutingContext rc, String address, String budget, String requestId, CancelScope scope, DeliveryOptions delivery,
         Connections.Conn conn) {
      this.conn = conn;
      this.rc = rc;
      this.address = address;
      this.budget = budget;
      this.requestId = requestId;
      this.scope = scope;
      this.delivery = delivery;
    }

    /** Sends {@code body}; the scope is closed when the reply (or failure) arrives. */
    Future<Message<Object>> send(JsonObject body) {
      return BusRequest.<Object>request(scope, address, body, delivery).andThen(ar -> scope.close());
    }

    /** Sends {@code body} and answers with the reply (or the failure). */
    void reply(JsonObject body) {
      send(body).onComplete(ar -> {
        if (rc.response().closed() || rc.response().ended()) {
          return;
        }
        if (ar.succeeded()) {
          Answers.json(rc.response(), ar.result().body(), options.getMaxReplyBytes());
        } else {
          fail(ar.cause());
        }
      });
    }

    /** Answers the failure {@code cause} as its HTTP status. */
    void fail(Throwable cause) {
      Answers.error(rc.response(), failureCode(cause), failureMessage(cause), null);
    }

    int failureCode(Throwable cause) {
      return FailureCode.of(cause).code();
    }

    String failureMessage(Throwable cause) {
      if (cause instanceof CancelledException && ((CancelledException) cause).deadline()) {
        return "no reply from '" + address + "' within the request's budget ("
          + (budget != null ? Headers.TIMEOUT_MS + ": " + LogValues.safe(budget.trim(), 20) + " ms"
          : "http.requestTimeoutMs: " + options.getRequestTimeoutMs() + " ms") + ")";
      }
      if (cause instanceof ReplyException && ((ReplyException) cause).failureType() != ReplyFailure.RECIPIENT_FAILURE) {
        return "'" + address + "': " + cause.getMessage();
      }
      return String.valueOf(cause.getMessage());
    }
  }
}
