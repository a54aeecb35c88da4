package dev.loopkit.blocking;

import dev.loopkit.config.ConfiguredVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Runs a {@link BlockingChecker} for the lifetime of the deployment; its {@code config} is a
 * {@link BlockingCheckerOptions} object. Put it first in {@code conf/application.json}'s
 * {@code verticles} so that it watches everything deployed after it:
 *
 * <pre>{@code
 * "blocking": { "class": "dev.loopkit.blocking.BlockingCheckerVerticle", "config": { "thresholdMs": 100 } }
 * }</pre>
 *
 * One per Vert.x instance: a second deployment (or {@code instances > 1}) fails to start.
 */
public class BlockingCheckerVerticle extends VerticleBase implements ConfiguredVerticle {

  private static final Set<Vertx> RUNNING = Collections.newSetFromMap(new IdentityHashMap<>());

  private BlockingChecker checker;
  private BlockingCheckerOptions options;

  @Override
  public void checkConfig(JsonObject config) {
    new BlockingCheckerOptions(config);
  }

  @Override
  public Future<?> start() {
    options = new BlockingCheckerOptions(config());
    synchronized (RUNNING) {
      if (!RUNNING.add(vertx)) {
        return Future.failedFuture(new IllegalStateException("a BlockingCheckerVerticle already runs in this Vert.x "
          + "instance: deploy it once (instances: 1), every event loop is watched by that one"));
      }
    }
    checker = BlockingChecker.create(vertx, options);
    return checker.ready().recover(err -> {
      release();
      return checker.close().transform(v -> Future.failedFuture(err));
    });
  }

  @Override
  public Future<?> stop() {
    release();
    return checker == null ? Future.succeededFuture() : checker.close();
  }

  private void release() {
    synchronized (RUNNING) {
      RUNNING.remove(vertx);
    }
  }

  /** @return the running checker ({@code null} before start) */
  public BlockingChecker checker() {
    return checker;
  }

  @Override
  public String startupLine() {
    if (checker == null) {
      return null;
    }
    return "blocking checker: " + checker.watchedLoops().size() + " event loops, threshold " + options.getThresholdMs()
      + " ms" + (options.isStrict() ? ", strict (JFR)" : "") + " → incidents on " + options.getAddress()
      + ", report on " + options.getReportAddress() + " and GET /blocking";
  }
}
