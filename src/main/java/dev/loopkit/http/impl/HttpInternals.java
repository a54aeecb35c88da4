package dev.loopkit.http.impl;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * The only place the front reaches below Vert.x's public API (Vert.x 5.0.7, Netty 4.2): two things the
 * public API cannot see are added to each HTTP/1.x connection's Netty pipeline when it is accepted, and
 * a connection can be closed without waiting for a client that does not read ({@link #forceClose}).
 *
 * <ul>
 *   <li><b>A request with both {@code Content-Length} and {@code Transfer-Encoding: chunked}</b> (RFC 9112
 *   §6.1, the request-smuggling shape). Netty's decoder silently drops the {@code Content-Length} header
 *   before Vert.x sees the request, so no handler can tell. Vert.x's decoder is replaced by a subclass
 *   that marks such a request as malformed ({@link AmbiguousLength}); Vert.x then hands it to the invalid
 *   request handler, which answers 400 and closes the connection.</li>
 *   <li><b>The first byte of a request head.</b> A handler sees a request only once its head is complete;
 *   a tap in front of the decoder reports every read, so the front can start the head deadline when the
 *   head begins, not when the connection went idle.</li>
 * </ul>
 *
 * If the pipeline is not the expected shape (another Vert.x version, HTTP/2, a connection already turned
 * into a socket), nothing is changed and {@link #install} returns false: the front then still bounds a
 * slow head by its idle deadline, and sees {@code Content-Length} with {@code Transfer-Encoding: chunked}
 * as a chunked request.
 */
public final class HttpInternals {

  private static final String DECODER = "httpDecoder";
  private static final String TAP = "loopkitReadTap";

  /** Why a request with both {@code Content-Length} and {@code Transfer-Encoding: chunked} is malformed. */
  public static final class AmbiguousLength extends RuntimeException {
    AmbiguousLength() {
      super("both Content-Length and Transfer-Encoding are set (RFC 9112 §6.1); send one of them", null, false, false);
    }
  }

  private HttpInternals() {
  }

  /**
   * Installs the strict decoder and the read tap on {@code connection}; call it from the server's
   * connection handler (before any byte of the connection has been decoded).
   *
   * @param onRead called on the connection's event loop for every read with at least one byte
   * @return whether both were installed
   */
  public static boolean install(HttpConnection connection, HttpServerOptions options, Runnable onRead) {
    try {
      if (!(connection instanceof ConnectionBase)) {
        return false;
      }
      ChannelPipeline pipeline = ((ConnectionBase) connection).channelHandlerContext().pipeline();
      ChannelHandler decoder = pipeline.get(DECODER);
      if (decoder == null || decoder.getClass() != VertxHttpRequestDecoder.class) {
        return false;
      }
      pipeline.replace(DECODER, DECODER, new StrictDecoder(options));
      pipeline.addBefore(DECODER, TAP, new ReadTap(onRead));
      return true;
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /**
   * Closes {@code connection} now. Vert.x's own {@code close()} (and a plain {@code channel.close()},
   * which Vert.x's handler intercepts) first flushes what is queued and closes when that write completes —
   * never, when the client has stopped reading: a deadline must not wait for the client it is enforced
   * on. The close is issued from the head of the pipeline, below Vert.x's handler. Falls back to
   * {@code close()} when the channel cannot be reached.
   */
  public static void forceClose(HttpConnection connection) {
    try {
      if (connection instanceof ConnectionBase) {
        ChannelHandlerContext first = ((ConnectionBase) connection).channel().pipeline().firstContext();
        if (first != null) {
          first.close();
          return;
        }
      }
    } catch (RuntimeException | LinkageError e) {
      // fall through
    }
    connection.close();
  }

  /** Vert.x's request decoder, refusing {@code Content-Length} together with chunked transfer coding. */
  private static final class StrictDecoder extends VertxHttpRequestDecoder {
    StrictDecoder(HttpServerOptions options) {
      super(options);
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
      super.handleTransferEncodingChunkedWithContentLength(message);
      message.setDecoderResult(DecoderResult.failure(new AmbiguousLength()));
    }
  }

  /** Reports each read that carries bytes. */
  private static final class ReadTap extends ChannelInboundHandlerAdapter {
    private final Runnable onRead;

    ReadTap(Runnable onRead) {
      this.onRead = onRead;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
      if (msg instanceof ByteBuf && ((ByteBuf) msg).isReadable()) {
        try {
          onRead.run();
        } catch (RuntimeException ignored) {
          // the tap must never break the connection's pipeline
        }
      }
      ctx.fireChannelRead(msg);
    }
  }
}
