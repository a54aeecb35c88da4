/** Small, dependency-free statistics for the benchmarks: paired ratios with 95 % confidence intervals. */
package dev.loopkit.bench.stats;
