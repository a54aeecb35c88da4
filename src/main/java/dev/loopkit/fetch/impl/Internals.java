package dev.loopkit.fetch.impl;

import dev.loopkit.bus.LogValues;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxException;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.HttpClientConnectionInternal;
import io.vertx.core.internal.VertxInternal;

import java.net.InetAddress;
import java.util.ArrayDeque;

/**
 * The one place where the fetch engine reaches below Vert.x's public API (5.0.7): the name resolver, the
 * event loops its shards run on ({@link #shardContexts}), and a
 * Netty handler installed on every client connection between the HTTP codec and Vert.x's connection handler,
 * the {@link Guard}.
 *
 * <p>Why the guard: Vert.x 5.0.7's HTTP/1.x client handles {@code 100 Continue} and {@code 103 Early Hints}
 * but takes any other interim response ({@code 102 Processing}, {@code 104}–{@code 199}) as the final one —
 * the request "completes" with status 102 and the real response then fails the connection ("Received an
 * HTTP message with no request in progress"). The guard drops every interim response before Vert.x sees it,
 * and turns what would otherwise be taken at face value or logged at ERROR by Vert.x into an
 * {@link InvalidResponseException} for the request on the wire: a malformed head or chunk, a version other
 * than HTTP/1.0 and 1.1, a status outside 100–599, an unsolicited {@code 101}, more than {@value #MAX_HEADERS} header fields, more than
 * {@value #MAX_INTERIM} interim responses in a row.
 */
final class Internals {

  /** Interim (1xx) responses tolerated before one final response. */
  static final int MAX_INTERIM = 20;
  /** Header fields tolerated in one response head (their total size is bounded by {@link #MAX_HEAD_BYTES}). */
  static final int MAX_HEADERS = 100;
  /** Largest response head (status line excluded), the client's {@code maxHeaderSize}. */
  static final int MAX_HEAD_BYTES = 8192;
  /** Longest status line, the client's {@code maxInitialLineLength}. */
  static final int MAX_STATUS_LINE = 4096;

  private static final String NAME = "loopkit-response-guard";

  private Internals() {
  }

  /**
   * Event-loop contexts for the engine's shards: {@code primary} first (it must be an event-loop context),
   * then one new context on each other event loop of {@code vertx}, up to {@code count} in all ({@code 0}:
   * every loop). Public API only reaches a loop through {@code getOrCreateContext} from a non-Vert.x
   * thread (round-robin, no way to ask for a given loop); {@code VertxInternal.contextBuilder()} names it.
   */
  static java.util.List<io.vertx.core.Context> shardContexts(Vertx vertx, io.vertx.core.Context primary, int count) {
    VertxInternal vi = (VertxInternal) vertx;
    io.netty.channel.EventLoop own = ((io.vertx.core.internal.ContextInternal) primary).nettyEventLoop();
    java.util.List<io.vertx.core.Context> out = new java.util.ArrayList<>();
    out.add(primary);
    for (io.netty.util.concurrent.EventExecutor e : vi.eventLoopGroup()) {
      if (count > 0 && out.size() >= count) {
        break;
      }
      if (e != own && e instanceof io.netty.channel.EventLoop) {
        out.add(vi.contextBuilder().withThreadingModel(io.vertx.core.ThreadingModel.EVENT_LOOP)
          .withEventLoop((io.netty.channel.EventLoop) e).build());
      }
    }
    return out;
  }

  /** Resolves {@code host} with Vert.x's resolver (hosts file, then DNS). */
  static Future<InetAddress> resolve(Vertx vertx, String host) {
    return ((VertxInternal) vertx).nameResolver().resolve(host);
  }

  /**
   * Installs the {@link Guard} on a new client connection (from the client's connect handler, before any
   * request is written on it).
   *
   * @return whether it was installed (false: not a Vert.x 5.0.7 HTTP/1.x connection)
   */
  static boolean guard(HttpConnection connection) {
    if (!(connection instanceof HttpClientConnectionInternal)) {
      return false;
    }
    ChannelPipeline pipeline = ((HttpClientConnectionInternal) connection).channelHandlerContext().pipeline();
    if (pipeline.get("codec") == null || pipeline.get("handler") == null || pipeline.get(NAME) != null) {
      return false;
    }
    pipeline.addBefore("handler", NAME, new Guard());
    return true;
  }

