package dev.loopkit.demo;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.config.ConfiguredVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

import java.util.concurrent.atomic.AtomicLong;

/**
 * An offline upstream to fetch from: an HTTP server on {@code host:port} (127.0.0.1:8081 by default;
 * port 0 picks a free one) serving {@code GET /item/{n}} as a ~100-byte JSON document, the same body as
 * the nginx peer upstream in {@code ../shared/bench/peers}:
 *
 * <pre>{"id":7,"name":"item-7","price_cents":1999,"tags":["alpha","beta"],"in_stock":true,"v":1}</pre>
 *
 * {@code ?delay_ms=D} delays the reply by D ms with a timer, never blocking the event loop, so thousands
 * of delayed requests complete together. Anything else is a 404 JSON error; a malformed {@code n} or
 * {@code delay_ms} is a 400.
 *
 * <p>It counts accepted and currently open connections ({@link #connectionsAccepted()},
 * {@link #openConnections()}), so tests can check that clients release what they open.
 */
public class DemoUpstreamVerticle extends VerticleBase implements ConfiguredVerticle {

  /** Default bind host. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default port. */
  public static final int DEFAULT_PORT = 8081;
  /** Upper bound on {@code delay_ms}: one minute. */
  public static final long MAX_DELAY_MS = 60_000;

  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private HttpServer server;
  private String host;

  @Override
  public void checkConfig(JsonObject config) {
    ConfigReader r = ConfigReader.of(config);
    r.string("host", DEFAULT_HOST);
    r.integer("port", DEFAULT_PORT, 0, 65535);
    r.done();
  }

  @Override
  public Future<?> start() {
    checkConfig(config());
    host = config().getString("host", DEFAULT_HOST);
    int port = config().getInteger("port", DEFAULT_PORT);
    return vertx.createHttpServer(new HttpServerOptions().setAcceptBacklog(4096))
      .connectionHandler(conn -> {
        accepted.incrementAndGet();
        open.incrementAndGet();
        conn.closeHandler(v -> open.decrementAndGet());
      })
      .requestHandler(BlockingAttribution.requests(this::handle))
      .listen(port, host)
      .onSuccess(s -> server = s);
  }

  /** @return the bound port */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  /** @return {@code http://host:port} of this upstream */
  public String baseUrl() {
    return "http://" + host + ":" + actualPort();
  }

  /** @return connections accepted since start */
  public long connectionsAccepted() {
    return accepted.get();
  }

  /** @return connections currently open */
  public long openConnections() {
    return open.get();
  }

  @Override
  public String startupLine() {
    return "demo upstream   " + baseUrl() + "/item/{n}?delay_ms=D";
  }

  /** The body served for item {@code n}. */
  public static String itemJson(long n) {
    return "{\"id\":" + n + ",\"name\":\"item-" + n + "\",\"price_cents\":1999,\"tags\":[\"alpha\",\"beta\"],\"in_stock\":true,\"v\":1}\n";
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (!path.startsWith("/item/")) {
      reply(req, 404, "{\"error\":\"not found\"}\n");
      return;
    }
    long n;
    long delay;
    try {
      n = Long.parseLong(path.substring("/item/".length()));
      String d = req.getParam("delay_ms");
      delay = d == null || d.isEmpty() ? 0 : Long.parseLong(d);
    } catch (NumberFormatException e) {
      reply(req, 400, "{\"error\":\"n and delay_ms must be integers\"}\n");
      return;
    }
    if (n < 0 || delay < 0 || delay > MAX_DELAY_MS) {
      reply(req, 400, "{\"error\":\"n must be >= 0 and delay_ms in [0, " + MAX_DELAY_MS + "]\"}\n");
      return;
    }
    String body = itemJson(n);
    if (delay == 0) {
      reply(req, 200, body);
    } else {
      long timer = vertx.setTimer(delay, t -> reply(req, 200, body));
      req.response().closeHandler(v -> vertx.cancelTimer(timer));
    }
  }

  private static void reply(HttpServerRequest req, int status, String body) {
    if (req.response().closed()) {
      return;
    }
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }
}
