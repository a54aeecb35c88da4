/**
 * Loading and strict validation of {@code conf/*.json}.
 *
 * <p>{@link dev.loopkit.config.ConfigLoader} reads a config file through vertx-config (file store, then
 * {@code LOOPKIT_*} environment variables, then {@code loopkit.*} system properties) and reports a syntax
 * error with its line and column. {@link dev.loopkit.config.ConfigReader} is the validation helper every
 * capability uses for its own section: it rejects wrong types, out-of-range values and unknown keys with
 * a {@link dev.loopkit.config.ConfigException} naming the JSON path and the problem, in one line.
 */
package dev.loopkit.config;
