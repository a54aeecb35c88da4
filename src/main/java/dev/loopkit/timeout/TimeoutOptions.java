package dev.loopkit.timeout;

import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Options of the {@link TimeoutVerticle} (its {@code config} section). All durations are in milliseconds.
 *
 * <pre>{@code
 * { "address": "loopkit.timeout", "statsAddress": "loopkit.timeout.stats",
 *   "routes": [ { "address": "prices.guarded", "target": "prices", "timeoutMs": 500 } ] }
 * }</pre>
 *
 * Errors name the full path, e.g. {@code routes[2].retry.maxAttempts: must be an integer in [1, 100], got 0}.
 *
 * <p>Addresses are checked against each other: a route's {@code target} is neither Vert.x's
 * ({@code __vertx.*}), {@code loopkit.cancel}, the verticle's own {@code address}/{@code statsAddress}, nor
 * part of a loop of routes (a → b → a); a breaker's {@code notificationAddress} is none of the addresses the
 * verticle serves (a state change published there would be served as a call) nor a reserved one.
 */
public final class TimeoutOptions {

  /** Default generic call address: {@code {"route": "<route address>", "body": ...}}. */
  public static final String DEFAULT_ADDRESS = "loopkit.timeout";
  /** Default address of the per-route statistics (request/reply). */
  public static final String DEFAULT_STATS_ADDRESS = "loopkit.timeout.stats";

  private String address = DEFAULT_ADDRESS;
  private String statsAddress = DEFAULT_STATS_ADDRESS;
  private List<RouteOptions> routes = new ArrayList<>();

  public TimeoutOptions() {
  }

  public TimeoutOptions(TimeoutOptions other) {
    this(other.toJson());
  }

  /** @throws ConfigException naming the path of the first problem */
  public TimeoutOptions(JsonObject json) {
    ConfigReader r = ConfigReader.of(json);
    address = r.string("address", DEFAULT_ADDRESS);
    statsAddress = r.string("statsAddress", DEFAULT_STATS_ADDRESS);
    List<ConfigReader> sections = r.sections("routes");
    List<RouteOptions> read = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < sections.size(); i++) {
      String path = r.path("routes") + "[" + i + "]";
      RouteOptions route;
      try {
        route = new RouteOptions((JsonObject) ((JsonArray) r.raw("routes")).getValue(i));
      } catch (ConfigException e) {
        throw e.within(null, path);
      }
      Integer previous = seen.putIfAbsent(route.getAddress(), i);
      if (previous != null) {
        throw new ConfigException(path + ".address", "\"" + route.getAddress() + "\" is already the address of routes["
          + previous + "]; each route needs its own address");
      }
      if (route.getAddress().equals(address) || route.getAddress().equals(statsAddress)) {
        throw new ConfigException(path + ".address", "\"" + route.getAddress()
          + "\" is the verticle's own " + (route.getAddress().equals(address) ? "address" : "statsAddress"));
      }
      read.add(route);
    }
    r.done();
    if (read.isEmpty()) {
      throw r.error("routes", "must list at least one route {\"address\", \"target\", \"timeoutMs\"}");
    }
    if (address.equals(statsAddress)) {
      throw r.error("statsAddress", "must differ from address \"" + address + "\"");
    }
    checkAddresses(r, read);
    routes = read;
  }

  private void checkAddresses(ConfigReader r, List<RouteOptions> read) {
    Map<String, String> targetOf = new HashMap<>();
    read.forEach(route -> targetOf.put(route.getAddress(), route.getTarget()));
    for (int i = 0; i < read.size(); i++) {
      RouteOptions route = read.get(i);
      String path = r.path("routes") + "[" + i + "]";
      String target = route.getTarget();
      if (reserved(target) || target.equals(address) || target.equals(statsAddress)) {
        throw new ConfigException(path + ".target", "\"" + target + "\" is " + (reserved(target) ? "a reserved address"
          : "the verticle's own " + (target.equals(address) ? "address" : "statsAddress")) + "; a route forwards to a service");
      }
      // follow route → route: coming back to where we started is a loop every call would go round until its deadline
      String next = target;
      for (int hops = 0; hops <= read.size() && targetOf.containsKey(next); hops++) {
        if (next.equals(route.getAddress())) {
          throw new ConfigException(path + ".target", "\"" + target + "\" leads back to this route (" + route.getAddress()
            + "): routes must not form a loop");
        }
        next = targetOf.get(next);
      }
      BreakerOptions breaker = route.getCircuitBreaker();
      if (breaker != null) {
        String n = breaker.getNotificationAddress();
        if (reserved(n) || n.equals(address) || n.equals(statsAddress) || targetOf.containsKey(n)) {
          throw new ConfigException(path + ".circuitBreaker.notificationAddress", "\"" + n + "\" is "
            + (reserved(n) ? "a reserved address" : "an address this verticle serves")
            + ": state changes published there would be served as requests; choose an address of its own");
        }
      }
    }
  }

  private static boolean reserved(String address) {
    return address.startsWith("__vertx.") || address.equals(dev.loopkit.bus.Addresses.CANCEL);
  }

  public JsonObject toJson() {
    JsonArray array = new JsonArray();
    routes.forEach(route -> array.add(route.toJson()));
    return new JsonObject().put("address", address).put("statsAddress", statsAddress).put("routes", array);
  }

  public String getAddress() {
    return address;
  }

  /** @param address the generic call address ({@code {"route", "body"}}) */
  public TimeoutOptions setAddress(String address) {
    this.address = address;
    return this;
  }

  public String getStatsAddress() {
    return statsAddress;
  }

  /** @param statsAddress where per-route statistics are served */
  public TimeoutOptions setStatsAddress(String statsAddress) {
    this.statsAddress = statsAddress;
    return this;
  }

  /** @return the routes (a live list) */
  public List<RouteOptions> getRoutes() {
    return routes;
  }

  public TimeoutOptions setRoutes(List<RouteOptions> routes) {
    this.routes = new ArrayList<>(routes);
    return this;
  }

  public TimeoutOptions addRoute(RouteOptions route) {
    routes.add(route);
    return this;
  }
}
