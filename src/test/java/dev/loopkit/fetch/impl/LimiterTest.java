package dev.loopkit.fetch.impl;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("the limiter shared by the shards: exact limits from many threads, lock-free while nobody waits")
class LimiterTest {

  /** A waiter that records the grant; {@code limiter} is read when a slot is handed over. */
  private static final class Slot extends Limiter.Waiter {
    final CountDownLatch handed = new CountDownLatch(1);

    @Override
    void granted() {
      handed.countDown();
    }
  }

  @Test
  void grants_queues_and_rejects_in_order_on_one_thread() {
    Limiter l = new Limiter(2, 1, 1);
    Slot a = new Slot();
    Slot b = new Slot();
    Slot c = new Slot();
    Slot d = new Slot();
    assertThat(l.acquire("h1", a)).isEqualTo(Limiter.GRANTED);
    assertThat(l.acquire("h1", b)).as("h1 at maxPerHost").isEqualTo(Limiter.QUEUED);
    assertThat(l.acquire("h2", c)).as("a host waiting does not block another (no head-of-line)").isEqualTo(Limiter.GRANTED);
    assertThat(l.acquire("h3", d)).as("global full and the queue holds one").isEqualTo(Limiter.REJECTED);
    assertThat(l.inFlight()).isEqualTo(2);
    assertThat(l.queued()).isEqualTo(1);
    l.release(a);
    assertThat(b.handed.getCount()).as("the freed slot is handed to h1's waiter").isZero();
    assertThat(b.holds).isTrue();
    l.quit(b);
    l.quit(c);
    assertThat(l.inFlight()).isZero();
    assertThat(l.queued()).isZero();
    assertThat(l.hosts()).as("idle hosts are forgotten").isZero();
  }

  @Test
  void a_waiter_that_quits_leaves_the_queue_and_the_next_gets_the_slot() {
    Limiter l = new Limiter(1, 1, 10);
    Slot holder = new Slot();
    Slot gone = new Slot();
    Slot next = new Slot();
    l.acquire("h", holder);
    l.acquire("h", gone);
    l.acquire("h", next);
    l.quit(gone);
    assertThat(l.queued()).isEqualTo(1);
    l.release(holder);
    assertThat(gone.handed.getCount()).isEqualTo(1);
    assertThat(next.holds).isTrue();
    l.quit(next);
    assertThat(l.inFlight()).isZero();
    assertThat(l.hosts()).isZero();
  }

  /**
   * Four threads take and give back slots on three hosts as fast as they can, with the queue in play; every
   * holder counts itself in and out. No moment may see more than the limits, every acquisition ends granted
   * (or rejected only by a full queue), and every count is back to zero.
   */
  @Test
  void limits_are_exact_under_contention_and_every_waiter_is_served() throws Exception {
    int maxInFlight = 5;
    int maxPerHost = 2;
    Limiter l = new Limiter(maxInFlight, maxPerHost, 1_000);
    String[] hosts = {"http://10.0.0.1:80", "http://10.0.0.2:80", "http://10.0.0.3:80"};
    AtomicInteger global = new AtomicInteger();
    AtomicIntegerArray perHost = new AtomicIntegerArray(hosts.length);
    AtomicInteger worstGlobal = new AtomicInteger();
    AtomicInteger worstHost = new AtomicInteger();
    AtomicInteger granted = new AtomicInteger();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    int threads = 4;
    int rounds = 20_000;
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread w = new Thread(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        for (int i = 0; i < rounds; i++) {
          int h = r.nextInt(hosts.length);
          Slot s = new Slot();
          int outcome = l.acquire(hosts[h], s);
          try {
            if (outcome == Limiter.REJECTED) {
              problems.add("rejected with a queue of 1000");
              continue;
            }
            if (outcome == Limiter.QUEUED && !s.handed.await(10, TimeUnit.SECONDS)) {
              problems.add("a waiter was never served");
              l.quit(s);
              continue;
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          granted.incrementAndGet();
          worstGlobal.accumulateAndGet(global.incrementAndGet(), Math::max);
          worstHost.accumulateAndGet(perHost.incrementAndGet(h), Math::max);
          if (r.nextInt(4) == 0) {
            Thread.onSpinWait();
          }
          perHost.decrementAndGet(h);
          global.decrementAndGet();
          if (r.nextInt(8) == 0) {
            l.quit(s); // the exchange's way out
          } else {
            l.release(s);
          }
        }
      }, "limiter-worker-" + t);
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(TimeUnit.SECONDS.toMillis(60));
      assertThat(w.isAlive()).as("worker finished").isFalse();
    }
    assertThat(problems).isEmpty();
    assertThat(granted.get()).isEqualTo(threads * rounds);
    assertThat(worstGlobal.get()).as("in flight at once, all hosts").isLessThanOrEqualTo(maxInFlight);
    assertThat(worstHost.get()).as("in flight at once, one host").isLessThanOrEqualTo(maxPerHost);
    assertThat(l.inFlight()).isZero();
    assertThat(l.queued()).isZero();
    assertThat(l.hosts()).isZero();
  }
}
