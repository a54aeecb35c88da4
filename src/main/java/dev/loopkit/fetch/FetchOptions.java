package dev.loopkit.fetch;

import dev.loopkit.bus.Addresses;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.fetch.impl.HostRules;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Options of the {@link FetchEngine} and the {@link FetchVerticle} (its {@code config} section). All
 * durations are in milliseconds, all sizes in bytes. Every limit is per engine: a verticle deployed with
 * {@code instances: 2} has two engines, each with these limits.
 *
 * <p>The JSON constructor is strict: an unknown key, a wrong type or an out-of-range value throws a
 * {@link ConfigException} naming the key, e.g. {@code maxInFlight: must be an integer in [1, 1000000],
 * got "ten"}. Setters do not validate; {@link FetchEngine#create} and {@link #validate()} do.
 *
 * <p>Security: {@link #DEFAULT_ALLOWED_HOSTS} is empty, so an engine with default options fetches
 * nothing: list the hosts it may reach (see {@link #setAllowedHosts(List)} for the entry forms).
 */
public class FetchOptions {

  /** Event-bus address the verticle serves: {@value}. */
  public static final String DEFAULT_ADDRESS = Addresses.FETCH;
  /** Hosts that may be fetched: none (fail closed; {@code ["*"]} allows any public host). */
  public static final List<String> DEFAULT_ALLOWED_HOSTS = List.of();
  /** Hosts refused even when allowed: none beyond the built-in protected ranges. */
  public static final List<String> DEFAULT_DENIED_HOSTS = List.of();
  /** Requests in flight at once over all calls and hosts (beyond: they wait in the queue). */
  public static final int DEFAULT_MAX_IN_FLIGHT = 512;
  /** Requests in flight at once to one host ({@code scheme://host:port}); also the connection pool size per host. */
  public static final int DEFAULT_MAX_PER_HOST = 64;
  /** Requests that may wait for a slot (global or per host); beyond, a request fails OVERLOADED at once. */
  public static final int DEFAULT_MAX_QUEUE = 4096;
  /** Calls in progress at once; beyond, a call is refused with 503. */
  public static final int DEFAULT_MAX_CALLS = 1024;
  /** Requests in one call; beyond, the call is refused with 400. */
  public static final int DEFAULT_MAX_REQUESTS_PER_CALL = 10_000;
  /** A call's {@code concurrency} when it sets none. */
  public static final int DEFAULT_CONCURRENCY = 64;
  /** Largest response body kept (1 MiB); a larger one fails BODY_TOO_LARGE and its connection is reset. */
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
  /**
   * Response bytes one call may keep (32 MiB), all its requests together: headers (name + value +
   * {@value #HEADER_COST} per field), bodies twice — as received and as they appear in the reply (text as
   * escaped UTF-8, binary as base64; a JSON body as its parsed tree, estimated before parsing) — and redirect
   * URLs. So a call holds at most about this much memory for its results; an encoder of the reply needs about
   * the reply's size again. An item whose response would
   * go past it fails {@link FetchErrorCode#PAYLOAD_TOO_LARGE} (its connection reset, not drained); the call
   * still replies with the other items' results.
   */
  public static final long DEFAULT_MAX_CALL_BYTES = 32L * 1024 * 1024;
  /** Bytes charged to {@link #DEFAULT_MAX_CALL_BYTES maxCallBytes} per response header field, beyond its name and value. */
  public static final int HEADER_COST = 128;
  /**
   * Prefix every {@code progressAddress} must start with ({@value}); the address must also not be reserved
   * ({@link dev.loopkit.bus.ServedAddresses#isReserved}).
   */
  public static final String DEFAULT_PROGRESS_ADDRESS_PREFIX = Addresses.PROGRESS_PREFIX;
  /** Redirects followed per request; one more fails TOO_MANY_REDIRECTS; 0 returns 3xx responses as they are. */
  public static final int DEFAULT_MAX_REDIRECTS = 5;
  /** A call's overall deadline when it sets no {@code timeoutMs}. */
  public static final long DEFAULT_TIMEOUT_MS = 10_000;
  /** A request's own timeout when it sets no {@code timeoutMs}; 0: bounded by the overall deadline only. */
  public static final long DEFAULT_REQUEST_TIMEOUT_MS = 0;
  /** Largest {@code timeoutMs} accepted (below the event bus's default 30 s send timeout). */
  public static final long DEFAULT_MAX_TIMEOUT_MS = 29_000;
  /** How much earlier than an incoming {@code loopkit-timeout-ms} budget the verticle replies. */
  public static final long DEFAULT_DEADLINE_MARGIN_MS = 50;
  /** TCP connect timeout (each request is also bounded by its own deadline). */
  public static final int DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
  /** How long an idle pooled connection is kept (rounded up to seconds); 0 disables keep-alive. */
  public static final long DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;
  /** HTTP/1.1 pipelining: off (a reset would also kill the requests pipelined behind). */
  public static final boolean DEFAULT_PIPELINING = false;
  /** Event loops the connections are spread over; 0: the engine's own event loop. */
  public static final int DEFAULT_EVENT_LOOPS = 0;
  /**
   * Engine shards, one per event loop (each with its own connections, pool and timers; the calls' requests
   * go to the least busy shard); 0: one per event loop of the Vert.x instance.
   */
  public static final int DEFAULT_SHARDS = 0;
  /** Header that carries the request's remaining budget (ms) to the upstream. */
  public static final String DEFAULT_BUDGET_HEADER = Headers.TIMEOUT_MS;
  /** Whether {@link #DEFAULT_BUDGET_HEADER the budget header} is sent. */
  public static final boolean DEFAULT_SEND_BUDGET = true;
  /** User-Agent of outgoing requests (a request may set its own). */
  public static final String DEFAULT_USER_AGENT = "loopkit-fetch/0.1";

  private String address = DEFAULT_ADDRESS;
  private List<String> allowedHosts = new ArrayList<>(DEFAULT_ALLOWED_HOSTS);
  private List<String> deniedHosts = new ArrayList<>(DEFAULT_DENIED_HOSTS);
  private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
  private int maxPerHost = DEFAULT_MAX_PER_HOST;
  private int maxQueue = DEFAULT_MAX_QUEUE;
  private int maxCalls = DEFAULT_MAX_CALLS;
  private int maxRequestsPerCall = DEFAULT_MAX_REQUESTS_PER_CALL;
  private int defaultConcurrency = DEFAULT_CONCURRENCY;
  private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
  private int maxRedirects = DEFAULT_MAX_REDIRECTS;
  private long maxCallBytes = DEFAULT_MAX_CALL_BYTES;
  private String progressAddressPrefix = DEFAULT_PROGRESS_ADDRESS_PREFIX;
  private long timeoutMs = DEFAULT_TIMEOUT_MS;
  private long requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
  private long maxTimeoutMs = DEFAULT_MAX_TIMEOUT_MS;
  private long deadlineMarginMs = DEFAULT_DEADLINE_MARGIN_MS;
  private int connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
  private long keepAliveTimeoutMs = DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  private boolean pipelining = DEFAULT_PIPELINING;
  private int eventLoops = DEFAULT_EVENT_LOOPS;
  private int shards = DEFAULT_SHARDS;
  private String budgetHeader = DEFAULT_BUDGET_HEADER;
  private boolean sendBudget = DEFAULT_SEND_BUDGET;
  private String userAgent = DEFAULT_USER_AGENT;

  public FetchOptions() {
  }

  /** A copy of {@code other}. */
  public FetchOptions(FetchOptions other) {
    this.address = other.address;
    this.allowedHosts = new ArrayList<>(other.allowedHosts);
    this.deniedHosts = new ArrayList<>(other.deniedHosts);
    this.maxInFlight = other.maxInFlight;
    this.maxPerHost = other.maxPerHost;
    this.maxQueue = other.maxQueue;
    this.maxCalls = other.maxCalls;
    this.maxRequestsPerCall = other.maxRequestsPerCall;
    this.defaultConcurrency = other.defaultConcurrency;
    this.maxBodyBytes = other.maxBodyBytes;
    this.maxRedirects = other.maxRedirects;
    this.maxCallBytes = other.maxCallBytes;
    this.progressAddressPrefix = other.progressAddressPrefix;
    this.timeoutMs = other.timeoutMs;
    this.requestTimeoutMs = other.requestTimeoutMs;
    this.maxTimeoutMs = other.maxTimeoutMs;
    this.deadlineMarginMs = other.deadlineMarginMs;
    this.connectTimeoutMs = other.connectTimeoutMs;
    this.keepAliveTimeoutMs = other.keepAliveTimeoutMs;
    this.pipelining = other.pipelining;
    this.eventLoops = other.eventLoops;
    this.shards = other.shards;
    this.budgetHeader = other.budgetHeader;
    this.sendBudget = other.sendBudget;
    this.userAgent = other.userAgent;
  }

  /**
   * Reads and validates {@code json} (may be {@code null}: all defaults).
   *
   * @throws ConfigException naming the first bad key (relative to this section)
   */
  public FetchOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    address = r.string("address", DEFAULT_ADDRESS);
    allowedHosts = new ArrayList<>(r.strings("allowedHosts", DEFAULT_ALLOWED_HOSTS));
    deniedHosts = new ArrayList<>(r.strings("deniedHosts", DEFAULT_DENIED_HOSTS));
    maxInFlight = r.integer("maxInFlight", DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
    maxPerHost = r.integer("maxPerHost", DEFAULT_MAX_PER_HOST, 1, 1_000_000);
    maxQueue = r.integer("maxQueue", DEFAULT_MAX_QUEUE, 0, 10_000_000);
    maxCalls = r.integer("maxCalls", DEFAULT_MAX_CALLS, 1, 1_000_000);
    maxRequestsPerCall = r.integer("maxRequestsPerCall", DEFAULT_MAX_REQUESTS_PER_CALL, 1, 1_000_000);
    defaultConcurrency = r.integer("defaultConcurrency", DEFAULT_CONCURRENCY, 1, 1_000_000);
    maxBodyBytes = r.integer("maxBodyBytes", DEFAULT_MAX_BODY_BYTES, 1, 1 << 30);
    maxRedirects = r.integer("maxRedirects", DEFAULT_MAX_REDIRECTS, 0, 50);
    maxCallBytes = r.longValue("maxCallBytes", DEFAULT_MAX_CALL_BYTES, 1, 1L << 40);
    progressAddressPrefix = r.string("progressAddressPrefix", DEFAULT_PROGRESS_ADDRESS_PREFIX);
    maxTimeoutMs = r.longValue("maxTimeoutMs", DEFAULT_MAX_TIMEOUT_MS, 1, 3_600_000);
    timeoutMs = r.longValue("timeoutMs", DEFAULT_TIMEOUT_MS, 1, 3_600_000);
    requestTimeoutMs = r.longValue("requestTimeoutMs", DEFAULT_REQUEST_TIMEOUT_MS, 0, 3_600_000);
    deadlineMarginMs = r.longValue("deadlineMarginMs", DEFAULT_DEADLINE_MARGIN_MS, 0, 10_000);
    connectTimeoutMs = r.integer("connectTimeoutMs", DEFAULT_CONNECT_TIMEOUT_MS, 1, 600_000);
    keepAliveTimeoutMs = r.longValue("keepAliveTimeoutMs", DEFAULT_KEEP_ALIVE_TIMEOUT_MS, 0, 3_600_000);
    pipelining = r.bool("pipelining", DEFAULT_PIPELINING);
    eventLoops = r.integer("eventLoops", DEFAULT_EVENT_LOOPS, 0, 64);
    shards = r.integer("shards", DEFAULT_SHARDS, 0, 64);
    budgetHeader = r.string("budgetHeader", DEFAULT_BUDGET_HEADER);
    sendBudget = r.bool("sendBudget", DEFAULT_SEND_BUDGET);
    userAgent = r.string("userAgent", DEFAULT_USER_AGENT);
    r.done();
    checkRelations();
  }

  /**
   * Checks every value and the relations between them (as the JSON constructor does).
   *
   * @return this
   * @throws ConfigException naming the first bad key
   */
  public FetchOptions validate() {
    new FetchOptions(toJson());
    return this;
  }

  private void checkRelations() {
    if (maxPerHost > maxInFlight) {
      throw new ConfigException("maxPerHost", "must be at most maxInFlight (" + maxInFlight + "), got " + maxPerHost);
    }
    if (timeoutMs > maxTimeoutMs) {
      throw new ConfigException("timeoutMs", "must be at most maxTimeoutMs (" + maxTimeoutMs + "), got " + timeoutMs);
    }
    if (requestTimeoutMs > maxTimeoutMs) {
      throw new ConfigException("requestTimeoutMs", "must be at most maxTimeoutMs (" + maxTimeoutMs + "), got " + requestTimeoutMs);
    }
    if (!budgetHeader.chars().allMatch(c -> c > 32 && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0)) {
      throw new ConfigException("budgetHeader", "must be an HTTP header name (letters, digits, '-'), got \"" + budgetHeader + "\"");
    }
    if (userAgent.chars().anyMatch(c -> c < 32 || c == 127)) {
      throw new ConfigException("userAgent", "must not contain control characters");
    }
    checkProgressPrefix(progressAddressPrefix, address);
    HostRules.compile(allowedHosts, deniedHosts, "allowedHosts", "deniedHosts");
  }

  /**
   * The prefix must leave every reserved address out of reach: it may not be empty, may not be a prefix of
   * (or equal to) Vert.x's {@code __vertx.}, any loopkit address constant or this verticle's own
   * {@code address}, and may not contain whitespace or control characters. So {@code loopkit.} is refused
   * (it would cover {@code loopkit.fetch}), {@code loopkit.progress.} and {@code app.progress.} are fine.
   */
  private static void checkProgressPrefix(String prefix, String address) {
    if (prefix.isEmpty()) {
      throw new ConfigException("progressAddressPrefix", "must not be empty (every address would be allowed)");
    }
    if (!prefix.chars().allMatch(c -> c > 32 && c < 127)) {
      throw new ConfigException("progressAddressPrefix", "must be printable ASCII without spaces, got " + LogValues.quote(prefix));
    }
    if (prefix.startsWith("__vertx.") || "__vertx.".startsWith(prefix)) {
      throw new ConfigException("progressAddressPrefix", "must not cover Vert.x's own __vertx.* addresses, got \"" + prefix + "\"");
    }
    for (String reserved : RESERVED_CONSTANTS) {
      if (reserved.startsWith(prefix)) {
        throw new ConfigException("progressAddressPrefix", "must not be a prefix of the reserved address '" + reserved
          + "', got \"" + prefix + "\" (use e.g. \"" + DEFAULT_PROGRESS_ADDRESS_PREFIX + "\")");
      }
    }
    if (address.startsWith(prefix)) {
      throw new ConfigException("progressAddressPrefix", "must not be a prefix of this verticle's address '" + address
        + "', got \"" + prefix + "\"");
    }
  }

  /** Addresses no progress prefix may cover (the constants of {@link Addresses}, except the prefix itself). */
  private static final List<String> RESERVED_CONSTANTS = List.of(Addresses.FETCH, Addresses.CANCEL, Addresses.BLOCKING,
    Addresses.BLOCKING_REPORT);

  public JsonObject toJson() {
    return new JsonObject()
      .put("address", address)
      .put("allowedHosts", new JsonArray(new ArrayList<>(allowedHosts)))
      .put("deniedHosts", new JsonArray(new ArrayList<>(deniedHosts)))
      .put("maxInFlight", maxInFlight)
      .put("maxPerHost", maxPerHost)
      .put("maxQueue", maxQueue)
      .put("maxCalls", maxCalls)
      .put("maxRequestsPerCall", maxRequestsPerCall)
      .put("defaultConcurrency", defaultConcurrency)
      .put("maxBodyBytes", maxBodyBytes)
      .put("maxRedirects", maxRedirects)
      .put("maxCallBytes", maxCallBytes)
      .put("progressAddressPrefix", progressAddressPrefix)
      .put("timeoutMs", timeoutMs)
      .put("requestTimeoutMs", requestTimeoutMs)
      .put("maxTimeoutMs", maxTimeoutMs)
      .put("deadlineMarginMs", deadlineMarginMs)
      .put("connectTimeoutMs", connectTimeoutMs)
      .put("keepAliveTimeoutMs", keepAliveTimeoutMs)
      .put("pipelining", pipelining)
      .put("eventLoops", eventLoops)
      .put("shards", shards)
      .put("budgetHeader", budgetHeader)
      .put("sendBudget", sendBudget)
      .put("userAgent", userAgent);
  }

  @Override
  public String toString() {
    return "FetchOptions" + toJson().encode();
  }

  public String getAddress() {
    return address;
  }

  /** @param address the event-bus address the verticle serves */
  public FetchOptions setAddress(String address) {
    this.address = address;
    return this;
  }

  public List<String> getAllowedHosts() {
    return new ArrayList<>(allowedHosts);
  }

  /**
   * @param allowedHosts entries: {@code *}, {@code host}, {@code *.suffix}, an address, a CIDR, each
   * with an optional {@code :port} (IPv6 in brackets for a port); see {@link HostRules} for the rules
   */
  public FetchOptions setAllowedHosts(List<String> allowedHosts) {
    this.allowedHosts = new ArrayList<>(allowedHosts);
    return this;
  }

  /** Adds one allowed-host entry. */
  public FetchOptions addAllowedHost(String entry) {
    this.allowedHosts.add(entry);
    return this;
  }

  public List<String> getDeniedHosts() {
    return new ArrayList<>(deniedHosts);
  }

  /** @param deniedHosts entries as for {@link #setAllowedHosts}, except {@code *}; a match always refuses */
  public FetchOptions setDeniedHosts(List<String> deniedHosts) {
    this.deniedHosts = new ArrayList<>(deniedHosts);
    return this;
  }

  public int getMaxInFlight() {
    return maxInFlight;
  }

  public FetchOptions setMaxInFlight(int maxInFlight) {
    this.maxInFlight = maxInFlight;
    return this;
  }

  public int getMaxPerHost() {
    return maxPerHost;
  }

  /** @param maxPerHost at most {@link #getMaxInFlight()}; also the pool's connections per host */
  public FetchOptions setMaxPerHost(int maxPerHost) {
    this.maxPerHost = maxPerHost;
    return this;
  }

  public int getMaxQueue() {
    return maxQueue;
  }

  /** @param maxQueue 0: a request that cannot start at once fails OVERLOADED */
  public FetchOptions setMaxQueue(int maxQueue) {
    this.maxQueue = maxQueue;
    return this;
  }

  public int getMaxCalls() {
    return maxCalls;
  }

  public FetchOptions setMaxCalls(int maxCalls) {
    this.maxCalls = maxCalls;
    return this;
  }

  public int getMaxRequestsPerCall() {
    return maxRequestsPerCall;
  }

  public FetchOptions setMaxRequestsPerCall(int maxRequestsPerCall) {
    this.maxRequestsPerCall = maxRequestsPerCall;
    return this;
  }

  public int getDefaultConcurrency() {
    return defaultConcurrency;
  }

  public FetchOptions setDefaultConcurrency(int defaultConcurrency) {
    this.defaultConcurrency = defaultConcurrency;
    return this;
  }

  public int getMaxBodyBytes() {
    return maxBodyBytes;
  }

  public FetchOptions setMaxBodyBytes(int maxBodyBytes) {
    this.maxBodyBytes = maxBodyBytes;
    return this;
  }

  public int getMaxRedirects() {
    return maxRedirects;
  }

  /** @param maxRedirects 0: redirects are not followed, a 3xx is returned as it is */
  public FetchOptions setMaxRedirects(int maxRedirects) {
    this.maxRedirects = maxRedirects;
    return this;
  }

  public long getMaxCallBytes() {
    return maxCallBytes;
  }

  /**
   * @param maxCallBytes response bytes one call may keep (headers, bodies, redirect URLs, parsed JSON);
   * past it an item fails PAYLOAD_TOO_LARGE and the call still replies
   */
  public FetchOptions setMaxCallBytes(long maxCallBytes) {
    this.maxCallBytes = maxCallBytes;
    return this;
  }

  public String getProgressAddressPrefix() {
    return progressAddressPrefix;
  }

  /**
   * @param progressAddressPrefix what every {@code progressAddress} must start with; must not cover a reserved
   * address ({@code loopkit.} is refused: it would reach {@code loopkit.fetch})
   */
  public FetchOptions setProgressAddressPrefix(String progressAddressPrefix) {
    this.progressAddressPrefix = progressAddressPrefix;
    return this;
  }

  public long getTimeoutMs() {
    return timeoutMs;
  }

  public FetchOptions setTimeoutMs(long timeoutMs) {
    this.timeoutMs = timeoutMs;
    return this;
  }

  public long getRequestTimeoutMs() {
    return requestTimeoutMs;
  }

  /** @param requestTimeoutMs 0: requests without their own timeout are bounded by the overall deadline only */
  public FetchOptions setRequestTimeoutMs(long requestTimeoutMs) {
    this.requestTimeoutMs = requestTimeoutMs;
    return this;
  }

  public long getMaxTimeoutMs() {
    return maxTimeoutMs;
  }

  public FetchOptions setMaxTimeoutMs(long maxTimeoutMs) {
    this.maxTimeoutMs = maxTimeoutMs;
    return this;
  }

  public long getDeadlineMarginMs() {
    return deadlineMarginMs;
  }

  public FetchOptions setDeadlineMarginMs(long deadlineMarginMs) {
    this.deadlineMarginMs = deadlineMarginMs;
    return this;
  }

  public int getConnectTimeoutMs() {
    return connectTimeoutMs;
  }

  public FetchOptions setConnectTimeoutMs(int connectTimeoutMs) {
    this.connectTimeoutMs = connectTimeoutMs;
    return this;
  }

  public long getKeepAliveTimeoutMs() {
    return keepAliveTimeoutMs;
  }

  /** @param keepAliveTimeoutMs 0 disables keep-alive (one connection per request) */
  public FetchOptions setKeepAliveTimeoutMs(long keepAliveTimeoutMs) {
    this.keepAliveTimeoutMs = keepAliveTimeoutMs;
    return this;
  }

  public boolean isPipelining() {
    return pipelining;
  }

  public FetchOptions setPipelining(boolean pipelining) {
    this.pipelining = pipelining;
    return this;
  }

  public int getEventLoops() {
    return eventLoops;
  }

  /** @param eventLoops 0: connections live on the engine's event loop */
  public FetchOptions setEventLoops(int eventLoops) {
    this.eventLoops = eventLoops;
    return this;
  }

  public int getShards() {
    return shards;
  }

  /**
   * @param shards engine shards, at most one per event loop (more are capped to the loops there are);
   *   0: one per event loop; 1: everything on the engine's own loop
   */
  public FetchOptions setShards(int shards) {
    this.shards = shards;
    return this;
  }

  public String getBudgetHeader() {
    return budgetHeader;
  }

  public FetchOptions setBudgetHeader(String budgetHeader) {
    this.budgetHeader = budgetHeader;
    return this;
  }

  public boolean isSendBudget() {
    return sendBudget;
  }

  public FetchOptions setSendBudget(boolean sendBudget) {
    this.sendBudget = sendBudget;
    return this;
  }

  public String getUserAgent() {
    return userAgent;
  }

  public FetchOptions setUserAgent(String userAgent) {
    this.userAgent = userAgent;
    return this;
  }
}
