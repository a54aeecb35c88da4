package dev.loopkit.config;

import io.vertx.core.json.JsonObject;

/**
 * A verticle that checks its own config section before anything is deployed, so that a bad value in
 * {@code conf/application.json} stops start-up with one line instead of failing half-way.
 *
 * <p>{@link dev.loopkit.MainVerticle} creates one instance with the no-arg constructor, calls
 * {@link #checkConfig(JsonObject)} for every configured verticle first, and deploys only when all pass.
 */
public interface ConfiguredVerticle {

  /**
   * @param config the verticle's {@code config} section (never {@code null})
   * @throws ConfigException naming the offending key relative to the section
   */
  void checkConfig(JsonObject config);

  /**
   * @return one line for the start-up banner saying what this instance serves and where (e.g. its
   * address or URL), or {@code null}; called after a successful start
   */
  default String startupLine() {
    return null;
  }
}
