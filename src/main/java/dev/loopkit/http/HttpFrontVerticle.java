package dev.loopkit.http;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.Deadline;
import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.bus.BusRequest;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.backends.BackendRegistries;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The application's HTTP front, on {@code http.host:http.port} (127.0.0.1:8080 by default):
 *
 * <ul>
 *   <li>{@code GET /health}: vertx-health-check; UP while every configured verticle is deployed.</li>
 *   <li>{@code GET /metrics}: Prometheus text from vertx-micrometer-metrics (503 when Vert.x runs without
 *   metrics).</li>
 *   <li>{@code GET /blocking}: the blocking checker's report, bridged to {@code http.blockingReportAddress}.</li>
 *   <li>{@code POST /fetch}: the fetch verticle, bridged to {@code http.fetchAddress}; same JSON in and
 *   out.</li>
 * </ul>
 *
 * Bridged requests forward an incoming {@code loopkit-timeout-ms} header as the budget, are cancelled
 * (cancel notice included) when the HTTP client goes away, and map a failed reply to the HTTP status of
 * its {@link FailureCode} with a JSON body {@code {"code", "error", "message"}}.
 */
public class HttpFrontVerticle extends VerticleBase {

  private final HttpFrontOptions options;
  private final Map<String, String> deployments;
  private HttpServer server;

  /**
   * @param deployments name → deployment id of the verticles whose presence {@code /health} checks
   */
  public HttpFrontVerticle(HttpFrontOptions options, Map<String, String> deployments) {
    this.options = new HttpFrontOptions(options);
    this.deployments = new LinkedHashMap<>(deployments);
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.route().handler(BlockingAttribution.routes());
    HealthChecks checks = HealthChecks.create(vertx);
    checks.register("deployments", promise -> {
      JsonObject data = new JsonObject();
      boolean up = true;
      for (Map.Entry<String, String> d : deployments.entrySet()) {
        boolean deployed = vertx.deploymentIDs().contains(d.getValue());
        data.put(d.getKey(), deployed ? "deployed" : "gone");
        up &= deployed;
      }
      promise.complete(up ? Status.OK(data) : Status.KO(data));
    });
    router.get("/health").handler(HealthCheckHandler.createWithHealthChecks(checks));
    router.get("/metrics").handler(this::metrics);
    router.get("/blocking").handler(rc -> bridge(rc, options.getBlockingReportAddress(), new JsonObject()));
    router.post("/fetch").handler(BodyHandler.create().setBodyLimit(options.getMaxBodyBytes()));
    router.post("/fetch").handler(rc -> {
      JsonObject body;
      try {
        body = rc.body().asJsonObject();
      } catch (DecodeException | ClassCastException e) {
        error(rc, FailureCode.BAD_REQUEST, "body: must be a JSON object (" + e.getMessage() + ")");
        return;
      }
      if (body == null) {
        error(rc, FailureCode.BAD_REQUEST, "body: must be a JSON object, got nothing");
        return;
      }
      bridge(rc, options.getFetchAddress(), body);
    });
    // HTTP/1.1 only: no h2c upgrade. With it on (Vert.x's default), the JDK HttpClient — which asks for
    // an upgrade on every http:// request — intermittently got /metrics' 18 KB body stalled for good after
    // the upgrade (Vert.x 5.0.7); a client asking for h2c now simply stays on HTTP/1.1.
    return vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false))
      .requestHandler(router)
      .listen(options.getPort(), options.getHost())
      .onSuccess(s -> server = s);
  }

  /** @return the port actually bound (useful with port 0) */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  private void metrics(RoutingContext rc) {
    if (BackendRegistries.getDefaultNow() == null) {
      error(rc, FailureCode.UNAVAILABLE, "metrics are disabled in this Vert.x instance; start it with "
        + "vertx-micrometer-metrics enabled (the fat jar does so by default)");
      return;
    }
    PrometheusScrapingHandler.create().handle(rc);
  }

  private void bridge(RoutingContext rc, String address, JsonObject body) {
    Deadline deadline = Deadline.in(options.getRequestTimeoutMs());
    DeliveryOptions delivery = new DeliveryOptions().setSendTimeout(options.getRequestTimeoutMs());
    String budget = rc.request().getHeader(Headers.TIMEOUT_MS);
    if (budget != null) {
      try {
        deadline = deadline.shorten(Long.parseLong(budget.trim()));
      } catch (NumberFormatException e) {
        error(rc, FailureCode.BAD_REQUEST, "header " + Headers.TIMEOUT_MS + " must be an integer number of milliseconds, got \"" + budget + "\"");
        return;
      }
    }
    if (deadline.expired()) {
      error(rc, FailureCode.TIMEOUT, "header " + Headers.TIMEOUT_MS + ": budget already spent, request shed");
      return;
    }
    String requestId = rc.request().getHeader(Headers.REQUEST_ID);
    if (requestId != null) {
      delivery.addHeader(Headers.REQUEST_ID, requestId);
    }
    CancelScope scope = CancelScope.withDeadline(vertx, deadline);
    rc.response().closeHandler(v -> scope.cancel("HTTP client closed the connection"));
    BusRequest.<Object>request(scope, address, body, delivery).onComplete(ar -> {
      scope.close();
      if (rc.response().closed() || rc.response().ended()) {
        return;
      }
      if (ar.succeeded()) {
        Object reply = ar.result().body();
        rc.response().putHeader("content-type", "application/json")
          .end(reply instanceof JsonObject ? ((JsonObject) reply).encode() : String.valueOf(reply));
      } else {
        Throwable cause = ar.cause();
        FailureCode code = FailureCode.of(cause);
        String message;
        if (cause instanceof CancelledException && ((CancelledException) cause).deadline()) {
          message = "no reply from '" + address + "' within the request's budget ("
            + (budget != null ? Headers.TIMEOUT_MS + ": " + budget + " ms" : "http.requestTimeoutMs: " + options.getRequestTimeoutMs() + " ms") + ")";
        } else if (cause instanceof ReplyException && ((ReplyException) cause).failureType() != io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
          message = "'" + address + "': " + cause.getMessage();
        } else {
          message = String.valueOf(cause.getMessage());
        }
        error(rc, code, message);
      }
    });
  }

  static void error(RoutingContext rc, FailureCode code, String message) {
    rc.response().setStatusCode(code.code()).putHeader("content-type", "application/json")
      .end(new JsonObject().put("code", code.code()).put("error", code.name()).put("message", message).encode());
  }

  /** @return the routes served, for the start-up banner */
  public static String routes() {
    return "GET /health  GET /metrics  GET /blocking  POST /fetch";
  }

}
