package dev.loopkit.hostile;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A hostile HTTP upstream for fetch tests: a raw {@link NetServer} on 127.0.0.1 (ephemeral port) that reads
 * each request head and answers with exactly the bytes a {@link Script} writes — no HTTP library in between,
 * so malformed status lines, interim-response storms, oversized heads, endless bodies and resets are what
 * the client really sees. Counts accepted and open connections; timers a script starts stop when the
 * connection closes. Closing a socket sends a RST ({@code SO_LINGER 0}), like a crashed upstream, unless the
 * script is {@link #graceful}.
 */
public final class RawUpstream {

  /** What the upstream does with one request head on one connection. */
  @FunctionalInterface
  public interface Script {
    void answer(Vertx vertx, NetSocket socket, String requestHead);
  }

  private final NetServer server;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();

  /** A script whose connections close with a FIN (an orderly close) instead of a RST. */
  public interface Graceful extends Script {
  }

  private RawUpstream(Vertx vertx, Script script) {
    NetServerOptions options = new NetServerOptions();
    if (!(script instanceof Graceful)) {
      options.setSoLinger(0);
    }
    this.server = vertx.createNetServer(options).connectHandler(so -> {
      accepted.incrementAndGet();
      open.incrementAndGet();
      so.closeHandler(v -> open.decrementAndGet());
      StringBuilder pending = new StringBuilder();
      so.handler(b -> {
        pending.append(b.toString(StandardCharsets.ISO_8859_1));
        int end;
        while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
          String head = pending.substring(0, end + 4);
          pending.delete(0, end + 4);
          requests.incrementAndGet();
          script.answer(vertx, so, head);
        }
      });
    });
  }

  /** Starts an upstream answering every request with {@code script}. */
  public static Future<RawUpstream> start(Vertx vertx, Script script) {
    RawUpstream u = new RawUpstream(vertx, script);
    return u.server.listen(0, "127.0.0.1").map(s -> u);
  }

  public int port() {
    return server.actualPort();
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public String base() {
    return "http://127.0.0.1:" + port();
  }

  public int accepted() {
    return accepted.get();
  }

  public int open() {
    return open.get();
  }

  /** @return request heads read so far */
  public int requests() {
    return requests.get();
  }

  public Future<Void> close() {
    return server.close();
  }

  // ---- scripts ----

  /** Writes {@code bytes} (ISO-8859-1) and keeps the connection open. */
  public static Script write(String bytes) {
    return (vertx, so, head) -> so.write(latin1(bytes));
  }

  /** Writes {@code bytes}, then closes the connection (a RST). */
  public static Script writeAndClose(String bytes) {
    return (vertx, so, head) -> so.write(latin1(bytes)).onComplete(v -> so.close());
  }

  /** {@code script}, with connections closed in order (FIN) rather than reset. */
  public static Script graceful(Script script) {
    return (Graceful) script::answer;
  }

  /** Reads the request and never answers. */
  public static Script hang() {
    return (vertx, so, head) -> { };
  }

  /** Writes {@code first}, then {@code each} every {@code intervalMs} until the client goes away. */
  public static Script forever(String first, String each, long intervalMs) {
    return (vertx, so, head) -> {
      so.write(latin1(first));
      long timer = vertx.setPeriodic(intervalMs, t -> so.write(latin1(each)));
      so.endHandler(v -> vertx.cancelTimer(timer)); // closeHandler is RawUpstream's
    };
  }

  /** Writes {@code bytes} one byte every {@code intervalMs}. */
  public static Script drip(String bytes, long intervalMs) {
    return (vertx, so, head) -> {
      int[] at = {0};
      long timer = vertx.setPeriodic(intervalMs, t -> {
        if (at[0] < bytes.length()) {
          so.write(latin1(bytes.substring(at[0], at[0] + 1)));
          at[0]++;
        }
      });
      so.endHandler(v -> vertx.cancelTimer(timer)); // closeHandler is RawUpstream's
    };
  }

  /** @return {@code bytes} as ISO-8859-1 */
  public static Buffer latin1(String bytes) {
    return Buffer.buffer(bytes.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** @return a complete response: status line, headers, content-length and body */
  public static String response(int status, String reason, String contentType, String body) {
    return "HTTP/1.1 " + status + " " + reason + "\r\n" + (contentType == null ? "" : "content-type: " + contentType + "\r\n")
      + "content-length: " + body.getBytes(StandardCharsets.ISO_8859_1).length + "\r\n\r\n" + body;
  }
}
