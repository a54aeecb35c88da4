package dev.loopkit.console.impl;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.console.ConsoleOptions;
import dev.loopkit.http.impl.Answers;
import dev.loopkit.http.impl.Connections;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;

/**
 * The console's routes on the HTTP front's router (GET/HEAD only; any other method is the front's 405):
 * {@code /console} (the page), {@code /console/assets/<name>} (a fixed set of files from the jar),
 * {@code /console/state} (JSON read at load) and {@code /console/live} (Server-Sent Events, GET only). With a
 * token configured, each of them requires it ({@code ?token=} or {@code Authorization: Bearer}); a missing or
 * wrong one is 401, compared in constant time, never logged. Nothing here reads a request body or sends
 * anything on the event bus on a browser's behalf.
 */
public final class ConsoleRoutes {

  /** The path prefix of every console route. */
  public static final String PREFIX = "/console";
  /** The cookie that carries the token for the page's own requests. */
  public static final String COOKIE = "loopkit-console";
  /** Content-Security-Policy of every console answer: the page may load and connect to its own origin only. */
  public static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

  private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
  private static final Map<String, String[]> ASSETS = Map.of(
    "console.js", new String[] {"dev/loopkit/console/console.js", "text/javascript; charset=utf-8"},
    "console.css", new String[] {"dev/loopkit/console/console.css", "text/css; charset=utf-8"},
    "uPlot.iife.min.js", new String[] {UPLOT + "uPlot.iife.min.js", "text/javascript; charset=utf-8"},
    "uPlot.min.css", new String[] {UPLOT + "uPlot.min.css", "text/css; charset=utf-8"});

  private final ConsoleOptions options;
  private final ConsoleHub hub;
  private final Connections connections;
  private final int maxReplyBytes;
  private final byte[] token;
  private final Vertx vertx;
  private final Map<String, Buffer> assets = new java.util.HashMap<>();
  private Buffer page;

  public ConsoleRoutes(Vertx vertx, ConsoleOptions options, String reportAddress, Connections connections, int maxReplyBytes) {
    this.vertx = vertx;
    this.options = options;
    this.hub = new ConsoleHub(vertx, options, reportAddress);
    this.connections = connections;
    this.maxReplyBytes = maxReplyBytes;
    this.token = options.getToken() == null ? null : options.getToken().getBytes(StandardCharsets.UTF_8);
  }

  /** @return the hub (live channels, counters) */
  public ConsoleHub hub() {
    return hub;
  }

  /** Reads the page and its assets from the class path (on a worker) and subscribes the hub (front's context). */
  public Future<Void> start() {
    List<Future<?>> all = new java.util.ArrayList<>();
    all.add(load("dev/loopkit/console/index.html").onSuccess(b -> page = b));
    for (Map.Entry<String, String[]> a : ASSETS.entrySet()) {
      all.add(load(a.getValue()[0]).onSuccess(b -> assets.put(a.getKey(), b)));
    }
    all.add(hub.start());
    return Future.all(all).mapEmpty();
  }

  public void stop() {
    hub.stop();
  }

  /** Adds the console's routes to {@code router}. */
  public void mount(Router router) {
    router.route(PREFIX + "*").handler(this::guard);
    router.route(PREFIX).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(rc -> write(rc, page, "text/html; charset=utf-8"));
    router.route(PREFIX + "/assets/:name").method(HttpMethod.GET).method(HttpMethod.HEAD).handler(this::asset);
    router.route(PREFIX + "/state").method(HttpMethod.GET).method(HttpMethod.HEAD)
      .handler(rc -> Answers.json(secure(rc.response()), hub.state(), maxReplyBytes));
    router.route(PREFIX + "/live").method(HttpMethod.GET).handler(this::live);
  }

  /**
   * Adds one route that answers every console path 404 with the reason the console is off.
   */
  public static void mountOff(Router router, String reason) {
    router.route(PREFIX + "*").handler(rc -> Answers.error(rc.response(), FailureCode.NOT_FOUND, reason));
  }

  private void guard(RoutingContext rc) {
    if (token != null && !authorized(rc)) {
      rc.response().putHeader("www-authenticate", "Bearer realm=\"loopkit console\"");
      Answers.error(rc.response(), 401, "the loop console needs its token (http.console.token): open "
        + PREFIX + "?token=<token>, or send Authorization: Bearer <token>", null);
      return;
    }
    rc.next();
  }

  private boolean authorized(RoutingContext rc) {
    String given = null;
    String auth = rc.request().getHeader("authorization");
    if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = auth.substring(7).trim();
    } else {
      List<String> q = rc.queryParam("token");
      if (q.size() == 1) {
        given = q.get(0);
      } else {
        io.vertx.core.http.Cookie cookie = rc.request().getCookie(COOKIE);
        given = cookie == null ? null : cookie.getValue();
      }
    }
    boolean ok = given != null && MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8));
    if (ok && PREFIX.equals(rc.normalizedPath())) {
      // the page's own requests (assets, state, live channel) then carry it without putting it in URLs
      rc.response().addCookie(io.vertx.core.http.Cookie.cookie(COOKIE, options.getToken()).setPath(PREFIX)
        .setHttpOnly(true).setSameSite(io.vertx.core.http.CookieSameSite.STRICT));
    }
    return ok;
  }

  private void asset(RoutingContext rc) {
    String name = rc.pathParam("name");
    Buffer b = name == null ? null : assets.get(name);
    if (b == null) {
      Answers.error(rc.response(), FailureCode.NOT_FOUND, "no console asset " + LogValues.quote(name) + "; the assets are "
        + String.join(", ", ASSETS.keySet()));
      return;
    }
    rc.response().putHeader("cache-control", "public, max-age=3600");
    write(rc, b, ASSETS.get(name)[1]);
  }

  private void live(RoutingContext rc) {
    HttpServerResponse response = secure(rc.response());
    Connections.Conn conn = connections.of(rc.request().connection());
    if (conn == null) {
      rc.request().connection().close();
      return;
    }
    if (!hub.open(response)) {
      Answers.error(response, FailureCode.UNAVAILABLE, hub.clients() + " live consoles are open (http.console.maxClients "
        + options.getMaxClients() + "); close one, or raise the limit");
      return;
    }
    conn.live(rc.request());
  }

  private void write(RoutingContext rc, Buffer body, String contentType) {
    Answers.write(secure(rc.response()), 200, contentType, List.of(body));
  }

  private static HttpServerResponse secure(HttpServerResponse response) {
    return response.putHeader("content-security-policy", CSP)
      .putHeader("x-content-type-options", "nosniff")
      .putHeader("referrer-policy", "no-referrer")
      .putHeader("x-frame-options", "DENY");
  }

  /** Reads {@code resource} from the class path on a worker (no file-cache extraction, works in any jar). */
  private Future<Buffer> load(String resource) {
    return vertx.executeBlocking(() -> {
      try (java.io.InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("loop console: " + resource + " is not on the class path (for uPlot: the "
            + "org.webjars.npm:uplot 1.6.30 jar); set http.console.enabled to false to run without the console");
        }
        return Buffer.buffer(in.readAllBytes());
      }
    }, false);
  }
}
