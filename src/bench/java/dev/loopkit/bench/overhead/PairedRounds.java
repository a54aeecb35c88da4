package dev.loopkit.bench.overhead;

import dev.loopkit.bench.stats.PairedRatio;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The overhead method shared by {@link CheckerOverhead} and {@link GuardOverhead}: one process, one load
 * that runs without pause for the whole measurement, and a subject switched between variant A (baseline)
 * and variant B between rounds. Rounds come in pairs, ordered AB, BA, AB, … (ABBA: a linear drift in the
 * machine's background load favours neither variant); every round first lets the variant settle for
 * {@code settleMs} (deoptimisation after the switch, the checker's start-up, queues draining), then
 * measures {@code roundMs}: requests served (a counter in the subject) and CPU per thread
 * ({@link CpuClock}). Unmeasured warm-up pairs come first: at least {@code warmupPairs}, and more (up to
 * 16) until the JIT compiler threads use under 2 % of a core over a pair.
 *
 * <p>Printed: one line per pair, then B / A of throughput as {@link PairedRatio} (geometric mean of the
 * per-pair ratios with its 95 % t interval on log ratios; median with its order-statistics interval), and
 * CPU µs per request for each variant (mean over rounds with its 95 % t interval) and B / A of it, per
 * clock: event loops, all Java threads, the whole process.
 */
final class PairedRounds {

  /** What is measured. */
  interface Subject {
    /** Switches to variant B ({@code true}) or A; called between rounds, may wait (never on an event loop). */
    void use(boolean b) throws Exception;

    /** @return requests completed so far (monotone) */
    long served();
  }

  /** One measured round. */
  record Round(double perSecond, double loopsUs, double javaUs, double processUs, double jitMs) {
  }

  private final Subject subject;
  private final String nameA;
  private final String nameB;
  private final int pairs;
  private final int warmupPairs;
  private final long roundMs;
  private final long settleMs;
  private final CpuClock cpu = new CpuClock();

  final List<Round> roundsA = new ArrayList<>();
  final List<Round> roundsB = new ArrayList<>();

  PairedRounds(Subject subject, String nameA, String nameB, int pairs, int warmupPairs, long roundMs, long settleMs) {
    this.subject = subject;
    this.nameA = nameA;
    this.nameB = nameB;
    this.pairs = pairs;
    this.warmupPairs = warmupPairs;
    this.roundMs = roundMs;
    this.settleMs = settleMs;
  }

  /** @return how long {@link #run()} keeps the load busy, for bounding the load generator */
  static long durationMs(int pairs, int warmupPairs, long roundMs, long settleMs) {
    return (pairs + warmupPairs + MAX_EXTRA_WARMUP) * 2L * (roundMs + settleMs);
  }

  private static final int MAX_EXTRA_WARMUP = 16;

  /** Runs warm-up and measured pairs, printing one line per pair. */
  void run() throws Exception {
    // warm-up: at least warmupPairs, then on until the JIT compiler threads are quiet (under 2 % of a
    // core over a pair), at most MAX_EXTRA_WARMUP more: a compile during a measured round takes a core
    int warm = 0;
    double jitMs = Double.MAX_VALUE;
    while (warm < warmupPairs || (jitMs > 0.02 * 2 * (roundMs + settleMs) && warm < warmupPairs + MAX_EXTRA_WARMUP)) {
      boolean bFirst = warm % 2 == 1;
      jitMs = round(bFirst).jitMs + round(!bFirst).jitMs;
      warm++;
    }
    System.out.printf(Locale.ROOT, "# warm-up: %d pairs (JIT %.0f ms in the last)%n", warm, jitMs);
    System.out.printf(Locale.ROOT, "# %d pairs of %d ms rounds (each after %d ms settling), order AB BA AB …; A = %s, B = %s%n",
      pairs, roundMs, settleMs, nameA, nameB);
    System.out.printf(Locale.ROOT, "# pair order %12s %12s   B/A    µs/req loops A / B   µs/req process A / B   JIT ms  load1%n",
      "A req/s", "B req/s");
    for (int i = 0; i < pairs; i++) {
      boolean bFirst = i % 2 == 1;
      Round first = round(bFirst);
      Round second = round(!bFirst);
      Round a = bFirst ? second : first;
      Round b = bFirst ? first : second;
      roundsA.add(a);
      roundsB.add(b);
      System.out.printf(Locale.ROOT, "  %3d  %s  %12.0f %12.0f  %6.3f   %7.2f / %-7.2f     %7.2f / %-7.2f     %5.0f  %s%n",
        i + 1, bFirst ? "BA" : "AB", a.perSecond, b.perSecond, b.perSecond / a.perSecond, a.loopsUs, b.loopsUs,
        a.processUs, b.processUs, a.jitMs + b.jitMs, loadAverage());
    }
  }

  private Round round(boolean b) throws Exception {
    subject.use(b);
    Thread.sleep(settleMs);   // the driver's own thread, not an event loop
    CpuClock.Snapshot c0 = cpu.now();
    long n0 = subject.served();
    long t0 = System.nanoTime();
    Thread.sleep(roundMs);
    long n1 = subject.served();
    long t1 = System.nanoTime();
    CpuClock.Snapshot c1 = cpu.now();
    CpuClock.Delta d = c1.since(c0);
    long n = Math.max(1, n1 - n0);
    return new Round((n1 - n0) * 1e9 / (t1 - t0), d.loops() / 1e3 / n, d.java() / 1e3 / n, d.process() / 1e3 / n,
      d.jit() / 1e6);
  }

  /** Prints the summary; returns the throughput ratio B / A. */
  PairedRatio summarize(String what, double goal, double ciFloor) {
    PairedRatio rate = new PairedRatio();
    for (int i = 0; i < roundsA.size(); i++) {
      rate.add(roundsA.get(i).perSecond, roundsB.get(i).perSecond);
    }
    System.out.printf(Locale.ROOT, "%s throughput %s / %s: %s%n", what, nameB, nameA, rate.summary());
    String loops = cpuLine(what, "event loops", Round::loopsUs);
    String java = cpuLine(what, "Java threads", Round::javaUs);
    cpuLine(what, "process (+GC, JIT; 10 ms ticks)", Round::processUs);
    // one machine-readable line for bench/overhead.sh's table
    System.out.printf(Locale.ROOT, "RESULT|%s|%s / %s|%d|%.3f|%s|%.3f|%s|%s|%s|%s%n", what, nameB, nameA, rate.n(),
      rate.geometricMean(), rate.ci95(), rate.median(), rate.medianCi95(), loops, java, loadAverage());
    PairedRatio.Interval ci = rate.ci95();
    if (ciFloor > 0) {
      System.out.printf(Locale.ROOT, "%s goal: %s / %s >= %.2f with the 95%% CI above %.2f -> geomean %.3f %s, CI %s %s%n",
        what, nameB, nameA, goal, ciFloor, rate.geometricMean(), rate.geometricMean() >= goal ? "met" : "NOT met",
        ci, ci.above(ciFloor) ? "above" : "NOT above");
    } else if (goal > 0) {
      System.out.printf(Locale.ROOT, "%s goal: %s / %s >= %.2f -> geomean %.3f %s (95%% CI %s)%n",
        what, nameB, nameA, goal, rate.geometricMean(), rate.geometricMean() >= goal ? "met" : "NOT met", ci);
    }
    return rate;
  }

  /** Prints one CPU line; returns "A µs [CI] → B µs [CI], B/A ratio [CI]" for the table. */
  private String cpuLine(String what, String clock, java.util.function.ToDoubleFunction<Round> f) {
    double[] a = roundsA.stream().mapToDouble(f).toArray();
    double[] b = roundsB.stream().mapToDouble(f).toArray();
    PairedRatio ratio = new PairedRatio();
    for (int i = 0; i < a.length; i++) {
      if (a[i] > 0 && b[i] > 0) {
        ratio.add(a[i], b[i]);
      }
    }
    System.out.printf(Locale.ROOT, "%s CPU µs/request, %s: %s %.2f %s, %s %.2f %s (means, 95%% t CI); %s / %s %.3f 95%% CI %s%n",
      what, clock, nameA, PairedRatio.mean(a), PairedRatio.meanCi95(a), nameB, PairedRatio.mean(b), PairedRatio.meanCi95(b),
      nameB, nameA, ratio.geometricMean(), ratio.ci95());
    PairedRatio.Interval ca = PairedRatio.meanCi95(a);
    PairedRatio.Interval cb = PairedRatio.meanCi95(b);
    return String.format(Locale.ROOT, "%.2f ±%.2f / %.2f ±%.2f (×%.3f %s)", PairedRatio.mean(a), (ca.high() - ca.low()) / 2,
      PairedRatio.mean(b), (cb.high() - cb.low()) / 2, ratio.geometricMean(), ratio.ci95());
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }
}
