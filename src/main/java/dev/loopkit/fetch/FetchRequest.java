package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.LogValues;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One call to the fetch engine: the requests and how to combine them. The JSON form is the event-bus
 * (and {@code POST /fetch}) contract:
 *
 * <pre>{@code
 * { "requests": [ {"url": "http://127.0.0.1:8081/item/1", "method": "GET", "headers": {"accept": "application/json"},
 *                  "body": "text or a JSON object/array", "timeoutMs": 500} ],
 *   "mode": "settled", "quorum": 2, "timeoutMs": 2000, "concurrency": 16, "progressAddress": "my.progress" }
 * }</pre>
 *
 * {@code "urls": ["http://...", ...]} is shorthand for GET requests without options (give one of
 * {@code urls} and {@code requests}). All durations are in milliseconds; 0 in a getter means "not set:
 * the engine's default applies". Shape and type errors are found by {@link #fromJson}; values that depend
 * on the engine's options (limits, host policy, URL syntax) are checked when the call starts — both fail
 * with a {@link ReplyException} of code 400 (or 403) whose message names the field.
 */
public final class FetchRequest {

  /** Longest message of a 400 about the request's shape (longer ones, quoting the caller's values, are cut). */
  private static final int MAX_MESSAGE = 400;

  private final List<Item> items = new ArrayList<>();
  private FetchMode mode = FetchMode.SETTLED;
  private int quorum;
  private long timeoutMs;
  private int concurrency;
  private String progressAddress;
  private boolean shorthand;

  public FetchRequest() {
  }

  /** GET requests for {@code urls}, in mode settled (the {@code urls} shorthand: errors name {@code urls[i]}). */
  public static FetchRequest of(List<String> urls) {
    FetchRequest r = new FetchRequest();
    for (String u : urls) {
      r.add(u);
    }
    r.shorthand = true;
    return r;
  }

  /** GET requests for {@code urls}, in mode settled. */
  public static FetchRequest of(String... urls) {
    return of(List.of(urls));
  }

  /**
   * Reads the JSON form, checking shape and types (unknown keys included).
   *
   * @param maxRequests the most requests accepted (the engine's {@code maxRequestsPerCall})
   * @throws ReplyException code 400 with a message naming the field, e.g.
   *   {@code requests[2].timeoutMs: must be an integer in [1, ∞), got -5}
   */
  public static FetchRequest fromJson(JsonObject json, int maxRequests) {
    if (json == null) {
      throw FailureCode.BAD_REQUEST.exception("body: must be a JSON object, got nothing");
    }
    try {
      return parse(json, maxRequests);
    } catch (ConfigException e) {
      // the message can quote the caller's keys and values: one line, bounded
      throw FailureCode.BAD_REQUEST.exception(oneLine(e.getMessage()));
    }
  }

  private static FetchRequest parse(JsonObject json, int maxRequests) {
    ConfigReader r = ConfigReader.of(json);
    FetchRequest req = new FetchRequest();
    boolean hasUrls = r.has("urls");
    boolean hasRequests = r.has("requests");
    if (hasUrls && hasRequests) {
      throw r.error("urls", "give either urls or requests, not both");
    }
    if (!hasUrls && !hasRequests) {
      throw r.error("requests", "is required: a list of {url, method, headers, body, timeoutMs} (or urls: a list of strings)");
    }
    if (hasUrls) {
      Object raw = r.raw("urls");
      if (!(raw instanceof JsonArray)) {
        throw r.error("urls", "must be an array of URL strings, got " + ConfigReader.show(raw));
      }
      JsonArray urls = (JsonArray) raw;
      checkCount(r, "urls", urls.size(), maxRequests);
      req.shorthand = true;
      for (int i = 0; i < urls.size(); i++) {
        Object u = urls.getValue(i);
        if (!(u instanceof String)) {
          throw new ConfigException("urls[" + i + "]", "must be a URL string, got " + ConfigReader.show(u));
        }
        req.items.add(new Item((String) u));
      }
    } else {
      Object raw = r.raw("requests");
      if (!(raw instanceof JsonArray)) {
        throw r.error("requests", "must be an array of objects {url, method, headers, body, timeoutMs}, got " + ConfigReader.show(raw));
      }
      JsonArray list = (JsonArray) raw;
      checkCount(r, "requests", list.size(), maxRequests);
      for (int i = 0; i < list.size(); i++) {
        Object o = list.getValue(i);
        String path = "requests[" + i + "]";
        if (!(o instanceof JsonObject)) {
          throw new ConfigException(path, "must be an object {url, method, headers, body, timeoutMs}, got " + ConfigReader.show(o));
        }
        req.items.add(Item.parse(ConfigReader.of((JsonObject) o, path)));
      }
    }
    String modeName = r.string("mode", FetchMode.SETTLED.jsonName());
    FetchMode mode = FetchMode.fromJson(modeName);
    if (mode == null) {
      throw r.error("mode", "must be one of all, settled, any, race, quorum, got " + ConfigReader.show(modeName));
    }
    req.mode = mode;
    if (r.has("quorum")) {
      if (mode != FetchMode.QUORUM) {
        throw r.error("quorum", "is only valid with mode quorum (mode is " + mode.jsonName() + ")");
      }
      req.quorum = r.integer("quorum", 0, 1, Integer.MAX_VALUE);
    } else if (mode == FetchMode.QUORUM) {
      throw r.error("quorum", "is required with mode quorum: how many successes are needed");
    }
    req.timeoutMs = r.longValue("timeoutMs", 0, 1, Long.MAX_VALUE);
    req.concurrency = r.integer("concurrency", 0, 1, Integer.MAX_VALUE);
    req.progressAddress = r.string("progressAddress", null);
    r.done();
    return req;
  }

