package dev.loopkit.cluster;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code cluster} section of the application config: whether this process joins a Hazelcast-clustered
 * event bus, and how. All durations are in milliseconds.
 *
 * <pre>{@code
 * "cluster": { "enabled": true, "name": "shop", "nodeName": "a", "host": "127.0.0.1", "port": 5701,
 *              "members": ["127.0.0.1:5701", "127.0.0.1:5702"], "eventBusPort": 0, "memberTimeoutMs": 2000 }
 * }</pre>
 *
 * <ul>
 *   <li>Absent, or {@code "enabled": false}: one JVM, no cluster (the embedded default).</li>
 *   <li>{@code host} is the one address Hazelcast and the event bus bind to and advertise; it must be an
 *   address of this machine ({@link #checkHostIsLocal()}: checked before anything starts).</li>
 *   <li>{@code members} is the TCP/IP join list ({@code host}, {@code host:port} or {@code host:port-port});
 *   absent means {@code [host:port]} (a first member that others join); multicast and cloud auto-detection
 *   are off.</li>
 *   <li>{@code memberTimeoutMs} is how soon a silent member is dropped (Hazelcast counts whole seconds: the
 *   value is rounded up to a second).</li>
 *   <li>{@code nodeName} (added to the keys) names this node in banners and in the {@code node}
 *   field of cluster-wide records; absent, the node is named by its Hazelcast address ({@code host:port}).</li>
 * </ul>
 * The JSON constructor rejects unknown keys, wrong types, out-of-range ports, an empty or malformed member
 * list, with a {@link ConfigException} naming the key.
 */
public final class ClusterOptions {

  /** Default: not clustered. */
  public static final boolean DEFAULT_ENABLED = false;
  /** Default cluster name: nodes with another name never join. */
  public static final String DEFAULT_NAME = "loopkit";
  /** Default address Hazelcast and the event bus bind to: loopback only. */
  public static final String DEFAULT_HOST = "127.0.0.1";
  /** Default Hazelcast member port (auto-incremented when taken). */
  public static final int DEFAULT_PORT = 5701;
  /** How many ports above {@code port} Hazelcast tries when {@code port} is taken. */
  public static final int PORT_COUNT = 20;
  /** Default event-bus port: {@code 0}, any free port. */
  public static final int DEFAULT_EVENT_BUS_PORT = 0;
  /**
   * Default time after which a silent member is dropped: 2 s (Hazelcast's own default is 60 s). Measured
   * on loopback: see BENCHMARKS.md, "Past one machine".
   */
  public static final long DEFAULT_MEMBER_TIMEOUT_MS = 2_000;
  /** Smallest {@code memberTimeoutMs}: Hazelcast's heartbeat has a one-second granularity. */
  public static final long MIN_MEMBER_TIMEOUT_MS = 1_000;
  /** Largest {@code memberTimeoutMs}: ten minutes. */
  public static final long MAX_MEMBER_TIMEOUT_MS = 600_000;

  private static final Pattern MEMBER = Pattern.compile("([^\\s:\\[\\]]+|\\[[0-9a-fA-F:.]+\\])(?::(\\d{1,5})(?:-(\\d{1,5}))?)?");

  private boolean enabled = DEFAULT_ENABLED;
  private String name = DEFAULT_NAME;
  private String nodeName;
  private String host = DEFAULT_HOST;
  private int port = DEFAULT_PORT;
  private List<String> members;
  private int eventBusPort = DEFAULT_EVENT_BUS_PORT;
  private long memberTimeoutMs = DEFAULT_MEMBER_TIMEOUT_MS;

  public ClusterOptions() {
  }

  public ClusterOptions(ClusterOptions other) {
    this(other.toJson());
  }

  /** @throws ConfigException on unknown keys, wrong types, out-of-range values or a bad member list */
  public ClusterOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    enabled = r.bool("enabled", DEFAULT_ENABLED);
    name = r.string("name", DEFAULT_NAME);
    nodeName = r.string("nodeName", null);
    host = r.string("host", DEFAULT_HOST);
    port = r.integer("port", DEFAULT_PORT, 1, 65535);
    List<String> list = r.strings("members", null);
    if (list != null) {
      if (list.isEmpty()) {
        throw r.error("members", "must name at least one member (host:port); leave the key out to start a first "
          + "member that others join");
      }
      for (int i = 0; i < list.size(); i++) {
        String problem = memberProblem(list.get(i));
        if (problem != null) {
          throw new ConfigException(r.path("members") + "[" + i + "]", problem + ", got " + ConfigReader.show(list.get(i)));
        }
      }
      members = new ArrayList<>(list);
    }
    eventBusPort = r.integer("eventBusPort", DEFAULT_EVENT_BUS_PORT, 0, 65535);
    memberTimeoutMs = r.longValue("memberTimeoutMs", DEFAULT_MEMBER_TIMEOUT_MS, MIN_MEMBER_TIMEOUT_MS, MAX_MEMBER_TIMEOUT_MS);
    r.done();
    if (name.length() > 128 || !name.matches("[A-Za-z0-9._-]+")) {
      throw r.error("name", "must be 1-128 characters among A-Z a-z 0-9 . _ -, got " + ConfigReader.show(name));
    }
    if (nodeName != null && (nodeName.length() > 64 || !nodeName.matches("[A-Za-z0-9._:-]+"))) {
      throw r.error("nodeName", "must be 1-64 characters among A-Z a-z 0-9 . _ : -, got " + ConfigReader.show(nodeName));
    }
  }

  /** @return why {@code member} is not {@code host}, {@code host:port} or {@code host:port-port}; null when it is */
  static String memberProblem(String member) {
    Matcher m = MEMBER.matcher(member);
    if (!m.matches()) {
      return "must be host, host:port or host:port-port";
    }
    for (int g = 2; g <= 3; g++) {
      if (m.group(g) != null) {
        int p = Integer.parseInt(m.group(g));
        if (p < 1 || p > 65535) {
          return "port must be in [1, 65535]";
        }
      }
    }
    if (m.group(3) != null && Integer.parseInt(m.group(3)) < Integer.parseInt(m.group(2))) {
      return "port range must go upwards";
    }
    return null;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject()
      .put("enabled", enabled)
      .put("name", name);
    if (nodeName != null) {
      json.put("nodeName", nodeName);
    }
    json.put("host", host)
      .put("port", port);
    if (members != null) {
      json.put("members", new JsonArray(new ArrayList<>(members)));
    }
    return json.put("eventBusPort", eventBusPort)
      .put("memberTimeoutMs", memberTimeoutMs);
  }

  /**
   * Checks that {@link #getHost() host} is an address of this machine (a loopback address, or one bound
   * to a network interface), resolving it when it is a name.
   *
   * @throws ConfigException naming {@code host} when it is not, or cannot be resolved
   */
  public ClusterOptions checkHostIsLocal() {
    String problem = dev.loopkit.cluster.impl.LocalAddresses.problem(host);
    if (problem != null) {
      throw new ConfigException("host", problem);
    }
    return this;
  }

  public boolean isEnabled() {
    return enabled;
  }

  public ClusterOptions setEnabled(boolean enabled) {
    this.enabled = enabled;
    return this;
  }

  /** @return the cluster name: only nodes with the same name form a cluster */
  public String getName() {
    return name;
  }

  public ClusterOptions setName(String name) {
    this.name = name;
    return this;
  }

  /** @return this node's name, or {@code null}: named by its Hazelcast address once started */
  public String getNodeName() {
    return nodeName;
  }

  public ClusterOptions setNodeName(String nodeName) {
    this.nodeName = nodeName;
    return this;
  }

  /** @return the address Hazelcast and the event bus bind to and advertise */
  public String getHost() {
    return host;
  }

  public ClusterOptions setHost(String host) {
    this.host = host;
    return this;
  }

  /** @return the Hazelcast member port (the next free one of {@value #PORT_COUNT} is taken when busy) */
  public int getPort() {
    return port;
  }

  public ClusterOptions setPort(int port) {
    this.port = port;
    return this;
  }

  /** @return the TCP/IP join list as configured, or {@code null}: {@link #effectiveMembers()} is {@code [host:port]} */
  public List<String> getMembers() {
    return members == null ? null : new ArrayList<>(members);
  }

  /** @return the join list used: {@code members}, or {@code [host:port]} when not configured */
  public List<String> effectiveMembers() {
    return members != null ? new ArrayList<>(members) : List.of(host + ":" + port);
  }

  public ClusterOptions setMembers(List<String> members) {
    this.members = members == null ? null : new ArrayList<>(members);
    return this;
  }

  /** @return the event-bus TCP port ({@code 0}: any free port) */
  public int getEventBusPort() {
    return eventBusPort;
  }

  public ClusterOptions setEventBusPort(int eventBusPort) {
    this.eventBusPort = eventBusPort;
    return this;
  }

  /** @return how soon a member that stopped answering heartbeats is dropped */
  public long getMemberTimeoutMs() {
    return memberTimeoutMs;
  }

  /** @param memberTimeoutMs at least {@value #MIN_MEMBER_TIMEOUT_MS}; rounded up to whole seconds */
  public ClusterOptions setMemberTimeoutMs(long memberTimeoutMs) {
    this.memberTimeoutMs = memberTimeoutMs;
    return this;
  }
}
