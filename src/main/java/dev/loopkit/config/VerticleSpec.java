package dev.loopkit.config;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.json.JsonObject;

import java.lang.reflect.Modifier;
import java.util.Locale;

/**
 * One entry of {@code verticles} in the application config: which class to deploy, how many instances,
 * on which threading model, and its own config section.
 *
 * <pre>{@code
 * "fetch": { "class": "dev.loopkit.fetch.FetchVerticle", "instances": 1,
 *            "threading": "event-loop", "enabled": true, "config": { ... } }
 * }</pre>
 */
public final class VerticleSpec {

  /** Default number of instances. */
  public static final int DEFAULT_INSTANCES = 1;
  /** Default threading model: {@code event-loop} (others: {@code worker}, {@code virtual-thread}). */
  public static final String DEFAULT_THREADING = "event-loop";
  /** Upper bound on instances, to catch typos like 1000. */
  public static final int MAX_INSTANCES = 256;

  private final String name;
  private final String className;
  private final int instances;
  private final ThreadingModel threading;
  private final boolean enabled;
  private final JsonObject config;

  private VerticleSpec(String name, String className, int instances, ThreadingModel threading, boolean enabled, JsonObject config) {
    this.name = name;
    this.className = className;
    this.instances = instances;
    this.threading = threading;
    this.enabled = enabled;
    this.config = config;
  }

  /**
   * Reads and validates one entry: the class must exist, be a concrete, public verticle with a public
   * no-argument constructor (how instances are created), and not be an {@link ApplicationVerticle} (which
   * would deploy the application inside itself, forever).
   */
  public static VerticleSpec read(String name, ConfigReader r) {
    String className = r.requiredString("class");
    int instances = r.integer("instances", DEFAULT_INSTANCES, 1, MAX_INSTANCES);
    String threadingName = r.oneOf("threading", DEFAULT_THREADING, "event-loop", "worker", "virtual-thread");
    boolean enabled = r.bool("enabled", true);
    JsonObject config = r.object("config", new JsonObject());
    r.done();
    ThreadingModel threading = ThreadingModel.valueOf(threadingName.toUpperCase(Locale.ROOT).replace('-', '_'));
    if (threading == ThreadingModel.VIRTUAL_THREAD && Runtime.version().feature() < 21) {
      throw r.error("threading", "virtual-thread needs Java 21 or later, this is Java " + Runtime.version().feature());
    }
    Class<?> type;
    try {
      type = Class.forName(className, false, VerticleSpec.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw r.error("class", "no such class on the class path: \"" + className + "\"");
    }
    if (!io.vertx.core.Deployable.class.isAssignableFrom(type)) {
      throw r.error("class", "\"" + className + "\" is not a verticle (implement io.vertx.core.Deployable, "
        + "e.g. extend VerticleBase or AbstractVerticle)");
    }
    if (ApplicationVerticle.class.isAssignableFrom(type)) {
      throw r.error("class", "\"" + className + "\" is the application itself (it deploys the configured verticles): "
        + "listed here it would deploy the application again inside itself, forever — remove this entry");
    }
    if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
      throw r.error("class", "\"" + className + "\" is " + (type.isInterface() ? "an interface" : "abstract")
        + ": name a concrete verticle class");
    }
    if (!Modifier.isPublic(type.getModifiers()) || type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())) {
      throw r.error("class", "\"" + className + "\" must be a public top-level or static nested class (loopkit creates "
        + "its instances)");
    }
    try {
      if (!Modifier.isPublic(type.getDeclaredConstructor().getModifiers())) {
        throw r.error("class", "\"" + className + "\": its no-argument constructor must be public (loopkit creates "
          + "its instances with it)");
      }
    } catch (NoSuchMethodException e) {
      throw r.error("class", "\"" + className + "\" has no no-argument constructor; loopkit creates its instances with "
        + "one — add a public no-argument constructor");
    } catch (LinkageError | SecurityException e) {
      throw r.error("class", "\"" + className + "\" cannot be loaded: " + e);
    }
    return new VerticleSpec(name, className, instances, threading, enabled, config);
  }

  public String name() {
    return name;
  }

  public String className() {
    return className;
  }

  public int instances() {
    return instances;
  }

  public ThreadingModel threading() {
    return threading;
  }

  public boolean enabled() {
    return enabled;
  }

  /** @return a copy of the verticle's own config section */
  public JsonObject config() {
    return config.copy();
  }

  /** @return deployment options for this entry */
  public DeploymentOptions deploymentOptions() {
    return new DeploymentOptions().setInstances(instances).setThreadingModel(threading).setConfig(config());
  }
}
