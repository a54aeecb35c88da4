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
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loads one JSON config file with vertx-config (its {@code file} store only), then applies overrides read
 * from the process, in this order (later wins):
 *
 * <ol>
 *   <li>the file (a path on disk, or a class-path resource such as the embedded
 *   {@value #DEFAULT_RESOURCE});</li>
 *   <li>environment variables {@code LOOPKIT_<PATH>}: path segments separated by a double underscore and
 *   matched case-insensitively against keys present in the file, e.g. {@code LOOPKIT_HTTP__PORT=9090}
 *   or {@code LOOPKIT_VERTICLES__FETCH__CONFIG__MAXINFLIGHT=500};</li>
 *   <li>system properties named exactly like a top-level key ({@code -Dhttp=…}, {@code -Dverticles=…}:
 *   vertx-config's own naming) replace that whole section;</li>
 *   <li>system properties {@code -Dloopkit.<path>}: the exact dotted JSON path, which may also add a key
 *   the file lacks, e.g. {@code -Dloopkit.http.port=9090}.</li>
 * </ol>
 *
 * Override values are read as JSON when they parse ({@code 9090}, {@code true}, {@code ["a"]},
 * {@code {"port": 0}}) and as strings otherwise; an override that gives a section a value of the wrong
 * type ({@code -Dhttp=x}) fails validation with an error naming the override, never silently. No other
 * system property or environment variable is read. A syntax error in the file fails with its line and
 * column; a duplicate key is a syntax error too; a file that holds something other than one JSON object
 * ({@code 42}, {@code []}, {@code null}, {@code "x"}) is named with what it holds. Every failure is a
 * {@link ConfigException} naming the file (or the override) and the JSON path.
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
      // the most specific override that set the offending value or one of its parents
      Map.Entry<String, String> blamed = null;
      for (Map.Entry<String, String> o : overrides.entrySet()) {
        if (e.path().equals(o.getKey()) || e.path().startsWith(o.getKey() + ".") || e.path().startsWith(o.getKey() + "[")) {
          if (blamed == null || o.getKey().length() > blamed.getKey().length()) {
            blamed = o;
          }
        }
      }
      return new ConfigException(blamed == null ? source : source + " (overridden by " + blamed.getValue() + ")",
        e.path(), e.problem());
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
        // the file store only: vertx-config's env and sys stores would merge every system property named
        // like a top-level key over the file as a raw string (-Dhttp=x made the http section vanish)
        ConfigRetrieverOptions options = new ConfigRetrieverOptions()
          .setScanPeriod(0)
          .setIncludeDefaultStores(false)
          .addStore(new ConfigStoreOptions().setType("file").setFormat("json")
            .setConfig(new JsonObject().put("path", path)));
        ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
        return retriever.getConfig()
          .eventually(retriever::close)
          .recover(err -> Future.failedFuture(new ConfigException(path, "", "cannot load: " + err.getMessage())))
          .map(file -> overlay(path, file, System.getenv(), systemProperties()));
      });
  }

  /**
   * Like {@link #load(Vertx, String)}, without a Vert.x instance, for what must be read before one exists
   * (the launcher reads the {@code cluster} section before building a clustered Vert.x): {@code path} is a
   * file on disk, else a class-path resource; the same strict parsing and the same overrides.
   *
   * @throws ConfigException naming the file
   */
  public static Loaded loadNow(String path) {
    String text;
    try {
      java.nio.file.Path file = java.nio.file.Path.of(path);
      if (java.nio.file.Files.isRegularFile(file)) {
        text = java.nio.file.Files.readString(file);
      } else {
        text = resource(path);
        if (text == null) {
          throw new ConfigException(path, "", "cannot read the file: no such file or class-path resource");
        }
      }
    } catch (IOException | java.nio.file.InvalidPathException e) {
      throw new ConfigException(path, "", "cannot read the file: " + e.getMessage());
    }
    return overlay(path, parseStrict(path, text), System.getenv(), systemProperties());
  }

  /** @return whether {@code path} names a file on disk or a class-path resource (as Vert.x's file system resolves it) */
  public static boolean exists(String path) {
    try {
      if (java.nio.file.Files.exists(java.nio.file.Path.of(path))) {
        return true;
      }
    } catch (java.nio.file.InvalidPathException e) {
      return false;
    }
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    return (cl != null ? cl : ConfigLoader.class.getClassLoader()).getResource(path) != null;
  }

  private static String resource(String path) throws IOException {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    java.io.InputStream in = (cl != null ? cl : ConfigLoader.class.getClassLoader()).getResourceAsStream(path);
    if (in == null) {
      return null;
    }
    try (in) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** An already-parsed object (e.g. a verticle's {@code config()}), without overrides. */
  public static Loaded fromObject(String source, JsonObject json) {
    return new Loaded(source, json.copy(), new LinkedHashMap<>());
  }

  /** Parses {@code text} strictly (an inline {@code -conf} JSON string) and applies the overrides. */
  public static Loaded applyArgument(String source, String text) {
    return overlay(source, parseStrict(source, text), System.getenv(), systemProperties());
  }

  private static Map<String, String> systemProperties() {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : System.getProperties().stringPropertyNames()) {
      String value = System.getProperty(name);
      if (value != null) {
        out.put(name, value);
      }
    }
    return out;
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
        JsonLocation at = parser.currentTokenLocation();
        throw new ConfigException(source, "", "line " + at.getLineNr() + ", column " + at.getColumnNr()
          + ": must be a JSON object, starts with " + describe(first, parser));
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
      String where = at == null || at.getLineNr() < 0 ? ": " : " at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
      throw new ConfigException(source, "", "invalid JSON" + where + dev.loopkit.bus.LogValues.safe(e.getOriginalMessage(), 300));
    } catch (IOException e) {
      throw new ConfigException(source, "", "cannot read: " + e.getMessage());
    }
    try {
      return new JsonObject(text);
    } catch (DecodeException e) {
      throw new ConfigException(source, "", "invalid JSON: " + e.getMessage());
    }
  }

  /** @return how the first token of a config that is not an object looks, e.g. {@code a number (42)} */
  private static String describe(JsonToken token, JsonParser parser) throws IOException {
    switch (token) {
      case START_ARRAY:
        return "[";
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        return "a number (" + dev.loopkit.bus.LogValues.safe(parser.getText(), 40) + ")";
      case VALUE_STRING:
        return "a string (" + dev.loopkit.bus.LogValues.quote(parser.getText()) + ")";
      case VALUE_TRUE:
      case VALUE_FALSE:
      case VALUE_NULL:
        return token.asString();
      default:
        return String.valueOf(token);
    }
  }

  /**
   * Applies the overrides to {@code config} (modified in place): {@code LOOPKIT_*} environment variables,
   * then system properties named exactly like a top-level key (of the file or of {@link AppConfig#KEYS}),
   * then {@code loopkit.*} system properties, each group in name order.
   *
   * @param env environment variables (only {@code LOOPKIT_*} names are used)
   * @param sys system properties (only {@code loopkit.*} names and top-level key names are used)
   */
  public static Loaded overlay(String source, JsonObject config, Map<String, String> env, Map<String, String> sys) {
    Map<String, String> provenance = new LinkedHashMap<>();
    env.keySet().stream().filter(k -> k.startsWith(ENV_PREFIX)).sorted().forEach(name -> {
      String[] segments = name.substring(ENV_PREFIX.length()).split("__", -1);
      String path = setPath(config, segments, true, env.get(name), "env " + name);
      provenance.put(path, "env " + name);
    });
    java.util.Set<String> sections = new java.util.TreeSet<>(AppConfig.KEYS);
    sections.addAll(config.fieldNames());
    sections.stream().filter(sys::containsKey).forEach(name -> {
      // vertx-config's naming: the whole top-level value; validation then names this override if it is wrong
      config.put(name, parseValue(sys.get(name)));
      provenance.put(name, "-D" + name);
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
