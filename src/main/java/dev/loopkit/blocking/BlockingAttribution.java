package dev.loopkit.blocking;

import dev.loopkit.blocking.impl.AttributionMetrics;
import dev.loopkit.blocking.impl.ThreadSlot;
import dev.loopkit.blocking.impl.VertxInternals;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.ext.web.RoutingContext;

import java.util.concurrent.Callable;

/**
 * Tells the blocking checker what a thread is handling, so incidents name it. Event-bus addresses are
 * recorded automatically (an inbound interceptor installed by the checker). HTTP requests — method and path,
 * and with vertx-web the pattern of the matched route — are recorded automatically through Vert.x's metrics
 * SPI, for plain {@code requestHandler}s and Routers alike, in the request's continuations too, when the
 * Vert.x instance is built with {@link #metrics(VertxMetricsFactory)} (one line where Vert.x is built; it
 * wraps your own metrics, e.g. Micrometer, and forwards every call to them) or, with no line of code, when
 * {@link BlockingAttributionProvider} is registered as a {@code VertxServiceProvider} (e.g. in your tests'
 * resources). A known block can be allowed with a reason.
 *
 * <pre>{@code
 * // HTTP attribution for every server of this Vert.x, composing with your Micrometer metrics
 * Vertx vertx = Vertx.builder().with(options).withMetrics(BlockingAttribution.metrics(new MicrometerMetricsFactory())).build();
 * // or by hand, for one server or router (any Vert.x instance):
 * server.requestHandler(BlockingAttribution.requests(router));
 * router.route().handler(BlockingAttribution.routes());
 * // a block you accept (logged at INFO, not failing tests)
 * BlockingAttribution.allow("legacy SDK has no async API, LOOP-12", () -> legacy.call());
 * }</pre>
 *
 * The hooks cost a thread-local lookup and a few plain (opaque) stores per request — the route text is made
 * from the request only when an incident needs it — and work whether or not a checker is running.
 */
public final class BlockingAttribution {

  /**
   * The context each hook records when the thread's own cannot be read per incident (module path); on the
   * class path the watchdog reads it from the stalled thread, so the hooks skip it.
   */
  private static final boolean CAPTURE_CONTEXT = !VertxInternals.contextReadable();

  private BlockingAttribution() {
  }

  /**
   * @param metrics your own metrics factory (e.g. {@code new MicrometerMetricsFactory()}), or {@code null} for
   * none: every metrics call is forwarded to it unchanged
   * @return a metrics factory for {@code Vertx.builder().withMetrics(...)} that also records, for the blocking
   * checker, which HTTP request (method, path, vertx-web route pattern) each event loop is handling
   */
  public static VertxMetricsFactory metrics(VertxMetricsFactory metrics) {
    return new AttributionMetrics(metrics);
  }

  /** @return {@link #metrics(VertxMetricsFactory)} without metrics of your own */
  public static VertxMetricsFactory metrics() {
    return metrics(null);
  }

  /** @return {@code next}, wrapped so that blocking while it runs is attributed to {@code METHOD /path} */
  public static Handler<HttpServerRequest> requests(Handler<HttpServerRequest> next) {
    return req -> {
      ThreadSlot slot = ThreadSlot.current();
      Object prevRoute = slot.routeSource();
      String prevAddress = slot.address();
      Context prevContext = CAPTURE_CONTEXT ? slot.context() : null;
      slot.route(req);
      slot.address(null);
      if (CAPTURE_CONTEXT) {
        slot.context(Vertx.currentContext());
      }
      try {
        next.handle(req);
      } finally {
        slot.route(prevRoute);
        slot.address(prevAddress);
        if (CAPTURE_CONTEXT) {
          slot.context(prevContext);
        }
      }
    };
  }

  /**
   * @return a vertx-web handler to put first ({@code router.route().handler(...)}): blocking in the
   * handlers that follow synchronously is attributed to {@code METHOD /pattern} — the pattern of the route
   * running when the loop blocked (e.g. {@code GET /items/:id}), or the normalised path when it has none
   */
  public static Handler<RoutingContext> routes() {
    return rc -> {
      ThreadSlot slot = ThreadSlot.current();
      Object prevRoute = slot.routeSource();
      String prevAddress = slot.address();
      Context prevContext = CAPTURE_CONTEXT ? slot.context() : null;
      slot.route(rc);
      slot.address(null);
      if (CAPTURE_CONTEXT) {
        slot.context(Vertx.currentContext());
      }
      try {
        rc.next();
      } finally {
        slot.route(prevRoute);
        slot.address(prevAddress);
        if (CAPTURE_CONTEXT) {
          slot.context(prevContext);
        }
      }
    };
  }

  /**
   * Runs {@code body}, marking a block it causes as allowed: the incident is still published, with
   * {@code "allowed": reason}, logged at INFO, and {@link BlockingExtension} does not fail the test.
   */
  public static void allow(String reason, Runnable body) {
    ThreadSlot slot = ThreadSlot.current();
    String prev = slot.allowReason();
    slot.allowReason(requireReason(reason));
    try {
      body.run();
    } finally {
      slot.allowReason(prev);
    }
  }

  /** Like {@link #allow(String, Runnable)}, returning {@code body}'s result. */
  public static <T> T allow(String reason, Callable<T> body) throws Exception {
    ThreadSlot slot = ThreadSlot.current();
    String prev = slot.allowReason();
    slot.allowReason(requireReason(reason));
    try {
      return body.call();
    } finally {
      slot.allowReason(prev);
    }
  }

  private static String requireReason(String reason) {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("allow(reason, ...): give the reason the block is acceptable, e.g. a ticket");
    }
    return reason;
  }
}
