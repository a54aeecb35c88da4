package dev.loopkit.bench.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The ratio B / A of paired measurements, with a 95 % confidence interval: add one {@code (a, b)} pair per
 * round (both measured close together in time, so that what the machine does in the background hits both
 * alike), then read the ratio.
 *
 * <p>The contract:
 * <ul>
 *   <li>{@link #geometricMean()} and {@link #ci95()}: the mean of the per-pair log ratios
 *   {@code ln(b / a)} and its Student t interval ({@code mean ± t(0.975, n − 1) · sd / √n}), mapped back
 *   with {@code exp}. Logs make the interval symmetric for a ratio (B/A and A/B give reciprocal
 *   intervals) and the pairs independent samples of one slowdown factor. This is the primary figure.</li>
 *   <li>{@link #median()} and {@link #medianCi95()}: the median of the per-pair ratios and its
 *   distribution-free interval from order statistics (the binomial sign-test interval: pairs
 *   {@code k} and {@code n + 1 − k} of the sorted ratios, coverage ≥ 95 %). Robust to a few pairs
 *   wrecked by a burst of other load; when it and the t interval disagree, look at the pairs.</li>
 *   <li>{@link #meanCi95(double[])}: the plain t interval of a mean, for per-variant figures such as CPU
 *   µs per request.</li>
 *   <li>Fewer than 2 pairs give {@code NaN} bounds; a pair with a non-positive or non-finite value is
 *   rejected with {@link IllegalArgumentException} (a ratio of it means nothing).</li>
 * </ul>
 * Not thread-safe; dependency-free. {@code java dev.loopkit.bench.stats.PairedRatio} runs a self-check
 * against values computed independently (the bench profile has no test path).
 */
public final class PairedRatio {

  /** A closed interval {@code [low, high]}. */
  public record Interval(double low, double high) {
    public boolean above(double x) {
      return low > x;
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "[%.3f, %.3f]", low, high);
    }
  }

  private final List<double[]> pairs = new ArrayList<>();

  /** Adds one pair: {@code a} is the baseline's value, {@code b} the variant's (e.g. requests per second). */
  public PairedRatio add(double a, double b) {
    if (!(a > 0) || !(b > 0) || Double.isInfinite(a) || Double.isInfinite(b)) {
      throw new IllegalArgumentException("a pair needs two positive finite values, got a=" + a + ", b=" + b);
    }
    pairs.add(new double[] {a, b});
    return this;
  }

  /** @return the number of pairs */
  public int n() {
    return pairs.size();
  }

  /** @return the per-pair ratios b / a, in the order added */
  public double[] ratios() {
    double[] r = new double[pairs.size()];
    for (int i = 0; i < r.length; i++) {
      r[i] = pairs.get(i)[1] / pairs.get(i)[0];
    }
    return r;
  }

  /** @return {@code exp(mean(ln(b / a)))} */
  public double geometricMean() {
    return Math.exp(mean(logs()));
  }

  /** @return the 95 % t interval of the geometric-mean ratio (see the class comment) */
  public Interval ci95() {
    Interval logCi = meanCi95(logs());
    return new Interval(Math.exp(logCi.low()), Math.exp(logCi.high()));
  }

  /** @return the median of the per-pair ratios */
  public double median() {
    return median(ratios());
  }

  /** @return the order-statistics interval of the median ratio, coverage ≥ 95 % (needs n ≥ 6, else NaN) */
  public Interval medianCi95() {
    double[] r = ratios();
    Arrays.sort(r);
    int k = signTestRank(r.length);
    return k < 1 ? new Interval(Double.NaN, Double.NaN) : new Interval(r[k - 1], r[r.length - k]);
  }

  /** @return the smallest and the largest per-pair ratio */
  public Interval range() {
    double[] r = ratios();
    Arrays.sort(r);
    return r.length == 0 ? new Interval(Double.NaN, Double.NaN) : new Interval(r[0], r[r.length - 1]);
  }

  /** @return a one-line summary: n, geometric mean and its CI, median and its CI, range */
  public String summary() {
    return String.format(Locale.ROOT, "n=%d  geomean %.3f  95%% CI %s (t on log ratios)  median %.3f  95%% CI %s (order stats)  range %s",
      n(), geometricMean(), ci95(), median(), medianCi95(), range());
  }

  // ------------------------------------------------------------------------------------------- statics

  /** @return the 95 % Student t interval of the mean of {@code values} ({@code NaN} bounds for n &lt; 2) */
  public static Interval meanCi95(double[] values) {
    int n = values.length;
    if (n < 2) {
      return new Interval(Double.NaN, Double.NaN);
    }
    double m = mean(values);
    double half = t975(n - 1) * sd(values, m) / Math.sqrt(n);
    return new Interval(m - half, m + half);
  }

  public static double mean(double[] values) {
    double s = 0;
    for (double v : values) {
      s += v;
    }
    return values.length == 0 ? Double.NaN : s / values.length;
  }

  /** @return the sample standard deviation (n − 1 in the denominator) */
  public static double sd(double[] values, double mean) {
    double s = 0;
    for (double v : values) {
      s += (v - mean) * (v - mean);
    }
    return Math.sqrt(s / (values.length - 1));
  }

  public static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  private static final double[] T975 = {
    Double.NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  private static final int[] T975_DF = {40, 60, 120};
  private static final double[] T975_TAIL = {2.021, 2.000, 1.980};

  /**
   * @return the 0.975 quantile of Student's t with {@code df} degrees of freedom: the table for 1–30, 40,
   * 60, 120, ∞ (1.960), linear in 1/df between entries (error &lt; 0.002)
   */
  public static double t975(int df) {
    if (df < 1) {
      return Double.NaN;
    }
    if (df < T975.length) {
      return T975[df];
    }
    int loDf = 30;
    double lo = T975[30];
    for (int i = 0; i < T975_DF.length; i++) {
      if (df <= T975_DF[i]) {
        return interpolate(loDf, lo, T975_DF[i], T975_TAIL[i], df);
      }
      loDf = T975_DF[i];
      lo = T975_TAIL[i];
    }
    // from 120 to ∞: linear in 1/df towards 1.960 at 1/df = 0
    return 1.960 + (lo - 1.960) * (120.0 / df);
  }

  private static double interpolate(int df0, double t0, int df1, double t1, int df) {
    double x0 = 1.0 / df0;
    double x1 = 1.0 / df1;
    double x = 1.0 / df;
    return t0 + (t1 - t0) * (x - x0) / (x1 - x0);
  }

  /**
   * @return the largest k such that P(Binomial(n, ½) ≤ k − 1) ≤ 2.5 % — the interval between the k-th
   * smallest and k-th largest of n values covers the median with probability ≥ 95 %; 0 when no k works
   */
  static int signTestRank(int n) {
    double p = Math.pow(0.5, n);   // P(X = 0)
    double cdf = p;
    int k = 0;
    for (int j = 0; j < n && cdf <= 0.025; j++) {
      k = j + 1;
      p = p * (n - j) / (j + 1);   // P(X = j + 1)
      cdf += p;
    }
    return k;
  }

  private double[] logs() {
    double[] r = ratios();
    for (int i = 0; i < r.length; i++) {
      r[i] = Math.log(r[i]);
    }
    return r;
  }

  // ------------------------------------------------------------------------------------------- self-check

  /** Self-check against values computed independently (Python's statistics module and math.comb, scipy.stats.t.ppf). */
  public static void main(String[] args) {
    PairedRatio p = new PairedRatio();
    double[][] data = {{100, 98}, {120, 121}, {90, 85}, {110, 108}, {105, 104}, {95, 96}, {100, 97}, {130, 125}};
    for (double[] d : data) {
      p.add(d[0], d[1]);
    }
    check("n", p.n(), 8, 0);
    check("geomean", p.geometricMean(), 0.980666, 1e-5);
    check("ci low", p.ci95().low(), 0.961997, 1e-5);
    check("ci high", p.ci95().high(), 0.999697, 1e-5);
    check("median", p.median(), 0.980909, 1e-5);
    // n = 8: k = 1 (P(X <= 0) = 0.0039, P(X <= 1) = 0.035 > 0.025) → [min, max]
    check("median ci low", p.medianCi95().low(), 0.944444, 1e-5);
    check("median ci high", p.medianCi95().high(), 1.010526, 1e-5);
    check("rank n=5", signTestRank(5), 0, 0);
    check("rank n=6", signTestRank(6), 1, 0);
    check("rank n=20", signTestRank(20), 6, 0);
    check("rank n=40", signTestRank(40), 14, 0);
    check("rank n=60", signTestRank(60), 22, 0);
    check("t 7", t975(7), 2.365, 0);
    check("t 35", t975(35), 2.0301, 0.002);
    check("t 45", t975(45), 2.0141, 0.002);
    check("t 59", t975(59), 2.0010, 0.002);
    check("t 1000", t975(1000), 1.9623, 0.002);
    Interval m = meanCi95(new double[] {18.2, 19.1, 17.9, 18.6, 18.8});
    check("mean ci low", m.low(), 17.92851, 1e-4);
    check("mean ci high", m.high(), 19.11149, 1e-4);
    PairedRatio inverse = new PairedRatio();
    for (double[] d : data) {
      inverse.add(d[1], d[0]);
    }
    check("reciprocal ci", inverse.ci95().low() * p.ci95().high(), 1.0, 1e-12);
    try {
      p.add(0, 1);
      throw new AssertionError("a zero value was accepted");
    } catch (IllegalArgumentException expected) {
      // ok
    }
    System.out.println("PairedRatio self-check ok: " + p.summary());
  }

  private static void check(String what, double actual, double expected, double tolerance) {
    if (!(Math.abs(actual - expected) <= tolerance)) {
      throw new AssertionError(what + ": expected " + expected + " ± " + tolerance + ", got " + actual);
    }
  }
}
