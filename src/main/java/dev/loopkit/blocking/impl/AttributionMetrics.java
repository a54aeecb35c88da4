package dev.loopkit.blocking.impl;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.core.spi.observability.HttpRequest;
import io.vertx.core.spi.observability.HttpResponse;

/**
 * HTTP attribution through Vert.x's public metrics SPI: a {@link VertxMetricsFactory} that wraps the
 * application's own (Micrometer, Dropwizard, or none) and forwards every call to it unchanged, and whose
 * HTTP server metrics also record each request begun on an event loop — and the route pattern vertx-web
 * reports for it — in that loop's {@link ThreadSlot}. When the loop stalls, the watchdog finds the request
 * whose context the loop is running (the request's own duplicated context: also in its asynchronous
 * continuations) and names it {@code METHOD /pattern} or {@code METHOD /path}. Cost per request: one small
 * object and two plain stores.
 */
public final class AttributionMetrics implements VertxMetricsFactory {

  private final VertxMetricsFactory delegate;

  /** @param delegate the application's own metrics factory, or {@code null} for none */
  public AttributionMetrics(VertxMetricsFactory delegate) {
    this.delegate = delegate;
  }

  @Override
  public VertxMetrics metrics(VertxOptions options) {
    return wrap(delegate == null ? null : delegate.metrics(options));
  }

  @Override
  public MetricsOptions newOptions() {
    return delegate == null ? new MetricsOptions() : delegate.newOptions();
  }

  @Override
  public MetricsOptions newOptions(MetricsOptions options) {
    return delegate == null ? new MetricsOptions(options.toJson()) : delegate.newOptions(options);
  }

  @Override
  public MetricsOptions newOptions(JsonObject json) {
    return delegate == null ? new MetricsOptions(json) : delegate.newOptions(json);
  }

  /** @return {@code inner} (may be {@code null}) with HTTP attribution added; idempotent */
  public static VertxMetrics wrap(VertxMetrics inner) {
    return inner instanceof Attributing ? inner : new Attributing(inner);
  }

  /** Forwards every call to the application's metrics; adds the HTTP server request marks. */
  static final class Attributing implements VertxMetrics {
    private final VertxMetrics d;

    Attributing(VertxMetrics d) {
      this.d = d;
    }

    @Override
    public EventBusMetrics createEventBusMetrics() {
      return d == null ? VertxMetrics.super.createEventBusMetrics() : d.createEventBusMetrics();
    }

    @Override
    @SuppressWarnings("unchecked")
    public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress localAddress) {
      HttpServerMetrics<?, ?, ?> inner = d == null ? null : d.createHttpServerMetrics(options, localAddress);
      return new ServerMetrics((HttpServerMetrics<Object, Object, Object>) inner);
    }

