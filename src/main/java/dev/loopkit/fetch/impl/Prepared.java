package dev.loopkit.fetch.impl;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.fetch.FetchMode;
import dev.loopkit.fetch.FetchOptions;
import dev.loopkit.fetch.FetchRequest;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One request of a call, validated against the engine's options: the parsed target (with the host
 * policy's verdict on it), method, headers and body ready to send.
 */
final class Prepared {

  /** Methods a call may use. CONNECT and TRACE are refused. */
  static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
  /** Headers the engine owns (framing, hop-by-hop, routing): a request may not set them. */
  static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding", "connection",
    "keep-alive", "upgrade", "te", "trailer", "expect", "proxy-connection");

  final int index;
  final String url;
  final Target target;
  final HttpMethod method;
  final MultiMap headers;
  final Buffer body;
  final long timeoutMs;

  private Prepared(int index, String url, Target target, HttpMethod method, MultiMap headers, Buffer body, long timeoutMs) {
    this.index = index;
    this.url = url;
    this.target = target;
    this.method = method;
    this.headers = headers;
    this.body = body;
    this.timeoutMs = timeoutMs;
  }

  /**
   * Validates a whole call.
   *
   * @throws ReplyException 400 naming the field, or 403 for a host the policy refuses
   */
  static Prepared[] prepare(FetchRequest request, FetchOptions options, HostRules rules, MultiMap defaultHeaders) {
    int n = request.items().size();
    String listField = request.shorthand() ? "urls" : "requests";
    if (n > options.getMaxRequestsPerCall()) {
      throw bad(listField + ": has " + n + " requests, more than maxRequestsPerCall (" + options.getMaxRequestsPerCall() + "); split the call");
    }
    if (request.mode() == null) {
      throw bad("mode: must be one of all, settled, any, race, quorum");
    }
    checkTimeout("timeoutMs", request.timeoutMs(), options);
    if (request.concurrency() < 0) {
      throw bad("concurrency: must be a positive integer, got " + request.concurrency());
    }
    if (request.mode() == FetchMode.QUORUM) {
      if (request.quorum() < 1) {
        throw bad("quorum: must be at least 1, got " + request.quorum());
      }
      if (request.quorum() > n) {
        throw bad("quorum: " + request.quorum() + " successes can never come from " + n + " request" + (n == 1 ? "" : "s"));
      }
    } else if (request.quorum() != 0) {
      throw bad("quorum: is only valid with mode quorum (mode is " + request.mode().jsonName() + ")");
    }
    if (request.progressAddress() != null && request.progressAddress().isEmpty()) {
      throw bad("progressAddress: must not be empty");
    }
    Prepared[] out = new Prepared[n];
    Map<String, Target.Origin> origins = new HashMap<>();
    for (int i = 0; i < n; i++) {
      out[i] = prepare(i, request, request.items().get(i), options, rules, defaultHeaders, origins);
    }
    return out;
  }

  private static Prepared prepare(int i, FetchRequest request, FetchRequest.Item item, FetchOptions options, HostRules rules,
                                  MultiMap defaultHeaders, Map<String, Target.Origin> origins) {
    String url = item.url();
    if (url == null) {
      throw bad(request.urlField(i) + ": is required (an http or https URL)");
    }
    Target target;
    try {
      target = Target.parse(url, origins);
    } catch (IllegalArgumentException e) {
      throw bad(request.urlField(i) + ": " + e.getMessage());
    }
    HostRules.Verdict verdict = target.verdict();
    if (verdict == null) {
      verdict = rules.checkStatic(target.host, target.port, target.literal);
      target.origin.verdict = verdict;
    }
    if (!verdict.ok()) {
      throw FailureCode.FORBIDDEN.exception(request.urlField(i) + ": host refused: " + verdict.refusal());
    }
    String m = item.method();
    if (m == null || !METHODS.contains(m.toUpperCase(Locale.ROOT))) {
      throw bad(base(i) + ".method: must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, got " + LogValues.quote(m));
    }
    HttpMethod method = HttpMethod.valueOf(m.toUpperCase(Locale.ROOT));
    MultiMap headers = null;
    boolean hasContentType = false;
    Map<String, String> given = item.headers();
    if (given != null && !given.isEmpty()) {
      headers = HttpHeaders.headers();
      for (Map.Entry<String, String> h : given.entrySet()) {
        String name = h.getKey();
        String value = h.getValue();
        if (!isToken(name)) {
          throw bad(base(i) + ".headers: " + LogValues.quote(name) + " is not a valid header name (letters, digits and !#$%&'*+-.^_`|~)");
        }
        String lower = name.toLowerCase(Locale.ROOT);
        if (RESERVED_HEADERS.contains(lower)) {
          throw bad(base(i) + ".headers." + LogValues.safe(name, 60) + ": is set by the engine and cannot be given");
        }
        if (value == null) {
          throw bad(base(i) + ".headers." + LogValues.safe(name, 60) + ": must be a string, got null");
        }
        for (int c = 0; c < value.length(); c++) {
          char ch = value.charAt(c);
          if (ch == '\r' || ch == '\n' || ch == 0) {
            throw bad(base(i) + ".headers." + LogValues.safe(name, 60) + ": must not contain CR, LF or NUL");
          }
        }
        if (lower.equals("content-type")) {
          hasContentType = true;
        }
        headers.add(name, value);
      }
    }
    Buffer body = null;
    Object b = item.body();
    if (b != null) {
      if (method == HttpMethod.GET || method == HttpMethod.HEAD) {
        throw bad(base(i) + ".body: a " + method.name() + " request cannot have a body; use POST, PUT or PATCH");
      }
      String type;
      if (b instanceof String) {
        body = Buffer.buffer((String) b);
        type = "text/plain; charset=utf-8";
      } else if (b instanceof JsonObject) {
        body = ((JsonObject) b).toBuffer();
        type = "application/json";
      } else if (b instanceof JsonArray) {
        body = ((JsonArray) b).toBuffer();
        type = "application/json";
      } else {
        body = (Buffer) b;
        type = "application/octet-stream";
      }
      if (!hasContentType) {
        if (headers == null) {
          headers = HttpHeaders.headers();
        }
        headers.add(HttpHeaders.CONTENT_TYPE, type);
      }
    }
    if (headers == null) {
      headers = defaultHeaders;
    } else if (!headers.contains(HttpHeaders.USER_AGENT)) {
      headers.add(HttpHeaders.USER_AGENT, options.getUserAgent());
    }
    checkTimeout(i, ".timeoutMs", item.timeoutMs(), options);
    return new Prepared(i, url, target, method, headers, body, item.timeoutMs());
  }

  private static String base(int i) {
    return "requests[" + i + "]";
  }

  private static void checkTimeout(int i, String suffix, long value, FetchOptions options) {
    if (value >= 0 && value <= options.getMaxTimeoutMs()) {
      return;
    }
    checkTimeout(base(i) + suffix, value, options);
  }

  private static void checkTimeout(String field, long value, FetchOptions options) {
    if (value < 0) {
      throw bad(field + ": must be a positive number of milliseconds, got " + value);
    }
    if (value > options.getMaxTimeoutMs()) {
      throw bad(field + ": must be at most maxTimeoutMs (" + options.getMaxTimeoutMs() + "), got " + value);
    }
  }

  private static boolean isToken(String s) {
    if (s == null || s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static ReplyException bad(String message) {
    return FailureCode.BAD_REQUEST.exception(message);
  }
}
