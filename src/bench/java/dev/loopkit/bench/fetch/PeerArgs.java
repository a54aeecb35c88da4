package dev.loopkit.bench.fetch;

import java.net.URI;
import java.util.Set;

/**
 * The arguments every peer of ../shared/bench/peers takes, {@code URL_TEMPLATE N C TIMEOUT_MS [WARMUP]}
 * ({@code {n}} = the request index; loopback hosts only), and the peers' nearest-rank percentile.
 */
record PeerArgs(String template, int n, int concurrency, long timeoutMs, int warmup, String host, int port) {

  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost", "[::1]");

  /** @throws IllegalArgumentException on a wrong count, a non-loopback host or a non-positive number */
  static PeerArgs parse(String program, String[] args) {
    if (args.length < 4 || args.length > 5) {
      throw new IllegalArgumentException("usage: " + program + " URL_TEMPLATE N C TIMEOUT_MS [WARMUP]");
    }
    URI probe = URI.create(args[0].replace("{n}", "0"));
    if (!LOOPBACK.contains(probe.getHost())) {
      throw new IllegalArgumentException("refusing non-loopback host " + probe.getHost());
    }
    PeerArgs a = new PeerArgs(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]),
      args.length == 5 ? Integer.parseInt(args[4]) : 0, probe.getHost(), probe.getPort() < 0 ? 80 : probe.getPort());
    if (a.n <= 0 || a.concurrency <= 0 || a.timeoutMs <= 0 || a.warmup < 0) {
      throw new IllegalArgumentException("N, C, TIMEOUT_MS must be > 0 and WARMUP >= 0");
    }
    return a;
  }

  /** @return the p-th percentile (nearest rank) of {@code sorted}, divided by 1000 (µs → ms), NaN when empty */
  static double pctMs(long[] sortedUs, double p) {
    if (sortedUs.length == 0) {
      return Double.NaN;
    }
    int k = Math.max(0, (int) Math.ceil(p / 100.0 * sortedUs.length) - 1);
    return sortedUs[k] / 1000.0;
  }
}
