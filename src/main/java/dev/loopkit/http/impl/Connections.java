package dev.loopkit.http.impl;

import dev.loopkit.async.Registration;
import dev.loopkit.bus.LogValues;
import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The front's connections: how many are open, and a deadline on each one that is not being served.
 *
 * <p>A connection is in one {@link Phase} at a time, each with a deadline ({@link Phase#BUSY}'s is a
 * backstop, {@code requestTimeoutMs + idleTimeoutMs}, since every route answers within
 * {@code requestTimeoutMs}; but an answer the client has not read for {@code idleTimeoutMs} — its write
 * queue full all along — ends it too); one periodic sweep (a tenth of the shortest timeout, 5 ms to 1 s) closes the connections
 * past theirs — no timer per connection, two field writes per change of phase:
 *
 * <pre>
 *  accepted ──► IDLE ──first byte──► HEAD ──head complete──► BODY ──body complete──► BUSY ──answered──► IDLE
 *               idleTimeoutMs        requestHeadTimeoutMs    requestBodyTimeoutMs    (the work's own      │
 *                 ▲                                            (408, then close)      deadline)          │
 *                 └───────────────────── DRAIN (the previous answer is still being written; idleTimeoutMs)┘
 *  any refusal ──► CLOSING (the refusal is written, then close; idleTimeoutMs)
 *  a long-lived answer (the loop console's live channel) ──► LIVE (no deadline while the client reads)
 * </pre>
 *
 * A connection past its deadline is closed at once, without waiting for queued answers to be flushed
 * ({@link HttpInternals#forceClose}): the client that stopped reading is the one being cut off.
 *
 * A connection accepted while {@code maxConnections} are open is closed at once (a rate-limited WARN says
 * so); the others are untouched. Everything here runs on the front's event loop.
 */
public final class Connections {

  private static final Logger LOG = LoggerFactory.getLogger("dev.loopkit.http");

  /** Where a connection is in its request cycle. */
  public enum Phase {
    /** Nothing in progress, nothing arriving. */
    IDLE,
    /** A request head has begun to arrive. */
    HEAD,
    /** A request's head has arrived, its body is being read. */
    BODY,
    /** A request is being served. */
    BUSY,
    /** A request waits until the previous answer has been written out (the client reads slowly). */
    DRAIN,
    /** A refusal is being written; then the connection closes. Requests pipelined behind it are ignored. */
    CLOSING,
    /**
     * A long-lived answer (the loop console's live channel) is being streamed: no deadline while the client
     * reads; closed once its writes have been stuck for {@code idleTimeoutMs}.
     */
    LIVE
  }

  /** One open connection. */
  public final class Conn {
    final HttpConnection connection;
    Phase phase = Phase.IDLE;
    long deadline;
    Runnable onBodyTimeout;
    long reservedBodyBytes;
    Buffer body;
    HttpServerRequest serving;
    long stalledSince;
    List<Runnable> onClose;

    Conn(HttpConnection connection) {
      this.connection = connection;
      enter(Phase.IDLE);
    }

    /** @return the connection */
    public HttpConnection connection() {
      return connection;
    }

    /** @return the current phase */
    public Phase phase() {
      return phase;
    }

    void onRead() {
      if (phase == Phase.IDLE) {
        enter(Phase.HEAD);
      }
    }

    /** A request head has arrived: its body must arrive within requestBodyTimeoutMs, else {@code onTimeout}. */
    public void bodyStarted(Runnable onTimeout) {
      onBodyTimeout = onTimeout;
      enter(Phase.BODY);
    }

    /** {@code request} has been read and is being served (see the class comment for its deadline). */
    public void serving(HttpServerRequest request) {
      onBodyTimeout = null;
      serving = request;
      stalledSince = 0;
      enter(Phase.BUSY);
    }

    /**
     * {@code request} is answered by a stream that lasts as long as the client stays (Server-Sent Events):
     * the connection has no deadline, but is closed once the client has not read for idleTimeoutMs.
     */
    public void live(HttpServerRequest request) {
      onBodyTimeout = null;
      serving = request;
      stalledSince = 0;
      enter(Phase.LIVE);
    }

    /** A refusal is being written, then the connection is closed (closed by force after idleTimeoutMs). */
    public void closing() {
      onBodyTimeout = null;
      serving = null;
      enter(Phase.CLOSING);
    }

    /** @return whether the connection is being closed after a refusal */
    public boolean isClosing() {
      return phase == Phase.CLOSING;
    }

    /** The request waits for the previous answer to drain (at most idleTimeoutMs). */
    public void draining() {
      enter(Phase.DRAIN);
    }

    /**
     * Runs {@code hook} when the connection closes (the client went away: HTTP/1.x has one request at a
     * time per connection). Remove the registration when the request is answered.
     */
    public Registration whenClosed(Runnable hook) {
      if (onClose == null) {
        onClose = new ArrayList<>(2);
      }
      onClose.add(hook);
      return () -> {
        if (onClose != null) {
          onClose.remove(hook);
        }
      };
    }

    /** Hands the request body read by {@link Intake} to the route serving it (once; null when none). */
    public Buffer takeBody() {
      Buffer b = body;
      body = null;
      return b;
    }

    /** The answer has been written: the connection is idle again. */
    public void answered() {
      onBodyTimeout = null;
      serving = null;
      enter(Phase.IDLE);
    }

    /**
     * Reserves {@code bytes} of request body against {@code maxBufferedBodyBytes}.
     *
     * @return false (nothing reserved) when all connections together would hold more
     */
    public boolean reserve(long bytes) {
      if (buffered + bytes > options.getMaxBufferedBodyBytes()) {
        return false;
      }
      buffered += bytes;
      reservedBodyBytes += bytes;
      return true;
    }

    /** Gives back every body byte this connection reserved. */
    public void release() {
      buffered -= reservedBodyBytes;
      reservedBodyBytes = 0;
    }

    private void enter(Phase p) {
      phase = p;
      long timeout;
      switch (p) {
        case HEAD:
          timeout = options.getRequestHeadTimeoutMs();
          break;
        case BODY:
          timeout = options.getRequestBodyTimeoutMs();
          break;
        case BUSY:
          // a backstop only: every route answers within requestTimeoutMs
          timeout = options.getRequestTimeoutMs() + options.getIdleTimeoutMs();
          break;
        case LIVE:
          // no deadline: the sweep ends it when the client stops reading
          deadline = System.nanoTime() + Long.MAX_VALUE / 4;
          return;
        default:
          timeout = options.getIdleTimeoutMs();
      }
      deadline = System.nanoTime() + timeout * 1_000_000L;
    }
  }

  private final Vertx vertx;
  private final HttpFrontOptions options;
  private final HttpServerOptions serverOptions;
  private final Map<HttpConnection, Conn> open = new IdentityHashMap<>();
  private final AtomicInteger count = new AtomicInteger();
  private final QuietLog refusals = new QuietLog(LOG, 60_000);
  private long buffered;
  private long sweeper = -1;
  private boolean tapped = true;

  public Connections(Vertx vertx, HttpFrontOptions options, HttpServerOptions serverOptions) {
    this.vertx = vertx;
    this.options = options;
    this.serverOptions = serverOptions;
  }

  /** Starts the periodic sweep (call on the front's context). */
  public void start() {
    long shortest = Math.min(options.getIdleTimeoutMs(), Math.min(options.getRequestHeadTimeoutMs(), options.getRequestBodyTimeoutMs()));
    long period = Math.max(5, Math.min(1_000, shortest / 10));
    sweeper = vertx.setPeriodic(period, id -> sweep());
  }

  /** Stops the sweep. */
  public void stop() {
    if (sweeper >= 0) {
      vertx.cancelTimer(sweeper);
      sweeper = -1;
    }
  }

  /** @return connections open now (any thread) */
  public int count() {
    return count.get();
  }

  /** @return request body bytes held by all connections now */
  public long bufferedBodyBytes() {
    return buffered;
  }

  /** @return whether every connection got the strict decoder and read tap (see {@link HttpInternals}) */
  public boolean tapped() {
    return tapped;
  }

  /** The server's connection handler: admits {@code connection} or closes it at once. */
  public void accepted(HttpConnection connection) {
    if (open.size() >= options.getMaxConnections()) {
      refusals.warn("http front: closed a new connection from " + connection.remoteAddress() + ": "
        + options.getMaxConnections() + " are open (http.maxConnections); find who holds them, or raise the limit");
      HttpInternals.forceClose(connection);
      return;
    }
    Conn conn = new Conn(connection);
    open.put(connection, conn);
    count.set(open.size());
    connection.closeHandler(v -> closed(conn));
    if (!HttpInternals.install(connection, serverOptions, conn::onRead)) {
      tapped = false;
    }
  }

  /** @return the state of {@code connection}, or null when it is not tracked (already closed) */
  public Conn of(HttpConnection connection) {
    return open.get(connection);
  }

  private void closed(Conn conn) {
    conn.release();
    List<Runnable> hooks = conn.onClose;
    conn.onClose = null;
    if (hooks != null) {
      for (Runnable hook : hooks) {
        try {
          hook.run();
        } catch (RuntimeException e) {
          LOG.warn("http front: a connection-close hook failed: {}", LogValues.safe(String.valueOf(e), 200));
        }
      }
    }
    if (open.remove(conn.connection) != null) {
      count.set(open.size());
    }
  }

  private void sweep() {
    long now = System.nanoTime();
    List<Conn> expired = null;
    for (Conn c : open.values()) {
      if ((c.phase == Phase.BUSY || c.phase == Phase.LIVE) && c.serving != null) {
        // an answer the client does not read: as idle as a connection gets
        if (!c.serving.response().writeQueueFull()) {
          c.stalledSince = 0;
        } else if (c.stalledSince == 0) {
          c.stalledSince = now;
        } else if (now - c.stalledSince >= options.getIdleTimeoutMs() * 1_000_000L) {
          c.deadline = now;
        }
      }
      if (now - c.deadline >= 0) {
        if (expired == null) {
          expired = new ArrayList<>();
        }
        expired.add(c);
      }
    }
    if (expired == null) {
      return;
    }
    for (Conn c : expired) {
      Phase phase = c.phase;
      if (phase == Phase.BODY && c.onBodyTimeout != null) {
        Runnable answer = c.onBodyTimeout;
        c.closing(); // the 408 is written, then the connection closed
        if (LOG.isDebugEnabled()) {
          LOG.debug("http front: request body from {} not complete within {} ms (http.requestBodyTimeoutMs): 408, closing",
            c.connection.remoteAddress(), options.getRequestBodyTimeoutMs());
        }
        answer.run();
      } else {
        if (LOG.isDebugEnabled()) {
          LOG.debug("http front: closing connection from {} ({} past its deadline: {})", c.connection.remoteAddress(),
            phase, phase == Phase.HEAD ? "http.requestHeadTimeoutMs" : "http.idleTimeoutMs");
        }
        c.deadline = now + Long.MAX_VALUE / 2; // no second expiry while it closes
        HttpInternals.forceClose(c.connection);
      }
    }
  }
}
