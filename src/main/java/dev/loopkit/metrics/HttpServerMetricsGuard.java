package dev.loopkit.metrics;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * HTTP server metrics guarded against faults a client can cause in vertx-micrometer-metrics on Vert.x
 * 5.0.7: active requests that never end or end twice, and one meter per invented HTTP method.
 *
 * <p><b>Requests left active.</b>
 * <p>Vert.x reports a request to its metrics as begun, then as ended twice: once when the request has been
 * read to its end, once when the response has been written. vertx-micrometer-metrics decrements
 * {@code vertx_http_server_active_requests} only when both have happened (or on a reset). Vert.x never
 * reports the first one for a request that is answered and closed before it was read to its end — every
 * malformed request (a 431, a 414, a bad header name, two {@code Content-Length}s, HTTP/0.9, garbage, a
 * head cut off by the client), and every request answered before its body arrived (a 413 to
 * {@code Expect: 100-continue}, a 413 followed by a close) — and it does not report a reset either, because
 * the response had ended. Each such request stayed "active" forever.
 *
 * <p>This wrapper tracks, per connection, the requests begun and not yet ended both ways; when the
 * connection closes it reports each one whose response ended but whose request never did as reset
 * ({@code vertx_http_server_request_resets_total}), which is what happened to it. Everything else is passed
 * through unchanged.
 *
 * <p><b>Requests reset twice.</b> A request whose body fails to decode (a chunk size that is not hex) is
 * reported reset once when the decoder fails and again when the connection closes; each reset counted the
 * gauge down, so it went below zero. A request is counted down once: a reset after its end (or after an
 * earlier reset) is not passed on.
 *
 * <p><b>Invented methods.</b> The {@code method} label is the request's method as sent, and HTTP allows
 * any token there: a client sending {@code FOO1}, {@code FOO2}, … created new meters (and a new gauge
 * entry that is never freed) per request. Methods other than the nine of RFC 9110 and RFC 5789
 * ({@code GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH}) are reported as {@code OTHER}.
 */
final class HttpServerMetricsGuard implements HttpServerMetrics<HttpServerMetricsGuard.Req, Object, HttpServerMetricsGuard.Sock> {

  /** One connection: the delegate's socket metric and its requests still open. */
  static final class Sock {
    final Object metric;
    final List<Req> open = new ArrayList<>(2);

    Sock(Object metric) {
      this.metric = metric;
    }
  }

  /** One request: the delegate's request metric and what has ended. */
  static final class Req {
    final Object metric;
    final Sock sock;
    boolean requestEnded;
    boolean responseEnded;
    boolean reset;

    Req(Object metric, Sock sock) {
      this.metric = metric;
      this.sock = sock;
    }
  }

  private final HttpServerMetrics<Object, Object, Object> delegate;

  @SuppressWarnings("unchecked")
  HttpServerMetricsGuard(HttpServerMetrics<?, ?, ?> delegate) {
    this.delegate = (HttpServerMetrics<Object, Object, Object>) delegate;
  }

  private static Object unwrap(Sock sock) {
    return sock == null ? null : sock.metric;
  }

  private static Object unwrap(Req req) {
    return req == null ? null : req.metric;
  }

  private static Req track(Req req) {
    if (req.sock != null) {
      synchronized (req.sock) {
        req.sock.open.add(req);
      }
    }
    return req;
  }

  private static void forgetIfDone(Req req, boolean reset) {
    if (req.sock != null && (reset || req.requestEnded && req.responseEnded)) {
      synchronized (req.sock) {
        req.sock.open.remove(req);
      }
    }
  }

  @Override
  public Sock connected(SocketAddress remoteAddress, String remoteName) {
    return new Sock(delegate.connected(remoteAddress, remoteName));
  }

