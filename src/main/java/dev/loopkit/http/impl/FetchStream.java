package dev.loopkit.http.impl;

import dev.loopkit.async.LiveResources;
import dev.loopkit.async.Registration;
import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /fetch} with {@code Accept: application/x-ndjson}: asyncio's {@code as_completed} over HTTP.
 *
 * <p>The front picks a private progress address, {@code loopkit.progress.http.<128 random bits>} (no
 * client names it, none can guess it), consumes it for the call's lifetime (counted in
 * {@link LiveResources#CONSUMERS}; unregistered on the reply, on a failure, and when the client goes
 * away) and sends the fetch with that {@code progressAddress}. The answer is {@code 200},
 * {@code content-type: application/x-ndjson}, chunked:
 *
 * <ul>
 *   <li>one line per result as it completes: the result's JSON ({@code index}, {@code url}, {@code ok},
 *   {@code status}, …) plus {@code seq} (0, 1, … in completion order) and {@code requestId};</li>
 *   <li>then one summary line: the fetch reply without its {@code results} ({@code succeeded},
 *   {@code failed}, {@code cancelled}, {@code elapsedMs}, {@code mode}, and {@code winner} when set).</li>
 * </ul>
 *
 * A result whose progress message was not seen before the reply is written from the reply, so every
 * result is on exactly one line. A failure before the first line keeps its HTTP status and JSON error
 * body; a failure after it ends the stream with one error line {@code {"code", "error", "message"}}. A
 * line longer than {@code maxReplyBytes} is replaced by {@code {"index", "url", "ok": false, "error":
 * {"code": "PAYLOAD_TOO_LARGE", "message"}}}.
 */
final class FetchStream {

  /** The sub-prefix of the front's progress addresses. */
  static final String PREFIX = Addresses.PROGRESS_PREFIX + "http.";

  private final Vertx vertx;
  private final HttpFrontOptions options;
  private final Bridge.Call call;
  private final HttpServerResponse response;
  private final BitSet written = new BitSet();
  private MessageConsumer<Object> consumer;
  private int seq;
  private boolean started;

  FetchStream(Vertx vertx, HttpFrontOptions options, Bridge.Call call) {
    this.vertx = vertx;
    this.options = options;
    this.call = call;
    this.response = call.rc.response();
  }

  void start(JsonObject body) {
    String address = PREFIX + FrontIds.next();
    LiveResources live = LiveResources.of(vertx);
    consumer = vertx.eventBus().localConsumer(address, this::progress);
    live.increment(LiveResources.CONSUMERS);
    if (call.conn != null) {
      Registration gone = call.conn.whenClosed(this::release);
      call.scope.onClose(gone::remove);
    }
    body.put("progressAddress", address);
    call.send(body).onComplete(ar -> {
      release();
      if (response.closed() || response.ended()) {
        return;
      }
      if (ar.succeeded()) {
        finish(ar.result().body());
      } else if (!started) {
        call.fail(ar.cause());
      } else {
        line(Answers.errorBody(call.failureCode(ar.cause()), call.failureMessage(ar.cause())));
        response.end();
      }
    });
  }

  private void release() {
    if (consumer != null) {
      MessageConsumer<Object> c = consumer;
      consumer = null;
      c.unregister();
      LiveResources.of(vertx).decrement(LiveResources.CONSUMERS);
    }
  }

  private void progress(Message<Object> msg) {
    if (consumer == null || !(msg.body() instanceof JsonObject) || response.closed() || response.ended()) {
      return;
    }
    result((JsonObject) msg.body());
  }

  private void result(JsonObject r) {
    Object index = r.getValue("index");
    if (index instanceof Integer && (Integer) index >= 0) {
      if (written.get((Integer) index)) {
        return;
      }
      written.set((Integer) index);
    }
    if (!r.containsKey("seq")) {
      r.put("seq", seq);
    }
    if (!r.containsKey("requestId")) {
      r.put("requestId", call.requestId);
    }
    seq++;
    List<Buffer> chunks;
    try {
      chunks = BoundedJson.encode(r, options.getMaxReplyBytes());
    } catch (BoundedJson.TooLarge e) {
      chunks = BoundedJson.encode(new JsonObject().put("index", index).put("url", r.getValue("url")).put("ok", false)
        .put("seq", r.getValue("seq")).put("requestId", call.requestId)
        .put("error", new JsonObject().put("code", FailureCode.PAYLOAD_TOO_LARGE.name())
          .put("message", "result line larger than " + options.getMaxReplyBytes() + " bytes (http.maxReplyBytes)")),
        options.getMaxReplyBytes());
    }
    write(chunks);
  }

  private void finish(Object reply) {
    if (!(reply instanceof JsonObject)) {
      line(Answers.errorBody(FailureCode.INTERNAL.code(), "'" + call.address + "' replied with something other than a JSON object"));
      response.end();
      return;
    }
    JsonObject summary = new JsonObject();
    for (Map.Entry<String, Object> e : (JsonObject) reply) {
      if (e.getKey().equals("results")) {
        if (e.getValue() instanceof JsonArray) {
          for (Object r : (JsonArray) e.getValue()) {
            if (r instanceof JsonObject) {
              result((JsonObject) r);
            }
          }
        }
      } else {
        summary.put(e.getKey(), e.getValue());
      }
    }
    line(summary);
    response.end();
  }

  private void line(JsonObject json) {
    List<Buffer> chunks;
    try {
      chunks = BoundedJson.encode(json, options.getMaxReplyBytes());
    } catch (BoundedJson.TooLarge e) {
      chunks = BoundedJson.encode(Answers.errorBody(413, "line larger than " + options.getMaxReplyBytes()
        + " bytes (http.maxReplyBytes)"), options.getMaxReplyBytes());
    }
    write(chunks);
  }

  private void write(List<Buffer> chunks) {
    if (!started) {
      started = true;
      response.setStatusCode(200).setChunked(true).putHeader("content-type", Bridge.NDJSON);
    }
    for (Buffer b : chunks) {
      response.write(b);
    }
    response.write(Buffer.buffer(new byte[] {'\n'}));
  }
}