  /** A response the engine refuses to take at face value; the exchange reports it INVALID_RESPONSE. */
  static final class InvalidResponseException extends VertxException {
    InvalidResponseException(String message) {
      super(message, true);
    }
  }

  /**
   * Per connection: drops interim responses, fails the connection on malformed or oversized heads. It also
   * sees the requests going out, for one more 5.0.7 (Netty 4.2.9) quirk: the codec forgets a request's method
   * when an interim response comes first, so the final response to a {@code HEAD} would be read as having the
   * body its {@code content-length} announces. The guard ends such a response at its head and closes the
   * connection (its framing can no longer be trusted).
   */
  static final class Guard extends ChannelDuplexHandler {

    private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>();
    private int interim;
    private boolean dropUntilLast;
    private boolean broken;

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
      if (msg instanceof HttpRequest) {
        methods.addLast(((HttpRequest) msg).method());
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (broken) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (msg instanceof HttpObject) {
        HttpObject o = (HttpObject) msg;
        if (o.decoderResult().isFailure()) {
          Throwable cause = o.decoderResult().cause();
          fail(ctx, msg, "malformed response " + (msg instanceof HttpResponse ? "head" : "body framing") + ": "
            + cause.getClass().getSimpleName() + " " + LogValues.quote(cause.getMessage()));
          return;
        }
        if (msg instanceof HttpResponse) {
          HttpResponse r = (HttpResponse) msg;
          HttpVersion version = r.protocolVersion();
          if (!HttpVersion.HTTP_1_1.equals(version) && !HttpVersion.HTTP_1_0.equals(version)) {
            fail(ctx, msg, "version " + LogValues.quote(version.text()) + " is not HTTP/1.1 or HTTP/1.0");
            return;
          }
          int code = r.status().code();
          if (code < 100 || code > 599) {
            fail(ctx, msg, "status " + code + " is not in 100-599");
            return;
          }
          if (code == 101) {
            fail(ctx, msg, "unsolicited 101 Switching Protocols (no upgrade was asked for)");
            return;
          }
          if (code < 200) {
            if (++interim > MAX_INTERIM) {
              fail(ctx, msg, "more than " + MAX_INTERIM + " interim (1xx) responses before a final one");
              return;
            }
            // the codec follows an interim head with an empty last content: drop both
            dropUntilLast = !(msg instanceof LastHttpContent);
            ReferenceCountUtil.release(msg);
            return;
          }
          boolean afterInterim = interim > 0;
          interim = 0;
          HttpMethod method = methods.pollFirst();
          if (r.headers().size() > MAX_HEADERS) {
            fail(ctx, msg, "more than " + MAX_HEADERS + " header fields (" + r.headers().size() + ")");
            return;
          }
          if (afterInterim && HttpMethod.HEAD.equals(method) && !(msg instanceof LastHttpContent)) {
            broken = true; // whatever the codec reads next is not a body: drop it, the connection closes
            // and Vert.x must not give it back to the pool meanwhile (the next request would get a closing one)
            r.headers().set(io.netty.handler.codec.http.HttpHeaderNames.CONNECTION, io.netty.handler.codec.http.HttpHeaderValues.CLOSE);
            ctx.fireChannelRead(msg);
            ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            ctx.close();
            return;
          }
        } else if (dropUntilLast && msg instanceof HttpContent) {
          dropUntilLast = !(msg instanceof LastHttpContent);
          ReferenceCountUtil.release(msg);
          return;
        }
      }
      ctx.fireChannelRead(msg);
    }

    private void fail(ChannelHandlerContext ctx, Object msg, String why) {
      broken = true;
      ReferenceCountUtil.release(msg);
      // Vert.x's handler fails every stream of the connection with this exception, then closes it
      ctx.fireExceptionCaught(new InvalidResponseException(why));
    }
  }
}
