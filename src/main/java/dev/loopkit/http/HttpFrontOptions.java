package dev.loopkit.http;

import dev.loopkit.bus.Addresses;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * Options of the HTTP front (the {@code http} section of the application config). All durations are in
 * milliseconds, all sizes in bytes.
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
  /** Largest request body accepted by bridged routes. */
  public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private boolean enabled = DEFAULT_ENABLED;
  private String fetchAddress = DEFAULT_FETCH_ADDRESS;
  private String blockingReportAddress = DEFAULT_BLOCKING_REPORT_ADDRESS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;

  public HttpFrontOptions() {
  }

  public HttpFrontOptions(HttpFrontOptions other) {
    this(other.toJson());
  }

  /** @throws dev.loopkit.config.ConfigException on unknown keys, wrong types or out-of-range values */
  public HttpFrontOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    host = r.string("host", DEFAULT_HOST);
    port = r.integer("port", DEFAULT_PORT, 0, 65535);
    enabled = r.bool("enabled", DEFAULT_ENABLED);
    fetchAddress = r.string("fetchAddress", DEFAULT_FETCH_ADDRESS);
    blockingReportAddress = r.string("blockingReportAddress", DEFAULT_BLOCKING_REPORT_ADDRESS);
    requestTimeoutMs = r.longValue("requestTimeoutMs", DEFAULT_REQUEST_TIMEOUT_MS, 1, 3_600_000);
    maxBodyBytes = r.integer("maxBodyBytes", DEFAULT_MAX_BODY_BYTES, 1, 256 * 1024 * 1024);
    r.done();
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("host", host)
      .put("port", port)
      .put("enabled", enabled)
      .put("fetchAddress", fetchAddress)
      .put("blockingReportAddress", blockingReportAddress)
      .put("requestTimeoutMs", requestTimeoutMs)
      .put("maxBodyBytes", maxBodyBytes);
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
}
