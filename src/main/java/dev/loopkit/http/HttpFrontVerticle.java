package dev.loopkit.http;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.console.ConsoleOptions;
import dev.loopkit.console.impl.ConsoleRoutes;
import dev.loopkit.http.impl.Answers;
import dev.loopkit.http.impl.Bridge;
import dev.loopkit.http.impl.Connections;
import dev.loopkit.http.impl.FrontIds;
import dev.loopkit.http.impl.Intake;
import dev.loopkit.http.impl.QuietLog;
import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.healthchecks.CheckResult;
import io.vertx.micrometer.backends.BackendRegistries;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The application's HTTP front, on {@code http.host:http.port} (127.0.0.1:8080 by default; see README,
 * "Threat model", before binding anything else):
 *
 * <ul>
 *   <li>{@code GET|HEAD /health}: vertx-health-check; UP while every configured verticle is deployed.</li>
 *   <li>{@code GET|HEAD /metrics}: Prometheus text from vertx-micrometer-metrics (503 when Vert.x runs
 *   without metrics).</li>
 *   <li>{@code GET|HEAD /blocking}: the blocking checker's report, bridged to {@code http.blockingReportAddress};
 *   {@code ?scope=cluster} asks for the report of every cluster node.</li>
 *   <li>{@code POST /fetch}: the fetch verticle, bridged to {@code http.fetchAddress}; same JSON in and
 *   out, or with {@code Accept: application/x-ndjson} one JSON line per result as it completes.</li>
 *   <li>{@code GET /console}: the loop console, a live page of event-loop health ({@link ConsoleOptions}):
 *   served on a loopback bind, or with {@code http.console.token} set (then required by each console request).</li>
 * </ul>
 *
 * Every connection and request is bounded ({@link HttpFrontOptions}): connections ({@link Connections}),
 * framing and bodies ({@link Intake}), budgets, request ids and answers ({@link Bridge}). Every request
 * gets exactly one answer, JSON, errors as {@code {"code", "error", "message"}}; a refusal that leaves
 * the connection's framing in doubt closes it. Nothing a client sends is logged above DEBUG, except the
 * rate-limited WARNs an operator must see (connection limit reached, an internal error).
 */
public class HttpFrontVerticle extends VerticleBase {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.http");

  private final HttpFrontOptions options;
  private final Map<String, String> deployments;
  private final QuietLog internalErrors = new QuietLog(LOG, 60_000);
  private HttpServer server;
  private Connections connections;
  private ConsoleRoutes console;

  /**
   * @param deployments name → deployment id of the verticles whose presence {@code /health} checks
   * @throws dev.loopkit.config.ConfigException when {@code options} holds an invalid value
   */
  public HttpFrontVerticle(HttpFrontOptions options, Map<String, String> deployments) {
    this.options = new HttpFrontOptions(options);
    this.deployments = new LinkedHashMap<>(deployments);
  }

