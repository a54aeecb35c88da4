package dev.loopkit.console;

import dev.loopkit.config.ConfigReader;
import io.vertx.core.json.JsonObject;

/**
 * Options of the loop console (the {@code http.console} section of the application config): a live page of
 * event-loop health served by the HTTP front at {@code GET /console}. All sizes are counts.
 *
 * <p>Security rules (see README, "Loop console"): the console is served only while {@code enabled} and either
 * the front binds a loopback address or {@code token} is set; when {@code token} is set, every console
 * request and the live channel must carry it ({@code ?token=}, {@code Authorization: Bearer}, or the
 * {@code HttpOnly}, {@code SameSite=Strict} cookie the page gets when it is opened with the token). The browser
 * only receives: the live channel is Server-Sent Events fed from a fixed list of published addresses, and
 * nothing the page sends reaches the event bus.
 */
public final class ConsoleOptions {

  /** Default: the console is on (it is still off on a non-loopback bind without a token). */
  public static final boolean DEFAULT_ENABLED = true;
  /** Default token: none (only a loopback bind serves the console). */
  public static final String DEFAULT_TOKEN = null;
  /** Live channels open at once; the next one is answered 503. */
  public static final int DEFAULT_MAX_CLIENTS = 16;
  /** Events queued per live client while it reads slowly; beyond, the oldest are dropped (and the page told). */
  public static final int DEFAULT_MAX_QUEUED_EVENTS = 256;
  /** Shortest token accepted: a guessable token is no protection. */
  public static final int MIN_TOKEN_LENGTH = 16;

  private boolean enabled = DEFAULT_ENABLED;
  private String token = DEFAULT_TOKEN;
  private int maxClients = DEFAULT_MAX_CLIENTS;
  private int maxQueuedEvents = DEFAULT_MAX_QUEUED_EVENTS;

  public ConsoleOptions() {
  }

  /** A validated copy. @throws dev.loopkit.config.ConfigException when {@code other} holds an invalid value */
  public ConsoleOptions(ConsoleOptions other) {
    this(other.toJson());
  }

  /** @throws dev.loopkit.config.ConfigException on unknown keys, wrong types or out-of-range values */
  public ConsoleOptions(JsonObject json) {
    this(json, null);
  }

  /** @param path the section's path in error messages (e.g. {@code http.console}), or null */
  public ConsoleOptions(JsonObject json, String path) {
    this(path == null ? ConfigReader.of(json) : ConfigReader.of(json, path));
  }

  /** Reads the section with {@code r} (its path is used in error messages). */
  public ConsoleOptions(ConfigReader r) {
    enabled = r.bool("enabled", DEFAULT_ENABLED);
    token = r.string("token", DEFAULT_TOKEN);
    maxClients = r.integer("maxClients", DEFAULT_MAX_CLIENTS, 1, 1000);
    maxQueuedEvents = r.integer("maxQueuedEvents", DEFAULT_MAX_QUEUED_EVENTS, 1, 100_000);
    r.done();
    if (token != null) {
      if (token.length() < MIN_TOKEN_LENGTH || token.length() > 512) {
        throw r.error("token", "must be " + MIN_TOKEN_LENGTH + " to 512 characters, got " + token.length()
          + " (generate one: openssl rand -hex 24)");
      }
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || "-._~+/=".indexOf(c) >= 0)) {
          throw r.error("token", "may hold only letters, digits and - . _ ~ + / = (it travels in a URL, a header "
            + "and a cookie); character " + (i + 1) + " is not one of them");
        }
      }
    }
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("enabled", enabled);
    if (token != null) {
      json.put("token", token);
    }
    return json.put("maxClients", maxClients).put("maxQueuedEvents", maxQueuedEvents);
  }

  public boolean isEnabled() {
    return enabled;
  }

  public ConsoleOptions setEnabled(boolean enabled) {
    this.enabled = enabled;
    return this;
  }

  /** @return the token every console request must carry, or null */
  public String getToken() {
    return token;
  }

  /** @param token null: none (the console is then served on loopback binds only) */
  public ConsoleOptions setToken(String token) {
    this.token = token;
    return this;
  }

  public int getMaxClients() {
    return maxClients;
  }

  public ConsoleOptions setMaxClients(int maxClients) {
    this.maxClients = maxClients;
    return this;
  }

  public int getMaxQueuedEvents() {
    return maxQueuedEvents;
  }

  public ConsoleOptions setMaxQueuedEvents(int maxQueuedEvents) {
    this.maxQueuedEvents = maxQueuedEvents;
    return this;
  }

  @Override
  public String toString() {
    // never the token itself
    return "ConsoleOptions{enabled=" + enabled + ", token=" + (token == null ? "none" : "set") + ", maxClients="
      + maxClients + ", maxQueuedEvents=" + maxQueuedEvents + "}";
  }
}
