package dev.loopkit.fetch;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The outcome of one request of a call. JSON form:
 *
 * <pre>{@code
 * {"index": 0, "url": "...", "ok": true, "status": 200, "headers": {"content-type": "application/json"},
 *  "json": {...},  // or "text": "..." or "base64": "..." depending on the content type
 *  "elapsedMs": 3.2, "queueMs": 0.0, "connectMs": 0.4}
 * {"index": 1, "url": "...", "ok": false, "error": {"code": "TIMEOUT", "message": "..."}, "elapsedMs": 500.1, ...}
 * }</pre>
 *
 * {@code ok} means a 2xx response whose body was read in full (and, for a JSON content type, parsed). A
 * non-2xx response is {@code ok: false} with code {@link FetchErrorCode#HTTP_STATUS} and still carries
 * status, headers and body; so does {@link FetchErrorCode#INVALID_BODY} (as {@code text}).
 *
 * <p>Times are milliseconds with microsecond precision: {@code elapsedMs} runs from the moment the request
 * got its place in the call's {@code concurrency} until its body was read (or it failed), and includes
 * {@code queueMs} (waiting for a slot under {@code maxInFlight}/{@code maxPerHost}) and {@code connectMs}
 * (getting a connection from the pool, connecting when there is none). Header names are lowercase;
 * repeated headers are joined with ", " (as the fetch API's {@code Headers.get}). When redirects were
 * followed, {@code redirects} and {@code finalUrl} say so.
 */
public final class FetchResult {

  /** How the body is represented. */
  public enum BodyKind {
    /** No body (a failure before the response, HEAD, 204). */
    NONE,
    /** Parsed JSON, in {@link #json()}. */
    JSON,
    /** Text, in {@link #text()}. */
    TEXT,
    /** Bytes, as {@code base64} in JSON. */
    BINARY
  }

  private final int index;
  private final String url;
  private final int status;
  /**
   * The response headers as lowercase name, value, name, value... ({@code null}: no response) — not the
   * response's own header map, which holds Netty's entries and byte strings: a 20 000-result call keeps
   * every result until it ends, and the smaller each one, the less each young collection copies.
   */
  private final String[] headers;
  private final Buffer body;
  private final BodyKind bodyKind;
  private final Object json;
  private final Charset charset;
  private final FetchErrorCode error;
  private final String message;
  private final double elapsedMs;
  private final double queueMs;
  private final double connectMs;
  private final int redirects;
  private final String finalUrl;

  private FetchResult(int index, String url, int status, String[] headers, Buffer body, BodyKind bodyKind, Object json,
                      Charset charset, FetchErrorCode error, String message, double elapsedMs, double queueMs,
                      double connectMs, int redirects, String finalUrl) {
    this.index = index;
    this.url = url;
    this.status = status;
    this.headers = headers;
    this.body = body;
    this.bodyKind = bodyKind;
    this.json = json;
    this.charset = charset;
    this.error = error;
    this.message = message;
    this.elapsedMs = elapsedMs;
    this.queueMs = queueMs;
    this.connectMs = connectMs;
    this.redirects = redirects;
    this.finalUrl = finalUrl;
  }

  /**
   * A result with a response (the engine builds these; public for tests and adapters).
   *
   * @param error {@code null} for a success, else {@link FetchErrorCode#HTTP_STATUS} or
   * {@link FetchErrorCode#INVALID_BODY}
   * @param json the parsed body when {@code bodyKind} is {@link BodyKind#JSON}
   */
  public static FetchResult response(int index, String url, int status, MultiMap headers, Buffer body, BodyKind bodyKind,
                                     Object json, Charset charset, FetchErrorCode error, String message, double elapsedMs,
                                     double queueMs, double connectMs, int redirects, String finalUrl) {
    return new FetchResult(index, url, status, compact(headers), body, bodyKind, json, charset == null ? StandardCharsets.UTF_8 : charset,
      error, message, elapsedMs, queueMs, connectMs, redirects, finalUrl);
  }

  /** A failure without a response. */
  public static FetchResult failure(int index, String url, FetchErrorCode error, String message, double elapsedMs,
                                    double queueMs, double connectMs) {
    return new FetchResult(index, url, 0, null, null, BodyKind.NONE, null, StandardCharsets.UTF_8, error, message,
      elapsedMs, queueMs, connectMs, 0, null);
  }

  /** @return the request's position in the call */
  public int index() {
    return index;
  }

  /** @return the requested URL (see {@link #finalUrl()} after redirects) */
  public String url() {
    return url;
  }

  /** @return whether the response was 2xx and its body read (and parsed, for JSON) */
  public boolean ok() {
    return error == null;
  }

  /** @return the HTTP status, or 0 when no response was received */
  public int status() {
    return status;
  }

  /**
   * @return the response headers (names in lowercase, in the order received; a new map on each call), or
   * {@code null} when no response was received
   */
  public MultiMap headers() {
    if (headers == null) {
      return null;
    }
    MultiMap map = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < headers.length; i += 2) {
      map.add(headers[i], headers[i + 1]);
    }
    return map;
  }

  private static String[] compact(MultiMap headers) {
    if (headers == null) {
      return null;
    }
    String[] out = new String[headers.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : headers) {
      if (i == out.length) {  // a map whose size() counts names, not values
        out = java.util.Arrays.copyOf(out, out.length * 2 + 2);
      }
      out[i++] = lower(e.getKey());
      out[i++] = e.getValue();
    }
    return i == out.length ? out : java.util.Arrays.copyOf(out, i);
  }

  /** @return the raw body, or {@code null} */
  public Buffer body() {
    return body;
  }

  public BodyKind bodyKind() {
    return bodyKind;
  }

  /** @return the parsed JSON body ({@code JsonObject}, {@code JsonArray}, String, Number, Boolean), or {@code null} */
  public Object json() {
    return json;
  }

  /** @return the body decoded as text (whatever its kind), or {@code null} when there is none */
  public String text() {
    return body == null ? null : body.toString(charset);
  }

  /** @return why the request did not succeed, or {@code null} when {@link #ok()} */
  public FetchErrorCode error() {
    return error;
  }

  /** @return a one-line explanation of {@link #error()}, or {@code null} */
  public String message() {
    return message;
  }

  public double elapsedMs() {
    return elapsedMs;
  }

  public double queueMs() {
    return queueMs;
  }

  public double connectMs() {
    return connectMs;
  }

  /** @return redirects followed */
  public int redirects() {
    return redirects;
  }

  /** @return the URL of the last hop, or {@code null} when no redirect was followed */
  public String finalUrl() {
    return finalUrl;
  }

  /** @return the JSON form of the contract */
  public JsonObject toJson() {
    JsonObject j = new JsonObject();
    j.put("index", index).put("url", url).put("ok", error == null);
    if (status > 0) {
      j.put("status", status);
    }
    if (headers != null) {
      Map<String, Object> h = new LinkedHashMap<>(Math.max(4, headers.length));
      for (int i = 0; i < headers.length; i += 2) {
        Object prev = h.putIfAbsent(headers[i], headers[i + 1]);
        if (prev != null) {
          h.put(headers[i], prev + ", " + headers[i + 1]);
        }
      }
      j.put("headers", new JsonObject(h));
    }
    switch (bodyKind) {
      case JSON:
        j.put("json", json);
        break;
      case TEXT:
        j.put("text", body.toString(charset));
        break;
      case BINARY:
        j.put("base64", Base64.getEncoder().encodeToString(body.getBytes()));
        break;
      default:
        break;
    }
    if (error != null) {
      j.put("error", new JsonObject().put("code", error.name()).put("message", message));
    }
    j.put("elapsedMs", round(elapsedMs)).put("queueMs", round(queueMs)).put("connectMs", round(connectMs));
    if (redirects > 0) {
      j.put("redirects", redirects).put("finalUrl", finalUrl);
    }
    return j;
  }

  /** Lowercase header names, cached: responses repeat the same few names. */
  private static final ConcurrentHashMap<String, String> LOWER = new ConcurrentHashMap<>();

  private static String lower(String name) {
    String l = LOWER.get(name);
    if (l == null) {
      l = name.toLowerCase(Locale.ROOT);
      if (LOWER.size() < 1024) {
        LOWER.put(name, l);
      }
    }
    return l;
  }

  /** @return {@code ms} rounded to microseconds */
  static double round(double ms) {
    return Math.round(ms * 1000.0) / 1000.0;
  }

  @Override
  public String toString() {
    return "FetchResult[" + index + " " + url + (error == null ? " ok " + status : " " + error + ": " + message) + "]";
  }
}