  @Override
  public Future<?> start() {
    // HTTP/1.1 only: no h2c upgrade. With it on (Vert.x's default), the JDK HttpClient — which asks for
    // an upgrade on every http:// request — intermittently got /metrics' 18 KB body stalled for good after
    // the upgrade (Vert.x 5.0.7); a client asking for h2c now simply stays on HTTP/1.1.
    // No compression either way: no zip bomb in, no CPU spent for a client out.
    HttpServerOptions serverOptions = new HttpServerOptions()
      .setHttp2ClearTextEnabled(false)
      .setDecompressionSupported(false)
      .setCompressionSupported(false)
      .setHandle100ContinueAutomatically(false);
    // draw the first id now: SecureRandom's set-up (provider lookup, seeding) takes tens of milliseconds,
    // which must not stall the first requests' event loop (nor let a deadline beat a reply waiting behind it)
    FrontIds.next();
    connections = new Connections(vertx, options, serverOptions);
    Bridge bridge = new Bridge(vertx, options, connections);
    Router router = Router.router(vertx);
    Intake intake = new Intake(options, connections, router);
    router.route().handler(BlockingAttribution.routes());
    HealthChecks checks = healthChecks();
    router.route("/health").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(rc -> health(rc, checks));
    router.route("/metrics").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::metrics);
    router.route("/blocking").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(bridge::blocking);
    router.route("/fetch").method(HttpMethod.POST).handler(bridge::fetch);
    String consoleOff = consoleOff(options);
    if (consoleOff == null) {
      console = new ConsoleRoutes(vertx, options.getConsole(), options.getBlockingReportAddress(), connections,
        options.getMaxReplyBytes());
      console.mount(router);
    } else {
      ConsoleRoutes.mountOff(router, consoleOff);
    }
    router.errorHandler(404, rc -> Answers.error(rc.response(), FailureCode.NOT_FOUND, "no route for path "
      + LogValues.quote(rc.request().path()) + "; the routes are " + routes()));
    router.errorHandler(405, rc -> {
      String allow = "/fetch".equals(rc.normalizedPath()) ? "POST" : "/console/live".equals(rc.normalizedPath()) ? "GET" : "GET, HEAD";
      rc.response().putHeader("allow", allow);
      Answers.error(rc.response(), 405, "method " + LogValues.quote(rc.request().method().name()) + " not allowed on "
        + LogValues.quote(rc.normalizedPath()) + "; allowed: " + allow, null);
    });
    router.route().failureHandler(this::failure);
    Future<Void> consoleReady = console == null ? Future.succeededFuture() : console.start();
    return consoleReady.compose(v -> vertx.createHttpServer(serverOptions)
      .connectionHandler(connections::accepted)
      .invalidRequestHandler(intake::invalid)
      .exceptionHandler(t -> {
        if (LOG.isDebugEnabled()) {
          LOG.debug("http front: connection error: {}", LogValues.safe(String.valueOf(t), 200));
        }
      })
      .requestHandler(intake)
      .listen(options.getPort(), options.getHost())
      .onSuccess(s -> {
        server = s;
        connections.start();
        if (!isLoopback(options.getHost())) {
          LOG.warn("http front: listening on {}:{}, which is not a loopback address: anyone who can reach it can "
            + "use POST /fetch and read /metrics and /blocking — put TLS and authentication in front of it and "
            + "tighten the http limits (README, \"Threat model\")", options.getHost(), s.actualPort());
        }
      }));
  }

  /** @return why the console is not served with {@code options}, or null when it is */
  static String consoleOff(HttpFrontOptions options) {
    ConsoleOptions c = options.getConsole();
    if (!c.isEnabled()) {
      return "the loop console is off (http.console.enabled is false)";
    }
    if (!isLoopback(options.getHost()) && c.getToken() == null) {
      return "the loop console is off: the front binds " + LogValues.quote(options.getHost()) + ", not a loopback "
        + "address, and http.console.token is not set (README, \"Loop console\")";
    }
    return null;
  }

  @Override
  public Future<?> stop() {
    if (console != null) {
      console.stop();
    }
    if (connections != null) {
      connections.stop();
    }
    return Future.succeededFuture();
  }

  /** @return the port actually bound (useful with port 0) */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** @return the connections open now (any thread) */
  public int openConnections() {
    return connections == null ? 0 : connections.count();
  }

  /** @return the console's live channels open now (front's context), for tests and benchmarks */
  public int consoleClients() {
    return console == null ? 0 : console.hub().clients();
  }

  /** @return request body bytes held now (all connections together), for tests */
  public long bufferedBodyBytes() {
    return connections == null ? 0 : connections.bufferedBodyBytes();
  }

  private HealthChecks healthChecks() {
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
    return checks;
  }

  /** vertx-health-check's JSON (as its HealthCheckHandler writes it), with a content-length for HEAD. */
  private void health(RoutingContext rc, HealthChecks checks) {
    checks.checkStatus().onComplete(ar -> {
      if (ar.failed()) {
        Answers.error(rc.response(), FailureCode.INTERNAL, "health check failed: " + LogValues.safe(String.valueOf(ar.cause()), 200));
        return;
      }
      CheckResult result = ar.result();
      int status = CheckResult.isUp(result) ? 200 : 503;
      Answers.write(rc.response(), status, "application/json;charset=UTF-8", List.of(result.toJson().toBuffer()));
    });
  }

  /** Prometheus text (as PrometheusScrapingHandler writes it), with a content-length for HEAD. */
  private void metrics(RoutingContext rc) {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry == null) {
      Answers.error(rc.response(), FailureCode.UNAVAILABLE, "metrics are disabled in this Vert.x instance; start it with "
        + "vertx-micrometer-metrics enabled (the fat jar does so by default)");
      return;
    }
    if (!(registry instanceof PrometheusMeterRegistry)) {
      Answers.error(rc.response(), FailureCode.UNAVAILABLE, "metrics have no Prometheus backend in this Vert.x instance "
        + "(enable prometheusOptions in the metrics options)");
      return;
    }
    Buffer text = Buffer.buffer(((PrometheusMeterRegistry) registry).scrape());
    Answers.write(rc.response(), 200, "text/plain; version=0.0.4; charset=utf-8", List.of(text));
  }

  private void failure(RoutingContext rc) {
    int status = rc.statusCode();
    Throwable failure = rc.failure();
    if (status < 500 && status >= 400) {
      String message = failure != null && failure.getMessage() != null ? LogValues.safe(failure.getMessage(), 200)
        : "request refused by the router";
      Answers.error(rc.response(), status, message, null);
      return;
    }
    internalErrors.warn("http front: internal error while serving " + rc.request().method().name() + " "
      + LogValues.quote(rc.request().path()) + ": " + LogValues.safe(String.valueOf(failure), 300));
    Answers.error(rc.response(), 500, "internal error in the HTTP front ("
      + (failure == null ? "status " + status : failure.getClass().getSimpleName()) + "); see the server log", null);
  }

  /** @return the routes served, for the start-up banner */
  public static String routes() {
    return "GET /health  GET /metrics  GET /blocking  POST /fetch  GET /console";
  }

  /**
   * @return the routes served and whether {@code host} keeps them to this machine, for the start-up banner:
   * {@code "… (loopback only)"}, or a warning when {@code host} is not a loopback address
   */
  public static String routes(String host) {
    return routes() + (isLoopback(host) ? "  (loopback only)"
      : "  WARNING: bound to " + host + ", not loopback: anyone who can reach it can use it — put TLS and "
      + "authentication in front (README, \"Threat model\")");
  }

  /** @return whether {@code host} is {@code localhost} or a loopback IP literal (no name is resolved) */
  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    byte[] ip = NetUtil.createByteArrayFromIpAddressString(host);
    if (ip == null) {
      return false;
    }
    if (ip.length == 4) {
      return ip[0] == 127;
    }
    for (int i = 0; i < 15; i++) {
      if (ip[i] != 0) {
        return false;
      }
    }
    return ip[15] == 1;
  }
}
