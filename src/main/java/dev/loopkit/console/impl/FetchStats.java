package dev.loopkit.console.impl;

import dev.loopkit.fetch.impl.FetchEngineImpl;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * The fetch engines' live counts for the console: each open engine's {@code stats()} (calls, in flight,
 * queued, per-host in flight and queued), read on the engine's own context once per tick; the tick shows the
 * counts of the previous read (at most a second old).
 */
final class FetchStats {

  /** Engines listed (a process rarely has more than one or two). */
  static final int MAX_ENGINES = 8;

  private final Vertx vertx;
  private JsonArray last = new JsonArray();
  private boolean reading;

  FetchStats(Vertx vertx) {
    this.vertx = vertx;
  }

  /** @return the counts read last */
  JsonArray last() {
    return last;
  }

  /** Reads every engine's counts again; completes on {@code home} (the front's context), which owns this object. */
  Future<Void> refresh(Context home) {
    if (reading) {
      return Future.succeededFuture();
    }
    List<FetchEngineImpl> engines = FetchEngineImpl.open(vertx);
    if (engines.isEmpty()) {
      last = new JsonArray();
      return Future.succeededFuture();
    }
    List<Future<JsonObject>> reads = new ArrayList<>();
    for (int i = 0; i < Math.min(MAX_ENGINES, engines.size()); i++) {
      reads.add(engines.get(i).statsOnContext());
    }
    reading = true;
    Promise<Void> done = Promise.promise();
    // the reads complete on the engines' loops: hop back before touching this object
    Future.join(reads).onComplete(ar -> home.runOnContext(v -> {
      reading = false;
      JsonArray a = new JsonArray();
      for (Future<JsonObject> f : reads) {
        if (f.succeeded()) {
          a.add(f.result());
        }
      }
      last = a;
      done.complete();
    }));
    return done.future();
  }
}
