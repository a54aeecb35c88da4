package dev.loopkit.console.impl;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One open live channel (Server-Sent Events) of the console: events are written while the client reads;
 * while its socket's write queue is full they wait in a queue of at most {@code maxQueued} events, the
 * oldest dropped beyond that, and the next event written is preceded by a {@code dropped} event saying how
 * many were lost. Front's event loop only.
 */
final class LiveClient {

  /** Bytes Vert.x may buffer for the socket before the client counts as not reading. */
  static final int WRITE_QUEUE_BYTES = 64 * 1024;

  private final HttpServerResponse response;
  private final int maxQueued;
  private final ArrayDeque<Buffer> queue = new ArrayDeque<>();
  private long dropped;
  private long droppedTotal;
  private boolean closed;

  LiveClient(HttpServerResponse response, int maxQueued) {
    this.response = response;
    this.maxQueued = maxQueued;
    response.setWriteQueueMaxSize(WRITE_QUEUE_BYTES);
    response.drainHandler(v -> flush());
  }

  /** Sends one event ({@code data} is one line of JSON). */
  void send(String event, String data) {
    if (closed) {
      return;
    }
    Buffer frame = frame(event, data);
    if (queue.isEmpty() && dropped == 0 && !response.writeQueueFull()) {
      response.write(frame);
      return;
    }
    queue.addLast(frame);
    while (queue.size() > maxQueued) {
      queue.pollFirst();
      dropped++;
      droppedTotal++;
    }
    flush();
  }

  /** A comment line: keeps the connection (and proxies) awake; nothing for the page. */
  void ping() {
    if (!closed && queue.isEmpty() && !response.writeQueueFull()) {
      response.write(Buffer.buffer(": ping\n\n"));
    }
  }

  private void flush() {
    if (closed) {
      return;
    }
    if (dropped > 0 && !response.writeQueueFull()) {
      response.write(frame("dropped", "{\"dropped\":" + dropped + ",\"droppedTotal\":" + droppedTotal
        + ",\"why\":\"this page read slower than events came; the oldest were dropped\"}"));
      dropped = 0;
    }
    while (!queue.isEmpty() && !response.writeQueueFull()) {
      response.write(queue.pollFirst());
    }
  }

  /** @return events waiting now */
  int queued() {
    return queue.size();
  }

  /** @return events dropped since the channel opened */
  long droppedTotal() {
    return droppedTotal;
  }

  void closed() {
    closed = true;
    queue.clear();
  }

  HttpServerResponse response() {
    return response;
  }

  static Buffer frame(String event, String data) {
    // data is one line (JSON encoding escapes every line break); an event name is ours, never a caller's
    return Buffer.buffer(("event: " + event + "\ndata: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
  }
}
