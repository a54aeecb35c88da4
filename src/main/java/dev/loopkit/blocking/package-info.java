/**
 * Blocking detection for Vert.x event loops: in production ({@link dev.loopkit.blocking.BlockingChecker},
 * {@link dev.loopkit.blocking.BlockingCheckerVerticle}), in tests
 * ({@link dev.loopkit.blocking.BlockingExtension}) and statically ({@link dev.loopkit.blocking.BlockingRules}).
 * Incident JSON: {@link dev.loopkit.blocking.BlockingIncident}. Machinery (watchdog, samplers, JFR,
 * Vert.x hooks) lives in {@code impl}.
 */
package dev.loopkit.blocking;
