package dev.loopkit.config;

import dev.loopkit.cluster.ClusterOptions;
import dev.loopkit.http.HttpFrontOptions;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The application config ({@code conf/application.json}): the HTTP front and the verticles to deploy,
 * in file order.
 *
 * <pre>{@code
 * { "http": { "host": "127.0.0.1", "port": 8080 },
 *   "verticles": { "<name>": { "class": "...", "instances": 1, "threading": "event-loop", "config": {} } },
 *   "cluster": { "enabled": false } }
 * }</pre>
 *
 * {@link #read(JsonObject)} validates everything it can without deploying: types, ranges, unknown keys,
 * verticle classes (concrete, public, a public no-argument constructor, not the application itself), and
 * each {@link ConfiguredVerticle}'s own section — of disabled entries too, so that enabling one later
 * cannot fail on a value nobody looked at.
 */
public final class AppConfig {

  /** The top-level keys of the application config. */
  public static final java.util.Set<String> KEYS = java.util.Set.of("http", "verticles", "cluster");

  private final HttpFrontOptions http;
  private final List<VerticleSpec> verticles;
  private final ClusterOptions cluster;

  private AppConfig(HttpFrontOptions http, List<VerticleSpec> verticles, ClusterOptions cluster) {
    this.http = http;
    this.verticles = verticles;
    this.cluster = cluster;
  }

  /**
   * Reads only the {@code cluster} section (what the launcher needs before Vert.x exists); absent means
   * not clustered.
   *
   * @throws ConfigException with the JSON path ({@code cluster.port}, …) of the first problem
   */
  public static ClusterOptions cluster(JsonObject json) {
    ConfigReader root = ConfigReader.of(json);
    JsonObject section = root.object("cluster", new JsonObject());
    try {
      return new ClusterOptions(section);
    } catch (ConfigException e) {
      throw e.within(null, "cluster");
    }
  }

  /** @throws ConfigException with the JSON path of the first problem */
  public static AppConfig read(JsonObject json) {
    ConfigReader root = ConfigReader.of(json);
    JsonObject httpSection = root.object("http", new JsonObject());
    HttpFrontOptions http;
    try {
      http = new HttpFrontOptions(httpSection);
    } catch (ConfigException e) {
      throw e.within(null, "http");
    }
    ConfigReader section = root.section("verticles");
    List<VerticleSpec> verticles = new ArrayList<>();
    for (String name : section.keys()) {
      ConfigReader entry = section.section(name);
      VerticleSpec spec = VerticleSpec.read(name, entry);
      checkOwnConfig(spec, entry.path("config"));
      if (spec.enabled()) {
        verticles.add(spec);
      }
    }
    ClusterOptions cluster = cluster(json);
    root.raw("cluster");
    root.done();
    return new AppConfig(http, Collections.unmodifiableList(verticles), cluster);
  }

  private static void checkOwnConfig(VerticleSpec spec, String configPath) {
    Object instance;
    try {
      Class<?> type = Class.forName(spec.className(), true, AppConfig.class.getClassLoader());
      if (!ConfiguredVerticle.class.isAssignableFrom(type)) {
        return;
      }
      instance = type.getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new ConfigException(configPath.replaceAll("\\.config$", ".class"),
        "cannot instantiate \"" + spec.className() + "\": " + e);
    }
    try {
      ((ConfiguredVerticle) instance).checkConfig(spec.config());
    } catch (ConfigException e) {
      throw e.within(null, configPath);
    }
  }

  public HttpFrontOptions http() {
    return http;
  }

  /** @return the {@code cluster} section (not enabled when absent) */
  public ClusterOptions cluster() {
    return cluster;
  }

  /** @return the enabled verticles, in file order */
  public List<VerticleSpec> verticles() {
    return verticles;
  }
}