  /** @return {@code message} escaped (one line) and, escaped, at most {@link #MAX_MESSAGE} characters */
  private static String oneLine(String message) {
    // ConfigReader's messages already escape what the caller sent: escape again only if something slipped through
    String escaped = message.chars().anyMatch(c -> c < 0x20 || c >= 0x7f && c < 0xa0 || c == 0x2028 || c == 0x2029)
      ? LogValues.safe(message, message.length()) : message;
    return escaped.length() <= MAX_MESSAGE ? escaped : escaped.substring(0, MAX_MESSAGE) + "…(" + message.length() + " chars)";
  }

  private static void checkCount(ConfigReader r, String key, int n, int max) {
    if (n > max) {
      throw r.error(key, "has " + n + " requests, more than maxRequestsPerCall (" + max + "); split the call");
    }
  }

  /** @return the JSON form (round-trips through {@link #fromJson}) */
  public JsonObject toJson() {
    JsonObject json = new JsonObject();
    if (shorthand && items.stream().allMatch(Item::isPlainGet)) {
      JsonArray urls = new JsonArray();
      items.forEach(i -> urls.add(i.url));
      json.put("urls", urls);
    } else {
      JsonArray list = new JsonArray();
      items.forEach(i -> list.add(i.toJson()));
      json.put("requests", list);
    }
    json.put("mode", mode.jsonName());
    if (quorum > 0) {
      json.put("quorum", quorum);
    }
    if (timeoutMs > 0) {
      json.put("timeoutMs", timeoutMs);
    }
    if (concurrency > 0) {
      json.put("concurrency", concurrency);
    }
    if (progressAddress != null) {
      json.put("progressAddress", progressAddress);
    }
    return json;
  }

  /** Adds a GET request for {@code url}. */
  public FetchRequest add(String url) {
    items.add(new Item(url));
    return this;
  }

  /** Adds a request. */
  public FetchRequest add(Item item) {
    items.add(item);
    shorthand &= item.isPlainGet();
    return this;
  }

  /** @return the requests, in order (index i of the reply's results is request i) */
  public List<Item> items() {
    return Collections.unmodifiableList(items);
  }

  public FetchMode mode() {
    return mode;
  }

  public FetchRequest mode(FetchMode mode) {
    this.mode = mode;
    return this;
  }

  /** @return successes needed in mode quorum (0: not set) */
  public int quorum() {
    return quorum;
  }

  /** Sets mode quorum with {@code k} successes needed. */
  public FetchRequest quorum(int k) {
    this.mode = FetchMode.QUORUM;
    this.quorum = k;
    return this;
  }

  /** @return the overall deadline (0: the engine's {@code timeoutMs}) */
  public long timeoutMs() {
    return timeoutMs;
  }

  public FetchRequest timeoutMs(long timeoutMs) {
    this.timeoutMs = timeoutMs;
    return this;
  }

  /** @return the most requests of this call in flight at once (0: the engine's {@code defaultConcurrency}) */
  public int concurrency() {
    return concurrency;
  }

  public FetchRequest concurrency(int concurrency) {
    this.concurrency = concurrency;
    return this;
  }

