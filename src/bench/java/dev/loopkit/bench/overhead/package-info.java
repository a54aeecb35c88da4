/**
 * Overhead measured one way for every "X on vs off" question: one JVM, one continuous load, the variant
 * switched between short interleaved paired rounds, a 95 % confidence interval on the ratio and CPU per
 * request from per-thread CPU time. Run by {@code bench/overhead.sh}; method and results in BENCHMARKS.md.
 */
package dev.loopkit.bench.overhead;
