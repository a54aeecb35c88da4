/** The demo upstream: an offline HTTP server the default config, the tutorial, tests and benchmarks fetch from. */
package dev.loopkit.demo;
