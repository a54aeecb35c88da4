package dev.loopkit.hostile;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;

import java.nio.charset.StandardCharsets;

/**
 * A raw TCP client for framing tests: writes exactly the bytes given (no HTTP library in between), then
 * collects everything the server sends until the server closes the connection or {@code waitMs} passes.
 * Built on Vert.x's {@link NetClient}, so nothing blocks a thread.
 */
public final class RawClient {

  /** What the server answered. */
  public record Exchange(Buffer received, boolean closedByServer, long elapsedMs) {

    /** @return the received bytes as ISO-8859-1 text (HTTP heads are octets) */
    public String text() {
      return received.toString(StandardCharsets.ISO_8859_1);
    }

    /** @return the status code of the first HTTP response, or -1 when none arrived */
    public int status() {
      String t = text();
      if (!t.startsWith("HTTP/1.")) {
        return -1;
      }
      int sp = t.indexOf(' ');
      try {
        return Integer.parseInt(t.substring(sp + 1, sp + 4));
      } catch (RuntimeException e) {
        return -1;
      }
    }

    /** @return how many HTTP responses (status lines) were received */
    public int responses() {
      String t = text();
      int n = 0;
      for (int i = t.indexOf("HTTP/1."); i >= 0; i = t.indexOf("HTTP/1.", i + 1)) {
        if (i == 0 || t.charAt(i - 1) == '\n') {
          n++;
        }
      }
      return n;
    }
  }

  private RawClient() {
  }

  /** Sends {@code request} (ISO-8859-1) to 127.0.0.1:{@code port}; see the class comment. */
  public static Future<Exchange> exchange(Vertx vertx, int port, String request, long waitMs) {
    return exchange(vertx, port, Buffer.buffer(request.getBytes(StandardCharsets.ISO_8859_1)), waitMs);
  }

  /** Sends {@code request} to 127.0.0.1:{@code port}; see the class comment. */
  public static Future<Exchange> exchange(Vertx vertx, int port, Buffer request, long waitMs) {
    NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2_000));
    long t0 = System.nanoTime();
    Promise<Exchange> done = Promise.promise();
    client.connect(port, "127.0.0.1").onComplete(ar -> {
      if (ar.failed()) {
        client.close();
        done.fail(ar.cause());
        return;
      }
      NetSocket socket = ar.result();
      Buffer received = Buffer.buffer();
      long timer = vertx.setTimer(waitMs, t -> {
        if (done.tryComplete(new Exchange(received, false, (System.nanoTime() - t0) / 1_000_000))) {
          socket.close().onComplete(c -> client.close());
        }
      });
      socket.handler(received::appendBuffer);
      socket.closeHandler(v -> {
        vertx.cancelTimer(timer);
        if (done.tryComplete(new Exchange(received, true, (System.nanoTime() - t0) / 1_000_000))) {
          client.close();
        }
      });
      socket.write(request);
    });
    return done.future();
  }

  /**
   * Opens a connection to 127.0.0.1:{@code port} and sends nothing; the caller owns the socket (and must
   * close it and {@code client}).
   */
  public static Future<NetSocket> open(NetClient client, int port) {
    return client.connect(port, "127.0.0.1");
  }
}
