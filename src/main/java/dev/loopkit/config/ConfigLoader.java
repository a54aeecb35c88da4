package dev.loopkit.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads one JSON config file with vertx-config, then applies overrides, in this order (later wins):
 *
 * <ol>
 *   <li>the file ({@code file} store; a path on disk, or a class-path resource such as the embedded
 *   {@value #DEFAULT_RESOURCE});</li>
 *   <li>environment variables {@code LOOPKIT_<PATH>}: path segments separated by a double underscore and
 *   matched case-insensitively against keys present in the file, e.g. {@code LOOPKIT_HTTP__PORT=9090}
 *   or {@code LOOPKIT_VERTICLES__FETCH__CONFIG__MAXINFLIGHT=500};</li>
 *   <li>system properties {@code -Dloopkit.<path>}: the exact dotted JSON path, which may also add a key
 *   the file lacks, e.g. {@code -Dloopkit.http.port=9090}.</li>
 * </ol>
 *
 * Override values are read as JSON when they parse ({@code 9090}, {@code true}, {@code ["a"]}) and as
 * strings otherwise. A syntax error in the file fails with its line and column; a duplicate key is a
 * syntax error too. Every failure is a {@link ConfigException} naming the file (or the override) and the
 * JSON path.
 */
public final class ConfigLoader {

  /** The embedded default config, a class-path resource (a copy of {@code conf/application.json}). */
  public static final String DEFAULT_RESOURCE = "conf/application.json";
  /** Prefix of environment-variable overrides. */
  public static final String ENV_PREFIX = "LOOPKIT_";
  /** Prefix of system-property overrides. */
  public static final String SYS_PREFIX = "loopkit.";

  private static final JsonFactory JSON = JsonFactory.builder()
    .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
    .build();

  private ConfigLoader() {
  }

  /** The merged configuration and where each value came from. */
  public static final class Loaded {
    private final String source;
    private final JsonObject json;
    private final Map<String, String> overrides;

    Loaded(String source, JsonObject json, Map<String, String> overrides) {
      this.source = source;
      this.json = json;
      this.overrides = overrides;
    }

    /** @return the same configuration, attributed to {@code newSource} */
    public Loaded renamed(String newSource) {
      return new Loaded(newSource, json, overrides);
    }

    /** @return the file the configuration came from, as a person would name it */
    public String source() {
      return source;
    }

    /** @return the merged configuration */
    public JsonObject json() {
      return json;
    }

    /** @return JSON path → override that set it (e.g. {@code http.port → env LOOPKIT_HTTP__PORT}) */
    public Map<String, String> overrides() {
      return overrides;
    }

    /**
     * @return {@code e} located in this config: attributed to the override that set the offending value
     * when there is one, else to the file
     */
    public ConfigException locate(ConfigException e) {
      for (Map.Entry<String, String> o : overrides.entrySet()) {
        if (e.path().equals(o.getKey()) || e.path().startsWith(o.getKey() + ".") || e.path().startsWith(o.getKey() + "[")) {
          return new ConfigException(source + " (overridden by " + o.getValue() + ")", e.path(), e.problem());
        }
      }
      return new ConfigException(source, e.path(), e.problem());
    }
  }

  /**
   * Loads {@code path} (a file on disk; or a class-path resource when no such file exists) and applies
   * the environment and system-property overrides.
   */
  public static Future<Loaded> load(Vertx vertx, String path) {
    return vertx.fileSystem().readFile(path)
      .recover(err -> Future.failedFuture(new ConfigException(path, "", "cannot read the file: " + err.getMessage())))
      .compose(content -> {
        parseStrict(path, content.toString());
        ConfigRetrieverOptions options = new ConfigRetrieverOptions()
          .setScanPeriod(0)
          .setIncludeDefaultStores(false)
          .addStore(new ConfigStoreOptions().setType("file").setFormat("json")
            .setConfig(new JsonObject().put("path", path)))
          .addStore(new ConfigStoreOptions().setType("env")
            .setConfig(new JsonObject().put("raw-data", true).put("keys", envKeys())))
          .addStore(new ConfigStoreOptions().setType("sys")
            .setConfig(new JsonObject().put("raw-data", true).put("cache", false)));
        ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
        return retriever.getConfig()
          .eventually(retriever::close)
          .recover(err -> Future.failedFuture(new ConfigException(path, "", "cannot load: " + err.getMessage())))
          .map(merged -> applyOverrides(path, merged));
      });
  }

  /** An already-parsed object (e.g. a verticle's {@code config()}), without overrides. */
  public static Loaded fromObject(String source, JsonObject json) {
    return new Loaded(source, json.copy(), new LinkedHashMap<>());
  }

  /** Parses {@code text} strictly (an inline {@code -conf} JSON string) and applies the overrides. */
  public static Loaded applyArgument(String source, String text) {
    JsonObject merged = parseStrict(source, text);
    System.getenv().forEach((k, v) -> {
      if (k.startsWith(ENV_PREFIX)) {
        merged.put(k, v);
      }
    });
    System.getProperties().stringPropertyNames().forEach(k -> {
      if (k.startsWith(SYS_PREFIX)) {
        merged.put(k, System.getProperty(k));
      }
    });
    return applyOverrides(source, merged);
  }

  /**
   * Parses {@code text} as one JSON object, strictly.
   *
   * @throws ConfigException naming {@code source}, the line and column, and the problem
   */
  public static JsonObject parseStrict(String source, String text) {
    try (JsonParser parser = JSON.createParser(text)) {
      JsonToken first = parser.nextToken();
      if (first == null) {
        throw new ConfigException(source, "", "the file is empty; it must hold one JSON object");
      }
      if (first != JsonToken.START_OBJECT) {
        throw new ConfigException(source, "", "line " + parser.currentLocation().getLineNr()
          + ", column " + parser.currentLocation().getColumnNr() + ": must be a JSON object, starts with " + first.asString());
      }
      parser.skipChildren();
      JsonToken trailing = parser.nextToken();
      if (trailing != null) {
        JsonLocation at = parser.currentTokenLocation();
        throw new ConfigException(source, "", "line " + at.getLineNr() + ", column " + at.getColumnNr()
          + ": unexpected content after the JSON object");
      }
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
      throw new ConfigException(source, "", "invalid JSON at " + where + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ConfigException(source, "", "cannot read: " + e.getMessage());
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException(source, "", "invalid JSON: " + e.getMessage());
    }
  }

  private static JsonArray envKeys() {
    JsonArray keys = new JsonArray();
    System.getenv().keySet().stream().filter(k -> k.startsWith(ENV_PREFIX)).sorted().forEach(keys::add);
    return keys;
  }

  /** Splits the merged store output into the file's object and the prefixed overrides, then applies them. */
  static Loaded applyOverrides(String source, JsonObject merged) {
    JsonObject config = new JsonObject();
    Map<String, String> env = new LinkedHashMap<>();
    Map<String, String> sys = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : merged) {
      String key = e.getKey();
      if (key.startsWith(ENV_PREFIX) && System.getenv(key) != null) {
        env.put(key, String.valueOf(e.getValue()));
      } else if (key.startsWith(SYS_PREFIX) && System.getProperty(key) != null) {
        sys.put(key, String.valueOf(e.getValue()));
      } else if (System.getProperty(key) == null) {
        config.put(key, e.getValue());
      }
    }
    return overlay(source, config, env, sys);
  }

  /**
   * Applies {@code LOOPKIT_*} environment and {@code loopkit.*} system-property overrides to
   * {@code config} (modified in place), environment first, each in name order.
   *
   * @param env environment variables (only {@code LOOPKIT_*} names are used)
   * @param sys system properties (only {@code loopkit.*} names are used)
   */
  public static Loaded overlay(String source, JsonObject config, Map<String, String> env, Map<String, String> sys) {
    Map<String, String> provenance = new LinkedHashMap<>();
    env.keySet().stream().filter(k -> k.startsWith(ENV_PREFIX)).sorted().forEach(name -> {
      String[] segments = name.substring(ENV_PREFIX.length()).split("__", -1);
      String path = setPath(config, segments, true, env.get(name), "env " + name);
      provenance.put(path, "env " + name);
    });
    sys.keySet().stream().filter(k -> k.startsWith(SYS_PREFIX)).sorted().forEach(name -> {
      String[] segments = name.substring(SYS_PREFIX.length()).split("\\.", -1);
      String path = setPath(config, segments, false, sys.get(name), "-D" + name);
      provenance.put(path, "-D" + name);
    });
    return new Loaded(source, config, provenance);
  }

  private static String setPath(JsonObject root, String[] segments, boolean caseInsensitive, String raw, String origin) {
    JsonObject node = root;
    List<String> path = new ArrayList<>();
    for (int i = 0; i < segments.length; i++) {
      String wanted = segments[i];
      if (wanted.isEmpty()) {
        throw new ConfigException(origin, "", "empty path segment; separate keys with "
          + (caseInsensitive ? "a double underscore" : "a dot"));
      }
      String key = caseInsensitive ? matchKey(node, wanted) : wanted;
      if (key == null) {
        throw new ConfigException(origin, String.join(".", path), "no key matches '" + wanted.toLowerCase(Locale.ROOT)
          + "' here (known: " + String.join(", ", node.fieldNames()) + "); environment overrides replace keys "
          + "present in the file, use -D" + SYS_PREFIX + "<path> to add one");
      }
      path.add(key);
      if (i == segments.length - 1) {
        node.put(key, parseValue(raw));
      } else {
        Object child = node.getValue(key);
        if (child == null) {
          child = new JsonObject();
          node.put(key, child);
        }
        if (!(child instanceof JsonObject)) {
          throw new ConfigException(origin, String.join(".", path), "is not an object, cannot set a key below it");
        }
        node = (JsonObject) child;
      }
    }
    return String.join(".", path);
  }

  private static String matchKey(JsonObject node, String wanted) {
    for (String k : node.fieldNames()) {
      if (k.equalsIgnoreCase(wanted)) {
        return k;
      }
    }
    return null;
  }

  private static Object parseValue(String raw) {
    String s = raw.trim();
    try {
      Object v = io.vertx.core.json.Json.decodeValue(s);
      if (v != null) {
        return v;
      }
    } catch (DecodeException ignored) {
      // not JSON: a plain string
    }
    return raw;
  }
}
