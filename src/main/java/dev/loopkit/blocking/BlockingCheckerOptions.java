package dev.loopkit.blocking;

import dev.loopkit.bus.Addresses;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Options of the {@link BlockingChecker} (the {@code config} section of {@link BlockingCheckerVerticle}).
 * All durations are in milliseconds.
 *
 * <p>The JSON constructor is strict: an unknown key, a wrong type or an out-of-range value throws a
 * {@link ConfigException} naming the key, e.g. {@code thresholdMs: must be an integer in [1, 3600000],
 * got 0}. Setters validate the same way.
 */
public final class BlockingCheckerOptions {

  /** An event loop busy with one task for longer than this is blocked: 100 ms. */
  public static final long DEFAULT_THRESHOLD_MS = 100;
  /** Largest accepted threshold: one hour. */
  public static final long MAX_THRESHOLD_MS = 3_600_000;
  /** Incidents are published here: {@value Addresses#BLOCKING}. */
  public static final String DEFAULT_ADDRESS = Addresses.BLOCKING;
  /** The summary is served here (request/reply): {@value Addresses#BLOCKING_REPORT}. */
  public static final String DEFAULT_REPORT_ADDRESS = Addresses.BLOCKING_REPORT;
  /** A worker thread busy with one task for longer than this is reported: 60 s (Vert.x's default); 0 disables. */
  public static final long DEFAULT_WORKER_THRESHOLD_MS = 60_000;
  /**
   * Period of the per-loop heartbeat that feeds the lag histogram: 20 ms. (10 ms cost 3–5 % of throughput on
   * a CPU-saturated 2-core HTTP benchmark through the wake-ups of idle loops; 20 ms did not, and every stall
   * longer than 20 ms still delays a pending heartbeat.)
   */
  public static final long DEFAULT_HEARTBEAT_MS = 20;
  /** Stack sampling period during a stall; 0 picks {@code thresholdMs / 10} within [1, 50]. */
  public static final long DEFAULT_SAMPLE_INTERVAL_MS = 0;
  /** Strict mode (JFR call-site detection of short blocking calls): off. */
  public static final boolean DEFAULT_STRICT = false;
  /** In strict mode, blocking calls at least this long are flagged: 0, i.e. every one. */
  public static final long DEFAULT_STRICT_THRESHOLD_MS = 0;
  /** Frames kept per stack in incidents: 64. */
  public static final int DEFAULT_MAX_STACK_DEPTH = 64;
  /** Vert.x's own blocked-thread log is replaced for the threads loopkit watches: true. */
  public static final boolean DEFAULT_REPLACE_VERTX_LOG = true;
  /** Stacks are logged once per distinct culprit. */
  public static final String DEFAULT_LOG_STACKS = "once";
  /** Culprits listed in the report: 10. */
  public static final int DEFAULT_TOP_CULPRITS = 10;
  /** Recent incidents kept for the report: 20. */
  public static final int DEFAULT_RECENT_INCIDENTS = 20;

  private long thresholdMs = DEFAULT_THRESHOLD_MS;
  private String address = DEFAULT_ADDRESS;
  private String reportAddress = DEFAULT_REPORT_ADDRESS;
  private long workerThresholdMs = DEFAULT_WORKER_THRESHOLD_MS;
  private long heartbeatMs = DEFAULT_HEARTBEAT_MS;
  private long sampleIntervalMs = DEFAULT_SAMPLE_INTERVAL_MS;
  private boolean strict = DEFAULT_STRICT;
  private long strictThresholdMs = DEFAULT_STRICT_THRESHOLD_MS;
  private int maxStackDepth = DEFAULT_MAX_STACK_DEPTH;
  private List<String> frameworkPackages = new ArrayList<>();
  private boolean replaceVertxLog = DEFAULT_REPLACE_VERTX_LOG;
  private String logStacks = DEFAULT_LOG_STACKS;
  private int topCulprits = DEFAULT_TOP_CULPRITS;
  private int recentIncidents = DEFAULT_RECENT_INCIDENTS;

  public BlockingCheckerOptions() {
  }

  public BlockingCheckerOptions(BlockingCheckerOptions other) {
    // field by field (every value was validated by the setters or the JSON constructor): no JSON on the
    // start-up path
    this.thresholdMs = other.thresholdMs;
    this.address = other.address;
    this.reportAddress = other.reportAddress;
    this.workerThresholdMs = other.workerThresholdMs;
    this.heartbeatMs = other.heartbeatMs;
    this.sampleIntervalMs = other.sampleIntervalMs;
    this.strict = other.strict;
    this.strictThresholdMs = other.strictThresholdMs;
    this.maxStackDepth = other.maxStackDepth;
    this.frameworkPackages = new ArrayList<>(other.frameworkPackages);
    this.replaceVertxLog = other.replaceVertxLog;
    this.logStacks = other.logStacks;
    this.topCulprits = other.topCulprits;
    this.recentIncidents = other.recentIncidents;
  }