  /** @return where each result is published as it completes ({@code null}: nowhere) */
  public String progressAddress() {
    return progressAddress;
  }

  public FetchRequest progressAddress(String progressAddress) {
    this.progressAddress = progressAddress;
    return this;
  }

  /** @return whether the requests came from the {@code urls} shorthand (error messages then name {@code urls[i]}) */
  public boolean shorthand() {
    return shorthand;
  }

  /** @return the JSON path of request {@code i}'s URL, for error messages */
  public String urlField(int i) {
    return shorthand ? "urls[" + i + "]" : "requests[" + i + "].url";
  }

  /** One HTTP request of a call. */
  public static final class Item {

    private final String url;
    private String method = "GET";
    private Map<String, String> headers;
    private Object body;
    private long timeoutMs;

    public Item(String url) {
      this.url = url;
    }

    /** A GET of {@code url}. */
    public static Item get(String url) {
      return new Item(url);
    }

    static Item parse(ConfigReader r) {
      Object url = r.raw("url");
      if (url == null) {
        throw r.error("url", "is required (an http or https URL)");
      }
      if (!(url instanceof String)) {
        throw r.error("url", "must be a URL string, got " + ConfigReader.show(url));
      }
      Item item = new Item((String) url);
      item.method = r.string("method", "GET");
      Object h = r.raw("headers");
      if (h != null) {
        if (!(h instanceof JsonObject)) {
          throw r.error("headers", "must be an object of header name to string value, got " + ConfigReader.show(h));
        }
        Map<String, String> map = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : (JsonObject) h) {
          if (!(e.getValue() instanceof String)) {
            throw new ConfigException(r.path("headers") + "." + e.getKey(), "must be a string, got " + ConfigReader.show(e.getValue()));
          }
          map.put(e.getKey(), (String) e.getValue());
        }
        item.headers = map;
      }
      Object body = r.raw("body");
      if (body != null && !(body instanceof String) && !(body instanceof JsonObject) && !(body instanceof JsonArray)) {
        throw r.error("body", "must be a string or a JSON object or array, got " + ConfigReader.show(body));
      }
      item.body = body;
      item.timeoutMs = r.longValue("timeoutMs", 0, 1, Long.MAX_VALUE);
      r.done();
      return item;
    }

    boolean isPlainGet() {
      return "GET".equals(method) && headers == null && body == null && timeoutMs == 0;
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("url", url);
      if (!"GET".equals(method)) {
        json.put("method", method);
      }
      if (headers != null) {
        JsonObject h = new JsonObject();
        headers.forEach(h::put);
        json.put("headers", h);
      }
      if (body instanceof Buffer) {
        json.put("body", body.toString());
      } else if (body != null) {
        json.put("body", body);
      }
      if (timeoutMs > 0) {
        json.put("timeoutMs", timeoutMs);
      }
      return json;
    }

    public String url() {
      return url;
    }

    public String method() {
      return method;
    }

    /** @param method GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS */
    public Item method(String method) {
      this.method = method;
      return this;
    }

    /** @return the request headers ({@code null}: none) */
    public Map<String, String> headers() {
      return headers == null ? null : Collections.unmodifiableMap(headers);
    }

    public Item header(String name, String value) {
      if (headers == null) {
        headers = new LinkedHashMap<>();
      }
      headers.put(name, value);
      return this;
    }

    /** @return the body: a {@code String}, {@code JsonObject}, {@code JsonArray} or {@code Buffer}, or {@code null} */
    public Object body() {
      return body;
    }

    /**
     * @param body a {@code String} (sent as text/plain; charset=utf-8), a {@code JsonObject} or
     * {@code JsonArray} (application/json), or a {@code Buffer} (application/octet-stream) — unless a
     * content-type header is set
     */
    public Item body(Object body) {
      if (body != null && !(body instanceof String) && !(body instanceof JsonObject) && !(body instanceof JsonArray) && !(body instanceof Buffer)) {
        throw new IllegalArgumentException("body must be a String, JsonObject, JsonArray or Buffer, got " + body.getClass().getName());
      }
      this.body = body;
      return this;
    }

    /** @return this request's own timeout (0: the engine's {@code requestTimeoutMs}) */
    public long timeoutMs() {
      return timeoutMs;
    }

    public Item timeoutMs(long timeoutMs) {
      this.timeoutMs = timeoutMs;
      return this;
    }
  }
}
