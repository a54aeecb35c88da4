package dev.loopkit.blocking.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.HdrHistogram.Histogram;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything the report summarises, updated by the reporter thread and read by whoever asks for a report.
 * All methods are synchronized.
 */
final class Stats {

  /** Culprit aggregates kept at most (the least seen are evicted beyond that). */
  private static final int MAX_KEYS = 2_000;

  private final long startedAtMs = System.currentTimeMillis();
  private final int recentMax;
  private final Map<String, CulpritStat> culprits = new HashMap<>();
  private final Map<String, CulpritStat> nearMisses = new HashMap<>();
  private final Map<String, CulpritStat> strict = new HashMap<>();
  private final Deque<JsonObject> recent = new ArrayDeque<>();
  private long incidents;
  private long allowed;
  private long blockedNanos;
  private long workerIncidents;
  private long workerBlockedNanos;
  private long nearMissCount;
  private long strictFindings;
  private long gcPauses;
  private long gcPausedMs;
  private long debuggerHolds;
  private long jvmPauses;
  private long jvmPausedNanos;
  long dropped;
  long sinkErrors;
  /** JFR events on watched loops that are not strict findings (see {@code StrictFilter}); guarded by this. */
  long strictIgnored;

  Stats(int recentMax) {
    this.recentMax = recentMax;
  }

  /** The first record of a runtime incident (ongoing, or final when it was never seen ongoing). */
  synchronized void incidentStarted(JsonObject record, Watched w) {
    if (record.getString("allowed") != null) {
      allowed++;
    }
    if (w == null || w.loop) {
      incidents++;
    } else {
      workerIncidents++;
    }
    if (w != null) {
      synchronized (w) {
        w.incidents++;
      }
    }
  }

  /** The final record of a runtime incident. */
  synchronized void incidentEnded(JsonObject record, Watched w, long nanos) {
    if (w == null || w.loop) {
      blockedNanos += nanos;
    } else {
      workerBlockedNanos += nanos;
    }
    if (w != null) {
      synchronized (w) {
        w.blockedNanos += nanos;
        w.longestNanos = Math.max(w.longestNanos, nanos);
      }
    }
    add(culprits, record, nanos);
    if (recentMax > 0) {
      JsonObject slim = record.copy();
      slim.remove("stack");
      recent.addLast(slim);
      while (recent.size() > recentMax) {
        recent.removeFirst();
      }
    }
  }

  synchronized void nearMiss(JsonObject record, Watched w, long nanos) {
    nearMissCount++;
    synchronized (w) {
      w.nearMisses++;
      w.longestNanos = Math.max(w.longestNanos, nanos);
    }
    add(nearMisses, record, nanos);
  }

  synchronized void strictFinding(JsonObject record, long nanos) {
    strictFindings++;
    add(strict, record, nanos);
  }

  synchronized void gcPause(long ms) {
    gcPauses++;
    gcPausedMs += ms;
  }

  synchronized void debuggerHold() {
    debuggerHolds++;
  }

  synchronized void jvmPause(long nanos) {
    jvmPauses++;
    jvmPausedNanos += nanos;
  }

  private static void add(Map<String, CulpritStat> map, JsonObject record, long nanos) {
    JsonObject culprit = record.getJsonObject("culprit");
    String frame = culprit == null ? "(framework code)" : dev.loopkit.blocking.StackFrame.fromJson(culprit).toString();
    String key = frame + " " + record.getString("kind");
    CulpritStat s = map.get(key);
    if (s == null) {
      if (map.size() >= MAX_KEYS) {
        map.values().stream().min(Comparator.comparingLong(c -> c.totalNanos))
          .ifPresent(least -> map.remove(least.key));
      }
      s = new CulpritStat(key, frame, culprit, record.getString("kind"));
      map.put(key, s);
    }
    s.count++;
    s.totalNanos += nanos;
    s.maxNanos = Math.max(s.maxNanos, nanos);
    s.lastAtMs = System.currentTimeMillis();
    if (record.getString("verticle") != null) {
      s.verticle = record.getString("verticle");
    }
    String where = record.getString("address") != null ? record.getString("address") : record.getString("route");
    if (where != null) {
      s.where = where;
    }
  }

