package dev.loopkit.http;

import dev.loopkit.bus.Addresses;
import dev.loopkit.config.ConfigException;
import dev.loopkit.console.ConsoleOptions;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * Options of the HTTP front (the {@code http} section of the application config). All durations are in
 * milliseconds, all sizes in bytes. Every limit is a positive number: none can be switched off.
 *
 * <p>What each limit bounds (see README, "Threat model"): {@code maxConnections} the sockets one front
 * holds; {@code idleTimeoutMs}, {@code requestHeadTimeoutMs} and {@code requestBodyTimeoutMs} how long a
 * connection may hold them without finishing a request (slowloris); {@code maxBodyBytes},
 * {@code maxBufferedBodyBytes}, {@code maxJsonDepth} and {@code maxJsonValues} the memory a request body
 * costs, alone and all together; {@code maxReplyBytes} the memory an answer costs.
 */
public final class HttpFrontOptions {

  /** Default bind host: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default port; {@code 0} picks a free port. */
  public static final int DEFAULT_PORT = 8080;
  /** Default: the front is deployed. */
  public static final boolean DEFAULT_ENABLED = true;
  /** Event-bus address {@code POST /fetch} is bridged to. */
  public static final String DEFAULT_FETCH_ADDRESS = Addresses.FETCH;
  /** Event-bus address {@code GET /blocking} is bridged to. */
  public static final String DEFAULT_BLOCKING_REPORT_ADDRESS = Addresses.BLOCKING_REPORT;
  /** Send timeout of bridged requests, unless the HTTP request carries a smaller {@code loopkit-timeout-ms}. */
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
  /** Largest request body (any route); larger: 413 and the connection is closed. */
  public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
  /** Request body bytes all connections together may hold while they arrive; beyond: 503, connection closed. */
  public static final long DEFAULT_MAX_BUFFERED_BODY_BYTES = 64L * 1024 * 1024;
  /** Deepest nesting of objects and arrays in a JSON request body; deeper: 400. */
  public static final int DEFAULT_MAX_JSON_DEPTH = 64;
  /** Most JSON values (objects, arrays, strings, numbers, booleans, nulls) in a request body; more: 400. */
  public static final int DEFAULT_MAX_JSON_VALUES = 200_000;
  /** Largest JSON document the front encodes for one answer (a whole reply, or one NDJSON line); larger: 413. */
  public static final int DEFAULT_MAX_REPLY_BYTES = 32 * 1024 * 1024;
  /** Connections open at once; the next one is closed as soon as it is accepted. */
  public static final int DEFAULT_MAX_CONNECTIONS = 1000;
  /** A connection with no request in progress and nothing arriving is closed after this long. */
  public static final long DEFAULT_IDLE_TIMEOUT_MS = 30_000;
  /** A request head must arrive in full within this long of its first byte; else the connection is closed. */
  public static final long DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 10_000;
  /** A request body must arrive in full within this long of the end of its head; else 408, connection closed. */
  public static final long DEFAULT_REQUEST_BODY_TIMEOUT_MS = 10_000;

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private boolean enabled = DEFAULT_ENABLED;
  private String fetchAddress = DEFAULT_FETCH_ADDRESS;
  private String blockingReportAddress = DEFAULT_BLOCKING_REPORT_ADDRESS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  private long maxBufferedBodyBytes = DEFAULT_MAX_BUFFERED_BODY_BYTES;
  private int maxJsonDepth = DEFAULT_MAX_JSON_DEPTH;
  private int maxJsonValues = DEFAULT_MAX_JSON_VALUES;
  private int maxReplyBytes = DEFAULT_MAX_REPLY_BYTES;
  private int maxConnections = DEFAULT_MAX_CONNECTIONS;
  private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
  private long requestHeadTimeoutMs = DEFAULT_REQUEST_HEAD_TIMEOUT_MS;
  private long requestBodyTimeoutMs = DEFAULT_REQUEST_BODY_TIMEOUT_MS;
  private ConsoleOptions console = new ConsoleOptions();

  public HttpFrontOptions() {
  }

  /** A validated copy. @throws ConfigException when {@code other} holds an invalid value */
  public HttpFrontOptions(HttpFrontOptions other) {
    this(other.toJson());
  }

