/**
 * Benchmark programs (built only with {@code -Pbench}); one sub-package per capability. Each program is a
 * {@code main} with bounded request counts and time, binding 127.0.0.1 only. Results go to BENCHMARKS.md.
 */
package dev.loopkit.bench;
