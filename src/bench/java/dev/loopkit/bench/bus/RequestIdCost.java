package dev.loopkit.bench.bus;

import dev.loopkit.bus.RequestIds;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The cost of one request id: {@link RequestIds#next()} (128 bits from striped DRBG generators) against the
 * scheme it replaced (a per-JVM random UUID + an {@code AtomicLong} counter, predictable) and against
 * {@code UUID.randomUUID()} (one shared {@code SecureRandom}). A timing note, not JMH: each variant runs
 * {@code rounds} × {@code perThread} ids on {@code threads} platform threads; the best round is reported.
 *
 * <pre>java -cp target/classes:target/bench-classes dev.loopkit.bench.bus.RequestIdCost [threads] [perThread] [rounds]</pre>
 */
public final class RequestIdCost {

  private static final String PREFIX = UUID.randomUUID() + "-";
  private static final AtomicLong NEXT = new AtomicLong();

  private RequestIdCost() {
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
    int perThread = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    run("uuid+counter (before)", () -> PREFIX + NEXT.incrementAndGet(), threads, perThread, rounds);
    run("RequestIds.next()", RequestIds::next, threads, perThread, rounds);
    run("UUID.randomUUID()", () -> UUID.randomUUID().toString(), threads, perThread, rounds);
  }

  private static void run(String name, Supplier<String> ids, int threads, int perThread, int rounds) throws Exception {
    double best = Double.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      AtomicLong sink = new AtomicLong();
      Thread[] ts = new Thread[threads];
      long t0 = System.nanoTime();
      for (int t = 0; t < threads; t++) {
        ts[t] = new Thread(() -> {
          long n = 0;
          for (int i = 0; i < perThread; i++) {
            n += ids.get().length();
          }
          sink.addAndGet(n);
        });
        ts[t].start();
      }
      for (Thread t : ts) {
        t.join();
      }
      best = Math.min(best, (System.nanoTime() - t0) / (double) perThread);
    }
    System.out.printf("%-24s threads=%d  %7.0f ns per id per thread (best of %d)%n", name, threads, best, rounds);
  }
}
