package dev.loopkit.console.impl;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;

/** Per-engine fetch counts for the console (none until the fetch engines publish theirs). */
final class FetchStats {

  private FetchStats() {
  }

  static JsonArray engines(Vertx vertx) {
    return new JsonArray();
  }
}
