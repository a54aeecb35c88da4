package dev.loopkit.fetch;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The successful outcome of a call: one {@link FetchResult} per request, in input order. JSON form:
 *
 * <pre>{@code
 * {"results": [...], "succeeded": 3, "failed": 1, "cancelled": 0, "elapsedMs": 812.4, "mode": "settled"}
 * }</pre>
 *
 * {@code succeeded} counts {@code ok} results, {@code cancelled} the CANCELLED ones, {@code failed} all
 * others, so the three add up to the number of requests. In modes any and race, {@code winner} is the
 * index of the deciding result.
 */
public final class FetchReply {

  private final FetchMode mode;
  private final List<FetchResult> results;
  private final int succeeded;
  private final int failed;
  private final int cancelled;
  private final double elapsedMs;
  private final int winner;

  /** Built by the engine; public for tests and adapters. */
  public FetchReply(FetchMode mode, FetchResult[] results, double elapsedMs, int winner) {
    this.mode = mode;
    this.results = Collections.unmodifiableList(Arrays.asList(results));
    int ok = 0;
    int cancel = 0;
    for (FetchResult r : results) {
      if (r.ok()) {
        ok++;
      } else if (r.error() == FetchErrorCode.CANCELLED) {
        cancel++;
      }
    }
    this.succeeded = ok;
    this.cancelled = cancel;
    this.failed = results.length - ok - cancel;
    this.elapsedMs = elapsedMs;
    this.winner = winner;
  }

  public FetchMode mode() {
    return mode;
  }

  /** @return the results, in input order */
  public List<FetchResult> results() {
    return results;
  }

  public int succeeded() {
    return succeeded;
  }

  public int failed() {
    return failed;
  }

  public int cancelled() {
    return cancelled;
  }

  /** @return milliseconds from the start of the call to this reply */
  public double elapsedMs() {
    return elapsedMs;
  }

  /** @return the deciding result's index in modes any and race, else -1 */
  public int winner() {
    return winner;
  }

  /** @return the JSON form of the contract */
  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    for (FetchResult r : results) {
      list.add(r.toJson());
    }
    JsonObject json = new JsonObject()
      .put("results", list)
      .put("succeeded", succeeded)
      .put("failed", failed)
      .put("cancelled", cancelled)
      .put("elapsedMs", FetchResult.round(elapsedMs))
      .put("mode", mode.jsonName());
    if (winner >= 0) {
      json.put("winner", winner);
    }
    return json;
  }

  @Override
  public String toString() {
    return "FetchReply[" + mode.jsonName() + " succeeded=" + succeeded + " failed=" + failed + " cancelled=" + cancelled + "]";
  }
}
