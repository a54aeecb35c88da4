package dev.loopkit.http.impl;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.http.HttpFrontOptions;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The front's request handler, in front of the router: it checks a request's framing, reads its body
 * within the limits, and only then routes it. Every refusal here is answered and the connection closed
 * (the rest of a refused body is never read):
 *
 * <ul>
 *   <li>{@code Transfer-Encoding} with {@code Content-Length}, a transfer coding other than one
 *   {@code chunked}, {@code Transfer-Encoding} in HTTP/1.0, a {@code Content-Length} that is not 1–18 ASCII
 *   digits, or given twice: 400.</li>
 *   <li>{@code Content-Length} over {@code maxBodyBytes}: 413 at once, without {@code 100 Continue}; a
 *   chunked body that grows past it: 413 when it does.</li>
 *   <li>An {@code Expect} other than {@code 100-continue}: 417.</li>
 *   <li>All connections together holding {@code maxBufferedBodyBytes} of bodies: 503.</li>
 *   <li>A body not complete within {@code requestBodyTimeoutMs} of its head: 408.</li>
 *   <li>A request the HTTP decoder could not parse ({@link #invalid}): 414, 431 or 400.</li>
 * </ul>
 *
 * Otherwise {@code 100 Continue} is sent when asked for, the body is read into memory (the route takes it
 * with {@link Connections.Conn#takeBody()}), and the request goes to the router once the previous
 * answer on its connection has been written out. Nothing is logged above DEBUG: all of this is caused by
 * clients.
 */
public final class Intake implements Handler<HttpServerRequest> {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.http");

  private final HttpFrontOptions options;
  private final Connections connections;
  private final Handler<HttpServerRequest> router;

  public Intake(HttpFrontOptions options, Connections connections, Handler<HttpServerRequest> router) {
    this.options = options;
    this.connections = connections;
    this.router = router;
  }

  @Override
  public void handle(HttpServerRequest req) {
    Connections.Conn conn = connections.of(req.connection());
    if (conn == null) {
      HttpInternals.forceClose(req.connection());
      return;
    }
    if (conn.isClosing()) {
      return; // pipelined behind a refusal: the connection is about to close, nothing more is answered
    }
    String framing = framing(req);
    if (framing != null) {
      refuse(req, conn, 400, framing);
      return;
    }
    String length = req.getHeader("content-length");
    long declared = length == null ? -1 : Long.parseLong(length.trim());
    boolean chunked = req.headers().contains("transfer-encoding");
    if (declared > options.getMaxBodyBytes()) {
      refuse(req, conn, 413, "body: Content-Length " + declared + " is over " + options.getMaxBodyBytes()
        + " bytes (http.maxBodyBytes)");
      return;
    }
    List<String> expect = req.headers().getAll("expect");
    boolean sendContinue = false;
    if (!expect.isEmpty()) {
      if (expect.size() != 1 || !"100-continue".equalsIgnoreCase(expect.get(0).trim())) {
        refuse(req, conn, 417, "header Expect: only 100-continue is supported, got " + LogValues.quote(String.join(", ", expect)));
        return;
      }
      sendContinue = req.version() == HttpVersion.HTTP_1_1 && (chunked || declared > 0);
    }
    if (declared > 0 && !conn.reserve(declared)) {
      refuse(req, conn, 503, "the front holds " + connections.bufferedBodyBytes() + " bytes of request bodies now "
        + "(http.maxBufferedBodyBytes " + options.getMaxBufferedBodyBytes() + "); retry later");
      return;
    }
    conn.bodyStarted(() -> Answers.error(req.response(), 408, "request body not complete within "
      + options.getRequestBodyTimeoutMs() + " ms of its head (http.requestBodyTimeoutMs)", req.connection()));
    read(req, conn, declared);
    if (sendContinue) {
      req.response().writeContinue();
    }
  }

  private void read(HttpServerRequest req, Connections.Conn conn, long declared) {
    int max = options.getMaxBodyBytes();
    Buffer body = declared > 0 ? Buffer.buffer((int) Math.min(declared, 64 * 1024)) : Buffer.buffer(0);
    boolean[] stopped = {false};
    req.handler(chunk -> {
      if (stopped[0]) {
        return;
      }
      if (body.length() + (long) chunk.length() > max) {
        stopped[0] = true;
        refuse(req, conn, 413, "body: more than " + max + " bytes (http.maxBodyBytes)");
        return;
      }
      if (declared < 0 && !conn.reserve(chunk.length())) {
        stopped[0] = true;
        refuse(req, conn, 503, "the front holds " + connections.bufferedBodyBytes() + " bytes of request bodies now "
          + "(http.maxBufferedBodyBytes " + options.getMaxBufferedBodyBytes() + "); retry later");
        return;
      }
      body.appendBuffer(chunk);
    });
    req.exceptionHandler(t -> {
      stopped[0] = true;
      if (LOG.isDebugEnabled()) {
        LOG.debug("http front: request from {} failed while its body was read: {}", req.connection().remoteAddress(),
          LogValues.safe(String.valueOf(t), 200));
      }
    });
    req.endHandler(v -> {
      if (stopped[0]) {
        return;
      }
      stopped[0] = true;
      conn.release();
      conn.body = body;
      dispatch(req, conn);
    });
  }

  private void dispatch(HttpServerRequest req, Connections.Conn conn) {
    HttpServerResponse response = req.response();
    if (response.writeQueueFull()) {
      // the previous answer on this connection is still being written: a client that sends without reading
      // must not make the front queue answer after answer
      conn.draining();
      response.drainHandler(v -> route(req, conn));
    } else {
      route(req, conn);
    }
  }

  private void route(HttpServerRequest req, Connections.Conn conn) {
    conn.serving(req);
    // The answer's end is watched here, not through the router (which fails some requests — no Host, a
    // path not starting with '/' — before any route runs); nothing else sets the response's end handler.
    req.response().endHandler(v -> answered(req));
    router.handle(req);
  }

  /** The route's answer has been written: the connection is idle again. */
  private void answered(HttpServerRequest req) {
    Connections.Conn conn = connections.of(req.connection());
    if (conn != null) {
      conn.body = null;
      conn.answered();
    }
  }

  /** The server's invalid-request handler: a request the HTTP decoder could not parse. */
  public void invalid(HttpServerRequest req) {
    Throwable cause = req.decoderResult().cause();
    int status;
    String message;
    if (cause instanceof TooLongHttpLineException) {
      status = 414;
      message = "request line longer than " + HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH + " bytes";
    } else if (cause instanceof TooLongHttpHeaderException) {
      status = 431;
      message = "request header fields larger than " + HttpServerOptions.DEFAULT_MAX_HEADER_SIZE + " bytes";
    } else if (cause instanceof HttpInternals.AmbiguousLength) {
      status = 400;
      message = cause.getMessage();
    } else if (cause instanceof TooLongFrameException) {
      status = 400;
      message = "malformed HTTP request: " + LogValues.safe(String.valueOf(cause.getMessage()), 160);
    } else {
      status = 400;
      message = "malformed HTTP request: " + LogValues.safe(cause == null ? "unknown" : String.valueOf(cause.getMessage()), 160);
    }
    Connections.Conn conn = connections.of(req.connection());
    if (conn != null && conn.isClosing()) {
      return; // pipelined behind a refusal: the connection is about to close, nothing more is answered
    }
    refuse(req, conn, status, message);
  }

  private void refuse(HttpServerRequest req, Connections.Conn conn, int status, String message) {
    if (LOG.isDebugEnabled()) {
      LOG.debug("http front: {} to {}: {}", status, req.connection().remoteAddress(), message);
    }
    HttpConnection connection = req.connection();
    if (conn != null) {
      conn.release();
      conn.closing();
    }
    Answers.error(req.response(), status, message, connection);
  }

  /** @return why the request's framing is refused, or null when it is fine */
  static String framing(HttpServerRequest req) {
    List<String> te = req.headers().getAll("transfer-encoding");
    List<String> cl = req.headers().getAll("content-length");
    if (!te.isEmpty()) {
      if (!cl.isEmpty()) {
        return "both Content-Length and Transfer-Encoding are set (RFC 9112 §6.1); send one of them";
      }
      if (req.version() != HttpVersion.HTTP_1_1) {
        return "Transfer-Encoding in an HTTP/1.0 request";
      }
      if (te.size() != 1 || !"chunked".equalsIgnoreCase(te.get(0).trim())) {
        return "header Transfer-Encoding: only \"chunked\" is accepted, got " + LogValues.quote(String.join(", ", te));
      }
    }
    if (cl.size() > 1) {
      return "header Content-Length given " + cl.size() + " times";
    }
    if (cl.size() == 1 && !digits(cl.get(0).trim())) {
      return "header Content-Length must be 1 to 18 ASCII digits, got " + LogValues.quote(cl.get(0));
    }
    return null;
  }

  private static boolean digits(String s) {
    if (s.isEmpty() || s.length() > 18) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }
}
