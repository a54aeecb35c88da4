package dev.loopkit.examples;

import dev.loopkit.blocking.AllowBlocking;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.config.ConfiguredVerticle;
import dev.loopkit.demo.DemoUpstreamVerticle;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The asyncio tutorial walkthrough: runs sections (a)–(h) one after the other, prints one line per
 * section with measured timings, checks each section's claim, then (by default) closes Vert.x and exits
 * the JVM — status 0 when every claim held, 1 otherwise. Deployed by {@code conf/tutorial.json}:
 *
 * <pre>java -jar target/loopkit-0.1.0-SNAPSHOT-fat.jar -conf conf/tutorial.json</pre>
 *
 * Config: {@code delayMs} (default 1000: the tutorial's "1 second"), {@code exit} (default true).
 */
public class TutorialVerticle extends VerticleBase implements ConfiguredVerticle {

  /** Default delay of one simulated fetch. */
  public static final long DEFAULT_DELAY_MS = 1000;
  /** Default: exit the JVM when done. */
  public static final boolean DEFAULT_EXIT = true;

  private final List<String> failures = new ArrayList<>();
  private final Promise<List<String>> finished = Promise.promise();
  private PrintStream out = System.out;
  private long delay;
  private Context loop;
  private WebClient client;
  private DemoUpstreamVerticle upstream;

  @Override
  public void checkConfig(JsonObject config) {
    ConfigReader r = ConfigReader.of(config);
    r.longValue("delayMs", DEFAULT_DELAY_MS, 10, 10_000);
    r.bool("exit", DEFAULT_EXIT);
    r.done();
  }

  @Override
  public Future<?> start() {
    checkConfig(config());
    delay = config().getLong("delayMs", DEFAULT_DELAY_MS);
    boolean exit = config().getBoolean("exit", DEFAULT_EXIT);
    loop = context;
    client = HttpFetchExample.client(vertx, 10);
    upstream = new DemoUpstreamVerticle();
    Future<String> deployed = vertx.deployVerticle(upstream, new DeploymentOptions().setConfig(new JsonObject().put("port", 0)));
    deployed.compose(id -> walkthrough()).onComplete(ar -> {
      if (ar.failed()) {
        failures.add("walkthrough stopped: " + ar.cause());
      }
      out.println(failures.isEmpty()
        ? "tutorial: every claim held (sections a–h)"
        : "tutorial: " + failures.size() + " claim(s) did not hold: " + String.join("; ", failures));
      finished.complete(failures());
      if (exit) {
        exitWhenClosed(failures.isEmpty() ? 0 : 1);
      }
    });
    return deployed;
  }

  /** Closes Vert.x from a plain thread (never the event loop), then exits the JVM with {@code status}. */
  @AllowBlocking("waits for vertx.close() on its own plain thread, after the walkthrough; never on an event loop")
  private void exitWhenClosed(int status) {
    new Thread(() -> {
      vertx.close().await();
      System.exit(status);
    }, "loopkit-tutorial-exit").start();
  }

  /** @return completes when the walkthrough has finished, with the claims that did not hold */
  public Future<List<String>> finished() {
    return finished.future();
  }

  /** @return the claims that did not hold so far (empty when all did) */
  public List<String> failures() {
    return new ArrayList<>(failures);
  }

  private Future<Void> walkthrough() {
    out.println("asyncio tutorial on Vert.x — one fetch = " + delay + " ms");
    return step(this::sectionA)
      .compose(v -> step(this::sectionB))
      .compose(v -> step(this::sectionC))
      .compose(v -> step(this::sectionD))
      .compose(v -> step(this::sectionE))
      .compose(v -> step(this::sectionF))
      .compose(v -> step(this::sectionG))
      .compose(v -> step(this::sectionH));
  }

  private Future<Void> step(Supplier<Future<String>> section) {
    return section.get().map(line -> {
      out.println(line);
      return null;
    });
  }

  private void claim(boolean held, String what) {
    if (!held) {
      failures.add(what);
    }
  }

  private Future<String> sectionA() {
    // asyncio.run(fetch_data()) from main: a plain thread creates Vert.x, awaits, closes.
    return onPlainThread("tutorial-main", () -> {
      long t0 = System.nanoTime();
      String value = FetchDataExample.run(delay);
      return "[a] asyncio.run(fetch_data): \"" + value + "\" in " + ms(t0) + " ms (a fresh Vert.x, Future.await on the main thread)";
    });
  }

  private Future<String> sectionB() {
    long t0 = System.nanoTime();
    return GatherExample.gather(vertx, delay).compose(results -> {
      long gathered = ms(t0);
      long t1 = System.nanoTime();
      return GatherExample.sequential(vertx, delay).map(seq -> {
        long sequential = ms(t1);
        claim(gathered < delay * 3 / 2, "[b] gather took " + gathered + " ms, expected < " + delay * 3 / 2);
        return "[b] gather: 3 fetches of " + delay + " ms in " + gathered + " ms (sequential: " + sequential + " ms)";
      });
    });
  }

  private Future<String> sectionC() {
    return CreateTaskExample.run(vertx, delay).map(r -> {
      claim(r.getLong("tasksStartedMs") < delay / 4 && r.getLong("totalMs") < delay * 3 / 2,
        "[c] create_task timings " + r.encode());
      return "[c] create_task: 2 tasks started at " + r.getLong("tasksStartedMs") + " ms, other work done at "
        + r.getLong("otherWorkDoneMs") + " ms, both results at " + r.getLong("totalMs") + " ms";
    });
  }

  private Future<String> sectionD() {
    long slow = delay * 5;
    return WaitForExample.run(vertx, delay, slow).map(r -> {
      claim(r.getBoolean("timedOut") && r.getLong("timers") == 0 && r.getLong("busRequests") == 0,
        "[d] wait_for " + r.encode());
      return "[d] wait_for: slow operation (" + slow + " ms) timed out after " + r.getLong("elapsedMs")
        + " ms and was cancelled (timers left: " + r.getLong("timers") + ", event-bus requests left: " + r.getLong("busRequests") + ")";
    });
  }

  private Future<String> sectionE() {
    long[] t0 = {0};
    // one unmeasured warm-up request (connection, class loading), as the benchmarks do
    return HttpFetchExample.fetchItems(client, upstream.baseUrl(), 1, "").compose(warm -> {
      upstream.resetMaxActive();
      t0[0] = System.nanoTime();
      return HttpFetchExample.fetchItems(client, upstream.baseUrl(), 10, "?delay_ms=" + delay);
    }).map(items -> {
      long took = ms(t0[0]);
      // one round = all ten in flight at once at the upstream (a count, not a time: holds on a loaded machine)
      long atOnce = upstream.maxActiveRequests();
      claim(items.size() == 10 && items.get(9).getInteger("id") == 9 && atOnce == 10,
        "[e] aiohttp: the upstream served at most " + atOnce + " requests at once, one round means 10");
      return "[e] aiohttp → Web Client: 10 items of " + delay + " ms fetched concurrently in " + took
        + " ms, JSON decoded (ids " + items.get(0).getInteger("id") + ".." + items.get(9).getInteger("id")
        + "; the pool is sized to 10 — Vert.x's default of 5 per host would take two rounds)";
    });
  }

  private Future<String> sectionF() {
    return ForgottenFutureExample.placeOrderForgetful(vertx).compose(forgetful ->
      ForgottenFutureExample.placeOrder(vertx).transform(fixed -> {
        claim(fixed.failed(), "[f] the fixed placeOrder should fail");
        return Future.succeededFuture("[f] forgetting to await: placeOrderForgetful said \"" + forgetful
          + "\" although the reservation failed (failure lost); placeOrder failed with \""
          + (fixed.failed() ? fixed.cause().getMessage() : "?") + "\"");
      }));
  }

  private Future<String> sectionG() {
    Context single = vertx.getOrCreateContext();
    return BlockingLoopExample.tenTimerWaits(single, 100).compose(timers ->
      BlockingLoopExample.tenSleepingWaits(single, 100).map(sleeping -> {
        claim(timers < 500 && sleeping >= 900, "[g] timers " + timers + " ms, Thread.sleep " + sleeping + " ms");
        return "[g] blocking the loop: 10 waits of 100 ms on one event loop: timers " + timers
          + " ms, Thread.sleep " + sleeping + " ms";
      }));
  }

  private Future<String> sectionH() {
    return onPlainThread("tutorial-sync-caller", () -> {
      long t0 = System.nanoTime();
      AsyncFromSyncExample.fromPlainThread(vertx, delay);
      return ms(t0);
    }).compose(fromThread -> AsyncFromSyncExample.awaitOnEventLoop(loop).compose(refused -> {
      String head = "[h] async from sync: Future.await() on a plain thread returned in " + fromThread
        + " ms; on an event loop it throws " + refused.getClass().getSimpleName();
      if (Runtime.version().feature() < 21) {
        return Future.succeededFuture(head + "; virtual-thread verticle skipped (Java " + Runtime.version().feature() + ", needs 21+)");
      }
      long t0 = System.nanoTime();
      return vertx.deployVerticle(new AwaitStyleVerticle(), new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD))
        .compose(id -> vertx.eventBus().<JsonObject>request(AwaitStyleVerticle.ADDRESS, delay)
          .compose(reply -> vertx.undeploy(id).map(reply.body())))
        .map(body -> head + "; virtual-thread verticle awaited 3 fetches in straight lines in " + ms(t0) + " ms");
    }));
  }

  /** Runs blocking {@code work} on a new plain thread (not Vert.x's); the result comes back on this verticle's loop. */
  private <T> Future<T> onPlainThread(String name, Supplier<T> work) {
    Promise<T> p = Promise.promise();
    new Thread(() -> {
      try {
        T value = work.get();
        loop.runOnContext(v -> p.complete(value));
      } catch (Throwable t) {
        loop.runOnContext(v -> p.fail(t));
      }
    }, name).start();
    return p.future();
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }
}
