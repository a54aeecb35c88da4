package dev.loopkit.blocking;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Test fixture: every record a checker delivers, and futures for "the next record matching X" that the
 * test thread waits on (never an event loop).
 */
final class Recorded implements Consumer<BlockingIncident> {

  private final List<BlockingIncident> all = new CopyOnWriteArrayList<>();
  private final List<Waiter> waiters = new CopyOnWriteArrayList<>();

  @Override
  public void accept(BlockingIncident incident) {
    all.add(incident);
    for (Waiter w : waiters) {
      if (w.test.test(incident) && w.future.complete(incident)) {
        waiters.remove(w);
      }
    }
  }

  /** @return the first record (already seen or future) matching {@code test} */
  CompletableFuture<BlockingIncident> first(Predicate<BlockingIncident> test) {
    Waiter w = new Waiter(test);
    waiters.add(w);
    for (BlockingIncident i : all) {
      if (test.test(i) && w.future.complete(i)) {
        waiters.remove(w);
        break;
      }
    }
    return w.future;
  }

  static BlockingIncident await(CompletableFuture<BlockingIncident> f, long ms, String what) throws InterruptedException {
    try {
      return f.get(ms, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("no record for " + what + " within " + ms + " ms");
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }

  List<BlockingIncident> all() {
    return new ArrayList<>(all);
  }

  List<BlockingIncident> matching(Predicate<BlockingIncident> test) {
    List<BlockingIncident> out = new ArrayList<>();
    for (BlockingIncident i : all) {
      if (test.test(i)) {
        out.add(i);
      }
    }
    return out;
  }

  int size() {
    return all.size();
  }

  private static final class Waiter {
    final Predicate<BlockingIncident> test;
    final CompletableFuture<BlockingIncident> future = new CompletableFuture<>();

    Waiter(Predicate<BlockingIncident> test) {
      this.test = test;
    }
  }
}
