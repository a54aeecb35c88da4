package dev.loopkit.demo;

import dev.loopkit.blocking.BlockingAttribution;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.config.ConfiguredVerticle;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An offline upstream to fetch from: an HTTP server on {@code host:port} (127.0.0.1:8081 by default;
 * port 0 picks a free one) serving {@code GET /item/{n}} as a ~100-byte JSON document, the same body as
 * the nginx peer upstream in {@code ../shared/bench/peers}:
 *
 * <pre>{"id":7,"name":"item-7","price_cents":1999,"tags":["alpha","beta"],"in_stock":true,"v":1}</pre>
 *
 * <h2>Fault catalog</h2>
 * Query parameters of {@code /item/{n}} (any method), applied after {@code delay_ms}:
 * <ul>
 *   <li>{@code delay_ms=D}: reply after D ms, with a timer (never blocking the event loop), so thousands
 *   of delayed requests complete together;</li>
 *   <li>{@code status=S} (200–599): reply with that status and the item body;</li>
 *   <li>{@code bytes=B}: a body of B bytes ({@code application/octet-stream}, or {@code text/plain} with
 *   {@code type=text}), streamed in 64 KiB chunks with back-pressure, up to 1 GiB; with a
 *   {@code content-length}, or chunked without one when {@code chunked=true};</li>
 *   <li>{@code fault=reset}: close the connection without a response;</li>
 *   <li>{@code fault=hang}: never reply (the connection stays open until the client goes, at most
 *   {@link #MAX_DELAY_MS});</li>
 *   <li>{@code fault=trickle}: send the headers, then one byte every {@code interval_ms} (default 100)
 *   of a {@code bytes}-long (default 100) body — an idle timeout never fires, a total deadline does;</li>
 *   <li>{@code fault=badjson}: {@code application/json} that does not parse;</li>
 *   <li>{@code fault=redirect-loop}: 302 to itself, forever;</li>
 *   <li>{@code redirect_to=URL}: 302 to URL (this loopback server is a test fixture; don't expose it).</li>
 * </ul>
 * {@code /echo} (any method) replies {@code {"method", "path", "query", "headers", "body"}} as JSON.
 * Anything else is a 404 JSON error; a malformed parameter is a 400 naming it.
 *
 * <p>It counts accepted and currently open connections ({@link #connectionsAccepted()},
 * {@link #openConnections()}), requests being served ({@link #activeRequests()}) and the most served at
 * once ({@link #maxActiveRequests()}), so tests can check that clients release what they open and honour
 * their limits.
 */
public class DemoUpstreamVerticle extends VerticleBase implements ConfiguredVerticle {

  /** Default bind host. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default port. */
  public static final int DEFAULT_PORT = 8081;
  /** Upper bound on {@code delay_ms}, {@code interval_ms} and on how long a hang lasts: one minute. */
  public static final long MAX_DELAY_MS = 60_000;
  /** Upper bound on {@code bytes}: 1 GiB. */
  public static final long MAX_BYTES = 1L << 30;

  private static final Buffer CHUNK = Buffer.buffer(new byte[64 * 1024]);
  private static final Buffer TEXT_CHUNK = Buffer.buffer("x".repeat(64 * 1024));

  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong maxActive = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong closed = new AtomicLong();
  private volatile long lastClosedNanos;
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
    return vertx.createHttpServer(new HttpServerOptions().setAcceptBacklog(4096).setHttp2ClearTextEnabled(false))
      .connectionHandler(conn -> {
        accepted.incrementAndGet();
        open.incrementAndGet();
        conn.closeHandler(v -> {
          lastClosedNanos = System.nanoTime();
          closed.incrementAndGet();
          open.decrementAndGet();
        });
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

  /** @return connections closed since start (by either side) */
  public long connectionsClosed() {
    return closed.get();
  }

  /** @return {@link System#nanoTime()} when the last connection closed (0: none yet) */
  public long lastConnectionClosedNanos() {
    return lastClosedNanos;
  }

  /** @return requests being served now (delayed, hanging, trickling or streaming) */
  public long activeRequests() {
    return active.get();
  }

  /** @return the most requests served at once since start (or since {@link #resetMaxActive()}) */
  public long maxActiveRequests() {
    return maxActive.get();
  }

  /** Restarts {@link #maxActiveRequests()} from the current count. */
  public void resetMaxActive() {
    maxActive.set(active.get());
  }

  /** @return body bytes written by {@code bytes=} and {@code fault=trickle} responses */
  public long bytesSent() {
    return bytesSent.get();
  }

  @Override
  public String startupLine() {
    return "demo upstream   " + baseUrl() + "/item/{n}?delay_ms=D&status=S&bytes=B&fault=reset|hang|trickle|badjson|redirect-loop";
  }

  /** The body served for item {@code n}. */
  public static String itemJson(long n) {
    return "{\"id\":" + n + ",\"name\":\"item-" + n + "\",\"price_cents\":1999,\"tags\":[\"alpha\",\"beta\"],\"in_stock\":true,\"v\":1}\n";
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (path.equals("/echo")) {
      echo(req);
      return;
    }
    if (!path.startsWith("/item/")) {
      reply(req, 404, "{\"error\":\"not found\"}\n");
      return;
    }
    long n;
    try {
      n = Long.parseLong(path.substring("/item/".length()));
    } catch (NumberFormatException e) {
      reply(req, 400, "{\"error\":\"n in /item/{n} must be an integer\"}\n");
      return;
    }
    Params p;
    try {
      p = Params.read(req.params());
    } catch (IllegalArgumentException e) {
      reply(req, 400, new JsonObject().put("error", e.getMessage()).encode() + "\n");
      return;
    }
    if (n < 0) {
      reply(req, 400, "{\"error\":\"n must be >= 0\"}\n");
      return;
    }
    begin();
    boolean[] finished = {false};
    Runnable end = () -> {
      if (!finished[0]) {
        finished[0] = true;
        active.decrementAndGet();
      }
    };
    req.response().closeHandler(v -> end.run());
    req.response().endHandler(v -> end.run());
    if (p.delayMs == 0) {
      serve(req, n, p, end);
    } else {
      long timer = vertx.setTimer(p.delayMs, t -> serve(req, n, p, end));
      req.response().closeHandler(v -> {
        vertx.cancelTimer(timer);
        end.run();
      });
    }
  }

  private void begin() {
    long now = active.incrementAndGet();
    maxActive.accumulateAndGet(now, Math::max);
  }

  private void serve(HttpServerRequest req, long n, Params p, Runnable end) {
    HttpServerResponse resp = req.response();
    if (resp.closed()) {
      end.run();
      return;
    }
    if (p.redirectTo != null) {
      resp.setStatusCode(302).putHeader("location", p.redirectTo).putHeader("content-length", "0").end();
      return;
    }
    switch (p.fault) {
      case "reset":
        req.connection().close();
        end.run();
        return;
      case "hang":
        long guard = vertx.setTimer(MAX_DELAY_MS, t -> req.connection().close());
        resp.closeHandler(v -> {
          vertx.cancelTimer(guard);
          end.run();
        });
        return;
      case "trickle":
        trickle(req, p.bytes < 0 ? 100 : p.bytes, p.intervalMs, end);
        return;
      case "badjson":
        resp.setStatusCode(p.status).putHeader("content-type", "application/json").end("{\"id\":" + n + ",\"name\":");
        return;
      case "redirect-loop":
        int hop = 0;
        String h = req.getParam("hop");
        if (h != null && h.matches("\\d{1,6}")) {
          hop = Integer.parseInt(h);
        }
        resp.setStatusCode(302).putHeader("location", "/item/" + n + "?fault=redirect-loop&hop=" + (hop + 1))
          .putHeader("content-length", "0").end();
        return;
      default:
        break;
    }
    if (p.bytes >= 0) {
      resp.setStatusCode(p.status).putHeader("content-type", p.text ? "text/plain; charset=utf-8" : "application/octet-stream");
      if (p.chunked) {
        resp.setChunked(true);
      } else {
        resp.putHeader("content-length", Long.toString(p.bytes));
      }
      stream(resp, p.bytes, p.text ? TEXT_CHUNK : CHUNK);
      return;
    }
    reply(req, p.status, itemJson(n));
  }

  private void stream(HttpServerResponse resp, long remaining, Buffer chunk) {
    if (remaining == 0) {
      resp.end();
      return;
    }
    while (remaining > 0 && !resp.writeQueueFull()) {
      if (resp.closed()) {
        return;
      }
      int len = (int) Math.min(chunk.length(), remaining);
      remaining -= len;
      bytesSent.addAndGet(len);
      if (remaining == 0) {
        resp.end(len == chunk.length() ? chunk : chunk.getBuffer(0, len));
        return;
      }
      resp.write(len == chunk.length() ? chunk : chunk.getBuffer(0, len));
    }
    if (remaining > 0 && !resp.closed()) {
      long left = remaining;
      resp.drainHandler(v -> stream(resp, left, chunk));
    }
  }

  private void trickle(HttpServerRequest req, long bytes, long intervalMs, Runnable end) {
    HttpServerResponse resp = req.response();
    resp.setStatusCode(200).putHeader("content-type", "text/plain; charset=utf-8").putHeader("content-length", Long.toString(bytes));
    if (bytes == 0) {
      resp.end();
      return;
    }
    long[] left = {bytes - 1};
    bytesSent.incrementAndGet();
    if (left[0] == 0) {
      resp.end("x");
      return;
    }
    resp.write("x"); // the headers and a first byte at once, then one byte per interval
    long periodic = vertx.setPeriodic(intervalMs, t -> {
      if (resp.closed()) {
        vertx.cancelTimer(t);
        return;
      }
      bytesSent.incrementAndGet();
      if (--left[0] == 0) {
        vertx.cancelTimer(t);
        resp.end("x");
      } else {
        resp.write("x");
      }
    });
    resp.closeHandler(v -> {
      vertx.cancelTimer(periodic);
      end.run();
    });
  }

  private void echo(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      JsonObject headers = new JsonObject();
      for (Map.Entry<String, String> e : req.headers()) {
        headers.put(e.getKey().toLowerCase(), e.getValue());
      }
      JsonObject out = new JsonObject()
        .put("method", req.method().name())
        .put("path", req.path())
        .put("query", req.query())
        .put("headers", headers)
        .put("body", body.toString());
      reply(req, 200, out.encode());
    });
  }

  private static void reply(HttpServerRequest req, int status, String body) {
    if (req.response().closed()) {
      return;
    }
    req.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }

  /** Parsed query parameters of {@code /item/{n}}. */
  private static final class Params {
    long delayMs;
    int status = 200;
    long bytes = -1;
    boolean text;
    boolean chunked;
    String fault = "";
    long intervalMs = 100;
    String redirectTo;

    static Params read(MultiMap q) {
      Params p = new Params();
      p.delayMs = number(q, "delay_ms", 0, 0, MAX_DELAY_MS);
      p.status = (int) number(q, "status", 200, 200, 599);
      p.bytes = number(q, "bytes", -1, 0, MAX_BYTES);
      p.intervalMs = number(q, "interval_ms", 100, 1, MAX_DELAY_MS);
      String type = q.get("type");
      if (type != null && !type.equals("text") && !type.equals("binary")) {
        throw new IllegalArgumentException("type must be text or binary");
      }
      p.text = "text".equals(type);
      p.chunked = "true".equals(q.get("chunked"));
      String fault = q.get("fault");
      if (fault != null && !fault.isEmpty()) {
        switch (fault) {
          case "reset":
          case "hang":
          case "trickle":
          case "badjson":
          case "redirect-loop":
            p.fault = fault;
            break;
          default:
            throw new IllegalArgumentException("fault must be one of reset, hang, trickle, badjson, redirect-loop");
        }
      }
      p.redirectTo = q.get("redirect_to");
      return p;
    }

    private static long number(MultiMap q, String name, long def, long min, long max) {
      String v = q.get(name);
      if (v == null || v.isEmpty()) {
        return def;
      }
      try {
        long l = Long.parseLong(v);
        if (l < min || l > max) {
          throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], got " + v);
        }
        return l;
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(name + " must be an integer, got \"" + v + "\"");
      }
    }
  }
}