  /**
   * @param json the options; {@code null} or {@code {}} gives the defaults
   * @throws ConfigException on an unknown key, a wrong type or an out-of-range value
   */
  public BlockingCheckerOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    thresholdMs = r.longValue("thresholdMs", DEFAULT_THRESHOLD_MS, 1, MAX_THRESHOLD_MS);
    address = r.string("address", DEFAULT_ADDRESS);
    reportAddress = r.string("reportAddress", DEFAULT_REPORT_ADDRESS);
    workerThresholdMs = r.longValue("workerThresholdMs", DEFAULT_WORKER_THRESHOLD_MS, 0, 24 * MAX_THRESHOLD_MS);
    heartbeatMs = r.longValue("heartbeatMs", DEFAULT_HEARTBEAT_MS, 1, 1_000);
    sampleIntervalMs = r.longValue("sampleIntervalMs", DEFAULT_SAMPLE_INTERVAL_MS, 0, 10_000);
    strict = r.bool("strict", DEFAULT_STRICT);
    strictThresholdMs = r.longValue("strictThresholdMs", DEFAULT_STRICT_THRESHOLD_MS, 0, 60_000);
    maxStackDepth = r.integer("maxStackDepth", DEFAULT_MAX_STACK_DEPTH, 4, 1024);
    frameworkPackages = new ArrayList<>(r.strings("frameworkPackages", List.of()));
    replaceVertxLog = r.bool("replaceVertxLog", DEFAULT_REPLACE_VERTX_LOG);
    logStacks = r.oneOf("logStacks", DEFAULT_LOG_STACKS, "once", "always", "never");
    topCulprits = r.integer("topCulprits", DEFAULT_TOP_CULPRITS, 1, 1000);
    recentIncidents = r.integer("recentIncidents", DEFAULT_RECENT_INCIDENTS, 0, 1000);
    r.done();
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("thresholdMs", thresholdMs)
      .put("address", address)
      .put("reportAddress", reportAddress)
      .put("workerThresholdMs", workerThresholdMs)
      .put("heartbeatMs", heartbeatMs)
      .put("sampleIntervalMs", sampleIntervalMs)
      .put("strict", strict)
      .put("strictThresholdMs", strictThresholdMs)
      .put("maxStackDepth", maxStackDepth)
      .put("frameworkPackages", new JsonArray(new ArrayList<>(frameworkPackages)))
      .put("replaceVertxLog", replaceVertxLog)
      .put("logStacks", logStacks)
      .put("topCulprits", topCulprits)
      .put("recentIncidents", recentIncidents);
  }

  private static long check(String key, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(key, "must be an integer in [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  private static String checkString(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new ConfigException(key, "must be a non-empty string, got " + (value == null ? "null" : "\"\""));
    }
    return value;
  }

  public long getThresholdMs() {
    return thresholdMs;
  }

  /** @param thresholdMs an event loop busy with one task longer than this is blocked; at least 1 */
  public BlockingCheckerOptions setThresholdMs(long thresholdMs) {
    this.thresholdMs = check("thresholdMs", thresholdMs, 1, MAX_THRESHOLD_MS);
    return this;
  }

  public String getAddress() {
    return address;
  }

  /** @param address where incidents are published */
  public BlockingCheckerOptions setAddress(String address) {
    this.address = checkString("address", address);
    return this;
  }

  public String getReportAddress() {
    return reportAddress;
  }

  /** @param reportAddress where the summary is served (request/reply) */
  public BlockingCheckerOptions setReportAddress(String reportAddress) {
    this.reportAddress = checkString("reportAddress", reportAddress);
    return this;
  }

  public long getWorkerThresholdMs() {
    return workerThresholdMs;
  }

  /** @param workerThresholdMs a worker task longer than this is reported; 0 disables worker watching */
  public BlockingCheckerOptions setWorkerThresholdMs(long workerThresholdMs) {
    this.workerThresholdMs = check("workerThresholdMs", workerThresholdMs, 0, 24 * MAX_THRESHOLD_MS);
    return this;
  }

  public long getHeartbeatMs() {
    return heartbeatMs;
  }

  /** @param heartbeatMs period of the per-loop heartbeat feeding the lag histogram, in [1, 1000] */
  public BlockingCheckerOptions setHeartbeatMs(long heartbeatMs) {
    this.heartbeatMs = check("heartbeatMs", heartbeatMs, 1, 1_000);
    return this;
  }

  public long getSampleIntervalMs() {
    return sampleIntervalMs;
  }

  /** @param sampleIntervalMs stack sampling period during a stall; 0 = {@code thresholdMs / 10} in [1, 50] */
  public BlockingCheckerOptions setSampleIntervalMs(long sampleIntervalMs) {
    this.sampleIntervalMs = check("sampleIntervalMs", sampleIntervalMs, 0, 10_000);
    return this;
  }

  /** @return the sampling period in effect */
  public long effectiveSampleIntervalMs() {
    return sampleIntervalMs > 0 ? sampleIntervalMs : Math.max(1, Math.min(50, thresholdMs / 10));
  }

  public boolean isStrict() {
    return strict;
  }

  /**
   * @param strict flag blocking calls on event loops even when short, with JFR event streaming (costs a
   * JFR recording: meant for tests and staging; see the README, Blocking checker). A strict finding is a call
   * the application makes that blocks by nature — a sleep, a park ({@code get}, {@code join}, {@code await}, a
   * contended {@code Lock}), a contended monitor or {@code Object.wait}, a blocking stream socket, a file read,
   * starting a process — however short, or a file write of 1 ms or more; never Netty's non-blocking channel
   * I/O, console output, JVM warm-up (class loading and initialisation, waiting for another thread's class
   * initialisation) or I/O and locking inside a library it called (the watchdog reports those past the
   * threshold)
   */
  public BlockingCheckerOptions setStrict(boolean strict) {
    this.strict = strict;
    return this;
  }

  public long getStrictThresholdMs() {
    return strictThresholdMs;
  }

  /** @param strictThresholdMs in strict mode, flag calls at least this long; 0 flags every call */
  public BlockingCheckerOptions setStrictThresholdMs(long strictThresholdMs) {
    this.strictThresholdMs = check("strictThresholdMs", strictThresholdMs, 0, 60_000);
    return this;
  }

  public int getMaxStackDepth() {
    return maxStackDepth;
  }

  /** @param maxStackDepth frames kept per stack, in [4, 1024] */
  public BlockingCheckerOptions setMaxStackDepth(int maxStackDepth) {
    this.maxStackDepth = (int) check("maxStackDepth", maxStackDepth, 4, 1024);
    return this;
  }

  /** @return a copy of the extra framework package prefixes */
  public List<String> getFrameworkPackages() {
    return new ArrayList<>(frameworkPackages);
  }

  /**
   * @param frameworkPackages class-name prefixes (e.g. {@code "com.acme.platform."}) whose frames are never
   * the culprit, in addition to the JDK, Netty, Vert.x and loopkit
   */
  public BlockingCheckerOptions setFrameworkPackages(List<String> frameworkPackages) {
    List<String> copy = new ArrayList<>();
    for (int i = 0; i < frameworkPackages.size(); i++) {
      copy.add(checkString("frameworkPackages[" + i + "]", frameworkPackages.get(i)));
    }
    this.frameworkPackages = copy;
    return this;
  }

  public boolean isReplaceVertxLog() {
    return replaceVertxLog;
  }

  /** @param replaceVertxLog silence Vert.x's own 2 s blocked-thread log for the threads loopkit watches */
  public BlockingCheckerOptions setReplaceVertxLog(boolean replaceVertxLog) {
    this.replaceVertxLog = replaceVertxLog;
    return this;
  }

  public String getLogStacks() {
    return logStacks;
  }

  /** @param logStacks {@code once} per distinct culprit, {@code always}, or {@code never} */
  public BlockingCheckerOptions setLogStacks(String logStacks) {
    if (!"once".equals(logStacks) && !"always".equals(logStacks) && !"never".equals(logStacks)) {
      throw new ConfigException("logStacks", "must be one of once, always, never, got " + ConfigReader.show(logStacks));
    }
    this.logStacks = logStacks;
    return this;
  }

  public int getTopCulprits() {
    return topCulprits;
  }

  /** @param topCulprits culprits listed in the report, in [1, 1000] */
  public BlockingCheckerOptions setTopCulprits(int topCulprits) {
    this.topCulprits = (int) check("topCulprits", topCulprits, 1, 1000);
    return this;
  }

  public int getRecentIncidents() {
    return recentIncidents;
  }

  /** @param recentIncidents final incident records kept for the report, in [0, 1000] */
  public BlockingCheckerOptions setRecentIncidents(int recentIncidents) {
    this.recentIncidents = (int) check("recentIncidents", recentIncidents, 0, 1000);
    return this;
  }
}