  synchronized JsonObject report(List<Watched> loops, int workersWatched, int top, int recentN, boolean reset,
                                 long thresholdMs, boolean strictMode) {
    JsonObject r = new JsonObject()
      .put("thresholdMs", thresholdMs)
      .put("strict", strictMode)
      .put("since", Instant.ofEpochMilli(startedAtMs).toString())
      .put("uptimeMs", System.currentTimeMillis() - startedAtMs);
    JsonArray loopJson = new JsonArray();
    for (Watched w : loops) {
      Histogram h = w.lag(reset);
      JsonObject lag = new JsonObject()
        .put("count", h.getTotalCount())
        .put("p50Ms", ms(h.getValueAtPercentile(50)))
        .put("p90Ms", ms(h.getValueAtPercentile(90)))
        .put("p99Ms", ms(h.getValueAtPercentile(99)))
        .put("p999Ms", ms(h.getValueAtPercentile(99.9)))
        .put("maxMs", ms(h.getMaxValue()))
        .put("meanMs", Math.round(h.getMean()) / 1000.0);
      synchronized (w) {
        loopJson.add(new JsonObject()
          .put("thread", w.name)
          .put("lag", lag)
          .put("incidents", w.incidents)
          .put("blockedMs", w.blockedNanos / 1_000_000)
          .put("nearMisses", w.nearMisses)
          .put("longestStallMs", w.longestNanos / 1_000_000));
      }
      if (reset) {
        w.resetStats();
      }
    }
    r.put("loops", loopJson);
    r.put("workers", new JsonObject().put("watched", workersWatched).put("incidents", workerIncidents)
      .put("busyMs", workerBlockedNanos / 1_000_000));
    r.put("totals", new JsonObject()
      .put("incidents", incidents)
      .put("blockedMs", blockedNanos / 1_000_000)
      .put("allowed", allowed)
      .put("nearMisses", nearMissCount)
      .put("strictFindings", strictFindings)
      .put("strictIgnored", strictIgnored)
      .put("gcPauses", gcPauses)
      .put("gcPausedMs", gcPausedMs)
      .put("debuggerHolds", debuggerHolds)
      .put("jvmPauses", jvmPauses)
      .put("jvmPausedMs", jvmPausedNanos / 1_000_000)
      .put("droppedRecords", dropped)
      .put("sinkErrors", sinkErrors));
    r.put("topCulprits", top(culprits, top));
    r.put("topNearMisses", top(nearMisses, top));
    r.put("topStrict", top(strict, top));
    JsonArray rec = new JsonArray();
    List<JsonObject> all = new ArrayList<>(recent);
    for (int i = Math.max(0, all.size() - recentN); i < all.size(); i++) {
      rec.add(all.get(i));
    }
    r.put("recent", rec);
    if (reset) {
      culprits.clear();
      nearMisses.clear();
      strict.clear();
      recent.clear();
      incidents = allowed = blockedNanos = workerIncidents = workerBlockedNanos = nearMissCount = 0;
      strictFindings = gcPauses = gcPausedMs = debuggerHolds = jvmPauses = jvmPausedNanos = dropped = sinkErrors = 0;
      strictIgnored = 0;
    }
    return r;
  }

  private static double ms(long micros) {
    return micros / 1000.0;
  }

  private static JsonArray top(Map<String, CulpritStat> map, int n) {
    List<CulpritStat> list = new ArrayList<>(map.values());
    list.sort(Comparator.comparingLong((CulpritStat c) -> c.totalNanos).reversed());
    JsonArray out = new JsonArray();
    for (int i = 0; i < Math.min(n, list.size()); i++) {
      CulpritStat c = list.get(i);
      JsonObject j = new JsonObject()
        .put("frame", c.frame)
        .put("culprit", c.culprit)
        .put("kind", c.kind)
        .put("count", c.count)
        .put("totalMs", c.totalNanos / 1_000_000)
        .put("maxMs", c.maxNanos / 1_000_000)
        .put("verticle", c.verticle)
        .put("lastAt", Instant.ofEpochMilli(c.lastAtMs).toString());
      if (c.where != null) {
        j.put("where", c.where);
      }
      out.add(j);
    }
    return out;
  }

  private static final class CulpritStat {
    final String key;
    final String frame;
    final JsonObject culprit;
    final String kind;
    String verticle;
    String where;
    long count;
    long totalNanos;
    long maxNanos;
    long lastAtMs;

    CulpritStat(String key, String frame, JsonObject culprit, String kind) {
      this.key = key;
      this.frame = frame;
      this.culprit = culprit;
      this.kind = kind;
    }
  }
}