  @Override
  public void disconnected(Sock sock, SocketAddress remoteAddress) {
    if (sock != null) {
      List<Req> left;
      synchronized (sock) {
        left = new ArrayList<>(sock.open);
        sock.open.clear();
      }
      for (Req r : left) {
        if (r.responseEnded && !r.requestEnded) {
          requestReset(r);
        }
      }
    }
    delegate.disconnected(unwrap(sock), remoteAddress);
  }

  @Override
  public void bytesRead(Sock sock, SocketAddress remoteAddress, long numberOfBytes) {
    delegate.bytesRead(unwrap(sock), remoteAddress, numberOfBytes);
  }

  @Override
  public void bytesWritten(Sock sock, SocketAddress remoteAddress, long numberOfBytes) {
    delegate.bytesWritten(unwrap(sock), remoteAddress, numberOfBytes);
  }

  @Override
  public void exceptionOccurred(Sock sock, SocketAddress remoteAddress, Throwable t) {
    delegate.exceptionOccurred(unwrap(sock), remoteAddress, t);
  }

  @Override
  public Req requestBegin(Sock sock, HttpRequest request) {
    HttpRequest reported = STANDARD.contains(request.method()) ? request : new OtherMethod(request);
    return track(new Req(delegate.requestBegin(unwrap(sock), reported), sock));
  }

  /** The HTTP methods reported as themselves; any other is reported as {@link #OTHER}. */
  static final Set<HttpMethod> STANDARD = Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PUT,
    HttpMethod.DELETE, HttpMethod.CONNECT, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PATCH);
  /** The method reported for every non-standard one. */
  static final HttpMethod OTHER = HttpMethod.valueOf("OTHER");

  /** A request seen with its method replaced by {@link #OTHER}. */
  private static final class OtherMethod implements HttpRequest {
    private final HttpRequest request;

    OtherMethod(HttpRequest request) {
      this.request = request;
    }

    @Override
    public int id() {
      return request.id();
    }

    @Override
    public String uri() {
      return request.uri();
    }

    @Override
    public String absoluteURI() {
      return request.absoluteURI();
    }

    @Override
    public HttpMethod method() {
      return OTHER;
    }

    @Override
    public MultiMap headers() {
      return request.headers();
    }

    @Override
    public SocketAddress remoteAddress() {
      return request.remoteAddress();
    }
  }

  @Override
  public void requestEnd(Req req, HttpRequest request, long bytesRead) {
    if (req != null) {
      req.requestEnded = true;
      forgetIfDone(req, false);
    }
    delegate.requestEnd(unwrap(req), request, bytesRead);
  }

  @Override
  public void requestReset(Req req) {
    if (req != null) {
      synchronized (req) {
        if (req.reset || req.requestEnded && req.responseEnded) {
          return; // already counted down: a second reset would take the gauge below zero
        }
        req.reset = true;
      }
      forgetIfDone(req, true);
    }
    delegate.requestReset(unwrap(req));
  }

  @Override
  public void responseBegin(Req req, HttpResponse response) {
    delegate.responseBegin(unwrap(req), response);
  }

  @Override
  public Req responsePushed(Sock sock, HttpMethod method, String uri, HttpResponse response) {
    Req req = new Req(delegate.responsePushed(unwrap(sock), method, uri, response), sock);
    req.requestEnded = true; // a pushed response has no request to read
    return track(req);
  }

  @Override
  public void responseEnd(Req req, HttpResponse response, long bytesWritten) {
    if (req != null) {
      req.responseEnded = true;
      forgetIfDone(req, false);
    }
    delegate.responseEnd(unwrap(req), response, bytesWritten);
  }

  @Override
  public Object connected(Sock sock, Req req, ServerWebSocket serverWebSocket) {
    return delegate.connected(unwrap(sock), unwrap(req), serverWebSocket);
  }

  @Override
  public void disconnected(Object serverWebSocketMetric) {
    delegate.disconnected(serverWebSocketMetric);
  }

  @Override
  public void requestRouted(Req req, String route) {
    delegate.requestRouted(unwrap(req), route);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