    @Override
    public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remoteAddress, String type, String namespace) {
      return d == null ? VertxMetrics.super.createClientMetrics(remoteAddress, type, namespace)
        : d.createClientMetrics(remoteAddress, type, namespace);
    }

    @Override
    public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
      return d == null ? VertxMetrics.super.createHttpClientMetrics(options) : d.createHttpClientMetrics(options);
    }

    @Override
    public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress localAddress) {
      return d == null ? VertxMetrics.super.createNetServerMetrics(options, localAddress) : d.createNetServerMetrics(options, localAddress);
    }

    @Override
    public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
      return d == null ? VertxMetrics.super.createNetClientMetrics(options) : d.createNetClientMetrics(options);
    }

    @Override
    public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
      return d == null ? VertxMetrics.super.createDatagramSocketMetrics(options) : d.createDatagramSocketMetrics(options);
    }

    @Override
    public PoolMetrics<?, ?> createPoolMetrics(String poolType, String poolName, int maxPoolSize) {
      return d == null ? VertxMetrics.super.createPoolMetrics(poolType, poolName, maxPoolSize) : d.createPoolMetrics(poolType, poolName, maxPoolSize);
    }

    @Override
    public void vertxCreated(Vertx vertx) {
      if (d != null) {
        d.vertxCreated(vertx);
      }
    }

    @Override
    public boolean isMetricsEnabled() {
      return d != null && d.isMetricsEnabled();
    }

    @Override
    public void close() {
      if (d != null) {
        d.close();
      }
    }
  }

  /** One HTTP request as the metrics SPI sees it: the application's own metric, and what attribution needs. */
  public static final class RequestMark {
    final Object delegate;
    final HttpRequest request;
    /** The pattern of the last route vertx-web matched (written on the request's loop, read after a stall). */
    volatile String route;

    RequestMark(Object delegate, HttpRequest request) {
      this.delegate = delegate;
      this.request = request;
    }

    /** @return {@code METHOD /pattern}, or {@code METHOD /path} when no route was matched */
    String text() {
      String pattern = route;
      return request.method().name() + " " + (pattern != null ? pattern : ThreadSlot.pathOf(request.uri()));
    }
  }

  private static Object unwrap(Object metric) {
    return metric instanceof RequestMark ? ((RequestMark) metric).delegate : metric;
  }

  /** The HTTP server metrics: marks each request; forwards everything, with the application's own metric objects. */
  static final class ServerMetrics implements HttpServerMetrics<Object, Object, Object> {
    private final HttpServerMetrics<Object, Object, Object> d;

    ServerMetrics(HttpServerMetrics<Object, Object, Object> d) {
      this.d = d;
    }

    @Override
    public Object requestBegin(Object socketMetric, HttpRequest request) {
      Object inner = d == null ? null : d.requestBegin(socketMetric, request);
      RequestMark mark = new RequestMark(inner, request);
      ThreadSlot.current().requestBegun(mark);
      return mark;
    }

    @Override
    public void requestEnd(Object requestMetric, HttpRequest request, long bytesRead) {
      if (d != null) {
        d.requestEnd(unwrap(requestMetric), request, bytesRead);
      }
    }

    @Override
    public void requestReset(Object requestMetric) {
      if (d != null) {
        d.requestReset(unwrap(requestMetric));
      }
    }

    @Override
    public void responseBegin(Object requestMetric, HttpResponse response) {
      if (d != null) {
        d.responseBegin(unwrap(requestMetric), response);
      }
    }

    @Override
    public Object responsePushed(Object socketMetric, HttpMethod method, String uri, HttpResponse response) {
      return d == null ? null : d.responsePushed(socketMetric, method, uri, response);
    }

    @Override
    public void responseEnd(Object requestMetric, HttpResponse response, long bytesWritten) {
      if (d != null) {
        d.responseEnd(unwrap(requestMetric), response, bytesWritten);
      }
    }

    @Override
    public Object connected(Object socketMetric, Object requestMetric, ServerWebSocket serverWebSocket) {
      return d == null ? null : d.connected(socketMetric, unwrap(requestMetric), serverWebSocket);
    }

    @Override
    public void disconnected(Object serverWebSocketMetric) {
      if (d != null) {
        d.disconnected(serverWebSocketMetric);
      }
    }

    @Override
    public void requestRouted(Object requestMetric, String route) {
      if (requestMetric instanceof RequestMark && route != null) {
        ((RequestMark) requestMetric).route = route;
      }
      if (d != null) {
        d.requestRouted(unwrap(requestMetric), route);
      }
    }

    @Override
    public Object connected(SocketAddress remoteAddress, String remoteName) {
      return d == null ? null : d.connected(remoteAddress, remoteName);
    }

    @Override
    public void disconnected(Object socketMetric, SocketAddress remoteAddress) {
      if (d != null) {
        d.disconnected(socketMetric, remoteAddress);
      }
    }

    @Override
    public void bytesRead(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      if (d != null) {
        d.bytesRead(socketMetric, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void bytesWritten(Object socketMetric, SocketAddress remoteAddress, long numberOfBytes) {
      if (d != null) {
        d.bytesWritten(socketMetric, remoteAddress, numberOfBytes);
      }
    }

    @Override
    public void exceptionOccurred(Object socketMetric, SocketAddress remoteAddress, Throwable t) {
      if (d != null) {
        d.exceptionOccurred(socketMetric, remoteAddress, t);
      }
    }

    @Override
    public void close() {
      if (d != null) {
        d.close();
      }
    }
  }
}
