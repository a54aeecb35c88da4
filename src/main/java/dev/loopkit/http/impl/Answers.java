package dev.loopkit.http.impl;

import dev.loopkit.bus.FailureCode;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * How the front answers: every answer is JSON; an error is {@code {"code": <HTTP status>, "error": <name>,
 * "message": <text>}}, where the name is the {@link FailureCode} of the status, or for the statuses that
 * only HTTP has: {@code REQUEST_TIMEOUT} (408), {@code EXPECTATION_FAILED} (417), {@code URI_TOO_LONG} (414),
 * {@code HEADER_FIELDS_TOO_LARGE} (431), {@code METHOD_NOT_ALLOWED} (405). An answer that ends the
 * connection says {@code connection: close} and closes it once written. Every answer carries an explicit
 * {@code content-length}, so that {@code HEAD} gets the same status and headers as {@code GET} (Vert.x
 * computes none for {@code HEAD}), without a body.
 */
public final class Answers {

  /** Content type of JSON answers. */
  public static final String JSON = "application/json";

  private Answers() {
  }

  /** @return the error name of an HTTP status (see the class comment) */
  public static String errorName(int status) {
    switch (status) {
      case 405:
        return "METHOD_NOT_ALLOWED";
      case 408:
        return "REQUEST_TIMEOUT";
      case 414:
        return "URI_TOO_LONG";
      case 417:
        return "EXPECTATION_FAILED";
      case 431:
        return "HEADER_FIELDS_TOO_LARGE";
      default:
        try {
          return FailureCode.fromCode(status).name();
        } catch (IllegalArgumentException e) {
          return status >= 500 ? FailureCode.INTERNAL.name() : FailureCode.BAD_REQUEST.name();
        }
    }
  }

  /** @return the error body for {@code status} */
  public static JsonObject errorBody(int status, String message) {
    return new JsonObject().put("code", status).put("error", errorName(status)).put("message", message);
  }

  /** Answers {@code code} with its error body, keeping the connection. */
  public static Future<Void> error(HttpServerResponse response, FailureCode code, String message) {
    return error(response, code.code(), message, null);
  }

  /**
   * Answers {@code status} with its error body; when {@code closing} is not null, says
   * {@code connection: close} and closes that connection once the answer is written.
   */
  public static Future<Void> error(HttpServerResponse response, int status, String message, HttpConnection closing) {
    if (response.ended() || response.closed()) {
      if (closing != null) {
        closing.close();
      }
      return Future.succeededFuture();
    }
    if (response.headWritten()) {
      // a stream already started: nothing sensible can follow; end it and (if asked) close
      Future<Void> f = response.end();
      return closing == null ? f : f.eventually(closing::close);
    }
    response.setStatusCode(status).putHeader("content-type", JSON);
    if (closing != null) {
      response.putHeader("connection", "close");
    }
    Buffer body = errorBody(status, message).toBuffer();
    // explicit, so that HEAD gets the same headers as GET (Vert.x sets none for HEAD)
    response.putHeader("content-length", Integer.toString(body.length()));
    Future<Void> written = response.end(body);
    return closing == null ? written : written.eventually(closing::close);
  }

  /**
   * Answers 200 with {@code json}, encoded within {@code maxBytes}; a larger answer is replaced by a 413
   * naming the limit (the connection is kept: the request was read in full).
   */
  public static Future<Void> json(HttpServerResponse response, Object json, int maxBytes) {
    List<Buffer> chunks;
    try {
      chunks = BoundedJson.encode(json, maxBytes);
    } catch (BoundedJson.TooLarge e) {
      return error(response, FailureCode.PAYLOAD_TOO_LARGE, "reply: larger than " + maxBytes
        + " bytes (http.maxReplyBytes); ask for fewer or smaller results, or stream them with "
        + "\"Accept: application/x-ndjson\"");
    }
    return write(response, 200, JSON, chunks);
  }

  /** Writes {@code chunks} as one answer with a {@code content-length}. */
  public static Future<Void> write(HttpServerResponse response, int status, String contentType, List<Buffer> chunks) {
    if (response.ended() || response.closed()) {
      return Future.succeededFuture();
    }
    response.setStatusCode(status).putHeader("content-type", contentType)
      .putHeader("content-length", Long.toString(BoundedJson.length(chunks)));
    for (int i = 0; i < chunks.size() - 1; i++) {
      response.write(chunks.get(i));
    }
    return chunks.isEmpty() ? response.end() : response.end(chunks.get(chunks.size() - 1));
  }
}
