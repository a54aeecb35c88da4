package dev.loopkit.config;

import dev.loopkit.bus.LogValues;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict reader of one JSON object of configuration: the validation helper every loopkit capability uses
 * for its own section.
 *
 * <p>Each getter checks the type (and range) of one key and returns its value or the given default when
 * the key is absent; a {@code null} value counts as absent. A wrong type or range throws a
 * {@link ConfigException} naming the key's JSON path, the expectation and the value found. The reader
 * remembers which keys were read; {@link #done()} then rejects any key nobody asked for, with the
 * closest known key as a suggestion — a typo never passes silently.
 *
 * <pre>{@code
 * ConfigReader r = ConfigReader.of(json);
 * int max = r.integer("maxInFlight", DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000);
 * String address = r.string("address", DEFAULT_ADDRESS);
 * r.done();
 * }</pre>
 *
 * Integers must be JSON integers: {@code 10} is an integer, {@code "10"} and {@code 10.5} are not.
 *
 * <p>Also used for event-bus request bodies: values and unknown key names shown in messages are cut and
 * escaped ({@link LogValues}), so a message stays one short line whatever the input.
 */
public final class ConfigReader {

  private final JsonObject json;
  private final String path;
  private final Set<String> known = new LinkedHashSet<>();

  private ConfigReader(JsonObject json, String path) {
    this.json = json == null ? new JsonObject() : json;
    this.path = path == null ? "" : path;
  }

  /** A reader of {@code json} (may be {@code null}: read as empty) at the root path. */
  public static ConfigReader of(JsonObject json) {
    return new ConfigReader(json, "");
  }

  /** A reader of {@code json} whose errors name paths below {@code path}. */
  public static ConfigReader of(JsonObject json, String path) {
    return new ConfigReader(json, path);
  }

  /**
   * @return the JSON path of {@code key} in this section, e.g. {@code http.port}; a key that is not a plain
   * short name is shown cut and escaped ({@link LogValues})
   */
  public String path(String key) {
    return join(path, shownKey(key));
  }

  private static String shownKey(String key) {
    if (key == null || key.length() > LogValues.MAX_CHARS) {
      return LogValues.safe(key, LogValues.MAX_CHARS);
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c == '\\' || c >= 0x7f && c < 0xa0 || c == '\u2028' || c == '\u2029') {
        return LogValues.safe(key, LogValues.MAX_CHARS);
      }
    }
    return key;
  }

  /** @return whether the key is present with a non-null value (marks it as known) */
  public boolean has(String key) {
    known.add(key);
    return json.getValue(key) != null;
  }

  /** @return the keys present in this object, in file order */
  public Set<String> keys() {
    return Collections.unmodifiableSet(json.fieldNames());
  }

  /** A string value, or {@code def} when absent. Empty strings are rejected. */
  public String string(String key, String def) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof String)) {
      throw error(key, "must be a string, got " + show(v));
    }
    if (((String) v).isEmpty()) {
      throw error(key, "must not be empty");
    }
    return (String) v;
  }

  /** A required, non-empty string. */
  public String requiredString(String key) {
    String s = string(key, null);
    if (s == null) {
      throw error(key, "is required (a string)");
    }
    return s;
  }

  /** A string that must be one of {@code allowed} (case-sensitive), or {@code def} when absent. */
  public String oneOf(String key, String def, String... allowed) {
    String s = string(key, def);
    if (s == null) {
      return null;
    }
    for (String a : allowed) {
      if (a.equals(s)) {
        return s;
      }
    }
    throw error(key, "must be one of " + String.join(", ", allowed) + ", got " + show(s));
  }

  /** A boolean, or {@code def} when absent. */
  public boolean bool(String key, boolean def) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Boolean)) {
      throw error(key, "must be true or false, got " + show(v));
    }
    return (Boolean) v;
  }

  /** An integer in {@code [min, max]}, or {@code def} when absent. */
  public int integer(String key, int def, int min, int max) {
    return (int) longValue(key, def, min, max);
  }

  /** A long in {@code [min, max]}, or {@code def} when absent. */
  public long longValue(String key, long def, long min, long max) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    Long l = asLong(v);
    if (l == null || l < min || l > max) {
      throw error(key, "must be an integer in " + range(min, max) + ", got " + show(v));
    }
    return l;
  }

  /** A number (integer or decimal) in {@code [min, max]}, or {@code def} when absent. */
  public double number(String key, double def, double min, double max) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof Number) || Double.isNaN(((Number) v).doubleValue())
      || ((Number) v).doubleValue() < min || ((Number) v).doubleValue() > max) {
      throw error(key, "must be a number in [" + min + ", " + max + "], got " + show(v));
    }
    return ((Number) v).doubleValue();
  }

  /** A list of non-empty strings, or {@code def} when absent. */
  public List<String> strings(String key, List<String> def) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof JsonArray)) {
      throw error(key, "must be an array of strings, got " + show(v));
    }
    JsonArray a = (JsonArray) v;
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      Object item = a.getValue(i);
      if (!(item instanceof String) || ((String) item).isEmpty()) {
        throw new ConfigException(path(key) + "[" + i + "]", "must be a non-empty string, got " + show(item));
      }
      out.add((String) item);
    }
    return out;
  }

  /** A free-form JSON object (not validated further), or {@code def} when absent. */
  public JsonObject object(String key, JsonObject def) {
    Object v = value(key);
    if (v == null) {
      return def;
    }
    if (!(v instanceof JsonObject)) {
      throw error(key, "must be a JSON object, got " + show(v));
    }
    return (JsonObject) v;
  }

  /** A nested section, read strictly by the returned reader; an absent key reads as an empty object. */
  public ConfigReader section(String key) {
    return new ConfigReader(object(key, new JsonObject()), path(key));
  }

  /** An array of objects, each read strictly by its own reader ({@code key[i]} in error paths). */
  public List<ConfigReader> sections(String key) {
    Object v = value(key);
    if (v == null) {
      return List.of();
    }
    if (!(v instanceof JsonArray)) {
      throw error(key, "must be an array of objects, got " + show(v));
    }
    JsonArray a = (JsonArray) v;
    List<ConfigReader> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      Object item = a.getValue(i);
      String itemPath = path(key) + "[" + i + "]";
      if (!(item instanceof JsonObject)) {
        throw new ConfigException(itemPath, "must be a JSON object, got " + show(item));
      }
      out.add(new ConfigReader((JsonObject) item, itemPath));
    }
    return out;
  }

  /** A raw value of any JSON type, or {@code null} when absent (marks the key as known). */
  public Object raw(String key) {
    return value(key);
  }

  /**
   * Rejects every key that no getter asked for.
   *
   * @throws ConfigException naming the first unknown key, the closest known one and the known keys
   */
  public void done() {
    for (String key : json.fieldNames()) {
      if (!known.contains(key)) {
        String hint = closest(key);
        throw error(key, "unknown key" + (hint != null ? " (did you mean '" + hint + "'?)" : "")
          + "; known keys: " + String.join(", ", known));
      }
    }
  }

  /** @return a {@link ConfigException} about {@code key} in this section */
  public ConfigException error(String key, String problem) {
    return new ConfigException(path(key), problem);
  }

  /** @return the value shown the way it appears in JSON, for error messages */
  public static String show(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return LogValues.quote(v);
    }
    if (v instanceof JsonObject) {
      return "an object";
    }
    if (v instanceof JsonArray) {
      return "an array";
    }
    if (v instanceof Map || v instanceof List) {
      return "a " + v.getClass().getSimpleName();
    }
    return String.valueOf(v);
  }

  static String join(String parent, String child) {
    if (parent == null || parent.isEmpty()) {
      return child == null ? "" : child;
    }
    if (child == null || child.isEmpty()) {
      return parent;
    }
    return child.startsWith("[") ? parent + child : parent + "." + child;
  }

  private Object value(String key) {
    known.add(key);
    return json.getValue(key);
  }

  private static Long asLong(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof java.math.BigInteger) {
      java.math.BigInteger b = (java.math.BigInteger) v;
      return b.bitLength() < 64 ? b.longValue() : null;
    }
    return null;
  }

  private static String range(long min, long max) {
    if (max == Long.MAX_VALUE || max == Integer.MAX_VALUE) {
      return "[" + min + ", ∞)";
    }
    return "[" + min + ", " + max + "]";
  }

  private String closest(String key) {
    if (key.length() > 64) {
      return null;
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(key.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return bestDistance <= Math.max(2, key.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