  /** @throws ConfigException on unknown keys, wrong types or out-of-range values */
  public HttpFrontOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    host = r.string("host", DEFAULT_HOST);
    port = r.integer("port", DEFAULT_PORT, 0, 65535);
    enabled = r.bool("enabled", DEFAULT_ENABLED);
    fetchAddress = r.string("fetchAddress", DEFAULT_FETCH_ADDRESS);
    blockingReportAddress = r.string("blockingReportAddress", DEFAULT_BLOCKING_REPORT_ADDRESS);
    requestTimeoutMs = r.longValue("requestTimeoutMs", DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000);
    maxBodyBytes = r.integer("maxBodyBytes", DEFAULT_MAX_BODY_BYTES, 1, 256 * 1024 * 1024);
    maxBufferedBodyBytes = r.longValue("maxBufferedBodyBytes", DEFAULT_MAX_BUFFERED_BODY_BYTES, 1, 16L * 1024 * 1024 * 1024);
    maxJsonDepth = r.integer("maxJsonDepth", DEFAULT_MAX_JSON_DEPTH, 1, 1000);
    maxJsonValues = r.integer("maxJsonValues", DEFAULT_MAX_JSON_VALUES, 1, 100_000_000);
    maxReplyBytes = r.integer("maxReplyBytes", DEFAULT_MAX_REPLY_BYTES, 1024, 1024 * 1024 * 1024);
    maxConnections = r.integer("maxConnections", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000);
    idleTimeoutMs = r.longValue("idleTimeoutMs", DEFAULT_IDLE_TIMEOUT_MS, 1, 86_400_000);
    requestHeadTimeoutMs = r.longValue("requestHeadTimeoutMs", DEFAULT_REQUEST_HEAD_TIMEOUT_MS, 1, 3_600_000);
    requestBodyTimeoutMs = r.longValue("requestBodyTimeoutMs", DEFAULT_REQUEST_BODY_TIMEOUT_MS, 1, 3_600_000);
    console = new ConsoleOptions(r.section("console"));
    r.done();
    if (maxBufferedBodyBytes < maxBodyBytes) {
      throw new ConfigException(r.path("maxBufferedBodyBytes"), "must be at least maxBodyBytes (" + maxBodyBytes
        + "), got " + maxBufferedBodyBytes + ": no body of the largest size could ever be accepted");
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("host", host)
      .put("port", port)
      .put("enabled", enabled)
      .put("fetchAddress", fetchAddress)
      .put("blockingReportAddress", blockingReportAddress)
      .put("requestTimeoutMs", requestTimeoutMs)
      .put("maxBodyBytes", maxBodyBytes)
      .put("maxBufferedBodyBytes", maxBufferedBodyBytes)
      .put("maxJsonDepth", maxJsonDepth)
      .put("maxJsonValues", maxJsonValues)
      .put("maxReplyBytes", maxReplyBytes)
      .put("maxConnections", maxConnections)
      .put("idleTimeoutMs", idleTimeoutMs)
      .put("requestHeadTimeoutMs", requestHeadTimeoutMs)
      .put("requestBodyTimeoutMs", requestBodyTimeoutMs)
      .put("console", console.toJson());
  }

  /** @return the loop console's options ({@code http.console}; see {@link ConsoleOptions}) */
  public ConsoleOptions getConsole() {
    return console;
  }

  public HttpFrontOptions setConsole(ConsoleOptions console) {
    this.console = console;
    return this;
  }

  public String getHost() {
    return host;
  }

  public HttpFrontOptions setHost(String host) {
    this.host = host;
    return this;
  }

  public int getPort() {
    return port;
  }

  /** @param port 0 picks a free port */
  public HttpFrontOptions setPort(int port) {
    this.port = port;
    return this;
  }

  public boolean isEnabled() {
    return enabled;
  }

  public HttpFrontOptions setEnabled(boolean enabled) {
    this.enabled = enabled;
    return this;
  }

  public String getFetchAddress() {
    return fetchAddress;
  }

  public HttpFrontOptions setFetchAddress(String fetchAddress) {
    this.fetchAddress = fetchAddress;
    return this;
  }

  public String getBlockingReportAddress() {
    return blockingReportAddress;
  }

  public HttpFrontOptions setBlockingReportAddress(String blockingReportAddress) {
    this.blockingReportAddress = blockingReportAddress;
    return this;
  }

  public long getRequestTimeoutMs() {
    return requestTimeoutMs;
  }

  public HttpFrontOptions setRequestTimeoutMs(long requestTimeoutMs) {
    this.requestTimeoutMs = requestTimeoutMs;
    return this;
  }

  public int getMaxBodyBytes() {
    return maxBodyBytes;
  }

  public HttpFrontOptions setMaxBodyBytes(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
    return this;
  }

  public long getMaxBufferedBodyBytes() {
    return maxBufferedBodyBytes;
  }

  public HttpFrontOptions setMaxBufferedBodyBytes(long maxBufferedBodyBytes) {
    this.maxBufferedBodyBytes = maxBufferedBodyBytes;
    return this;
  }

  public int getMaxJsonDepth() {
    return maxJsonDepth;
  }

  public HttpFrontOptions setMaxJsonDepth(int maxJsonDepth) {
    this.maxJsonDepth = maxJsonDepth;
    return this;
  }

  public int getMaxJsonValues() {
    return maxJsonValues;
  }

  public HttpFrontOptions setMaxJsonValues(int maxJsonValues) {
    this.maxJsonValues = maxJsonValues;
    return this;
  }

  public int getMaxReplyBytes() {
    return maxReplyBytes;
  }

  public HttpFrontOptions setMaxReplyBytes(int maxReplyBytes) {
    this.maxReplyBytes = maxReplyBytes;
    return this;
  }

  public int getMaxConnections() {
    return maxConnections;
  }

  public HttpFrontOptions setMaxConnections(int maxConnections) {
    this.maxConnections = maxConnections;
    return this;
  }

  public long getIdleTimeoutMs() {
    return idleTimeoutMs;
  }

  public HttpFrontOptions setIdleTimeoutMs(long idleTimeoutMs) {
    this.idleTimeoutMs = idleTimeoutMs;
    return this;
  }

  public long getRequestHeadTimeoutMs() {
    return requestHeadTimeoutMs;
  }

  public HttpFrontOptions setRequestHeadTimeoutMs(long requestHeadTimeoutMs) {
    this.requestHeadTimeoutMs = requestHeadTimeoutMs;
    return this;
  }

  public long getRequestBodyTimeoutMs() {
    return requestBodyTimeoutMs;
  }

  public HttpFrontOptions setRequestBodyTimeoutMs(long requestBodyTimeoutMs) {
    this.requestBodyTimeoutMs = requestBodyTimeoutMs;
    return this;
  }
}
