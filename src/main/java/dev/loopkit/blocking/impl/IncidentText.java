package dev.loopkit.blocking.impl;

import dev.loopkit.blocking.BlockingKind;
import dev.loopkit.blocking.StackFrame;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The one-line texts of incident records: what happened, where (thread, culprit file:line, verticle,
 * address/route/timer), and what to do.
 */
public final class IncidentText {

  private IncidentText() {
  }

  /** @return the line logged for {@code record} (WARN for a new incident) */
  public static String line(JsonObject record) {
    String kindName = record.getString("kind", "unknown");
    BlockingKind kind = BlockingKind.fromJson(kindName);
    long ms = record.getLong("durationMs", 0L);
    if (kind == BlockingKind.PAUSE) {
      return "every thread was stopped " + ms + " ms: the whole JVM was paused (" + (record.getBoolean("debugger", false)
        ? "a debugger suspended every thread" : "SIGSTOP, a VM operation or a frozen host") + ") — " + kind.advice();
    }
    if (kind == BlockingKind.GC) {
      JsonObject gc = record.getJsonObject("gc", new JsonObject());
      return "every thread was stopped " + ms + " ms by a stop-the-world GC pause (" + gc.getString("collector", "?")
        + ": " + gc.getString("action", "?") + ", " + gc.getString("cause", "?") + ") — " + kind.advice();
    }
    StringBuilder sb = new StringBuilder();
    boolean worker = record.getBoolean("worker", false);
    String thread = record.getString("thread");
    if ("strict".equals(record.getString("detection"))) {
      sb.append("blocking call on event loop ").append(thread).append(": ")
        .append(formatMicros(record.getLong("durationUs", ms * 1000))).append(" in ").append(culprit(record))
        .append(" [").append(kindName).append(", ").append(record.getString("event", "?")).append(']');
    } else {
      sb.append(worker ? "worker thread " : "event loop ").append(thread);
      boolean ongoing = record.getBoolean("ongoing", false);
      sb.append(worker ? " busy " : " blocked ").append(ongoing ? "for " + ms + " ms and counting" : ms + " ms")
        .append(" (threshold ").append(record.getLong("thresholdMs", 0L)).append(" ms) in ").append(culprit(record))
        .append(" [").append(kindName).append(']');
      if (record.getString("lock") != null) {
        sb.append(" waiting for ").append(record.getString("lock"));
        if (record.getString("lockOwner") != null) {
          sb.append(" held by ").append(record.getString("lockOwner"));
        }
      }
      JsonArray phases = record.getJsonArray("phases");
      if (phases != null && phases.size() > 1) {
        sb.append(", then ");
        for (int i = 1; i < phases.size(); i++) {
          JsonObject p = phases.getJsonObject(i);
          if (i > 1) {
            sb.append(", then ");
          }
          sb.append(p.getString("kind")).append(" in ").append(frame(p.getJsonObject("culprit")))
            .append(" from ").append(p.getLong("fromMs")).append(" ms");
        }
      }
    }
    sb.append(' ').append(where(record));
    String allowed = record.getString("allowed");
    if (allowed != null) {
      sb.append(" (allowed: ").append(allowed).append(')');
    } else {
      sb.append(" — ").append(advice(record, kind, worker));
    }
    return sb.toString();
  }

  /** @return the line logged when an incident already reported as ongoing ends */
  public static String endLine(JsonObject record) {
    StringBuilder sb = new StringBuilder();
    sb.append(record.getBoolean("worker", false) ? "worker thread " : "event loop ").append(record.getString("thread"))
      .append(" unblocked after ").append(record.getLong("durationMs", 0L)).append(" ms (").append(record.getString("id")).append("): ");
    JsonArray phases = record.getJsonArray("phases", new JsonArray());
    if (phases.isEmpty()) {
      sb.append(record.getString("kind")).append(" in ").append(culprit(record));
    }
    for (int i = 0; i < phases.size(); i++) {
      JsonObject p = phases.getJsonObject(i);
      if (i > 0) {
        sb.append(", then ");
      }
      sb.append(p.getString("kind")).append(" in ").append(frame(p.getJsonObject("culprit")))
        .append(" ").append(p.getLong("fromMs")).append("–").append(p.getLong("toMs")).append(" ms");
    }
    if (record.containsKey("pausedMs")) {
      sb.append(" (").append(record.getLong("pausedMs")).append(" ms of JVM pauses not counted)");
    }
    if (record.getBoolean("debugger", false)) {
      sb.append(" (a debugger suspended the thread meanwhile)");
    }
    return sb.toString();
  }

  private static String advice(JsonObject record, BlockingKind kind, boolean worker) {
    if (worker) {
      return "a worker task this long ties up the worker pool: bound it with a timeout or split it";
    }
    JsonArray stack = record.getJsonArray("stack");
    if (kind == BlockingKind.PARK && stack != null) {
      for (int i = 0; i < stack.size(); i++) {
        String c = stack.getJsonObject(i).getString("class");
        if ("java.util.concurrent.CompletableFuture".equals(c)) {
          return "never call get()/join() on the event loop: if the future completes on this loop it deadlocks "
            + "(toCompletionStage().toCompletableFuture().get() always does) — compose the Vert.x Future or use onComplete";
        }
      }
    }
    return kind.advice();
  }

  private static String where(JsonObject r) {
    StringBuilder sb = new StringBuilder();
    if (r.getString("address") != null) {
      sb.append("while handling '").append(r.getString("address")).append("' ");
    } else if (r.getString("route") != null) {
      sb.append("while serving ").append(r.getString("route")).append(' ');
    } else if (r.getString("timer") != null) {
      sb.append("in timer handler ").append(r.getString("timer")).append(' ');
    } else if (r.getString("source") != null) {
      switch (r.getString("source")) {
        case "deploy":
          sb.append("while deploying ");
          break;
        case "event-bus":
          sb.append("while handling an event-bus message ");
          break;
        case "http":
          sb.append("while serving an HTTP request ");
          break;
        case "timer":
          sb.append("in a timer handler ");
          break;
        case "net":
          sb.append("while handling a TCP connection ");
          break;
        default:
          sb.append("while running a task ");
          break;
      }
    }
    String verticle = r.getString("verticle");
    if (verticle != null) {
      sb.append("in ").append(verticle);
      if (r.getString("deploymentId") != null) {
        sb.append(" (deployment ").append(r.getString("deploymentId")).append(')');
      }
    } else {
      sb.append("outside any verticle");
    }
    return sb.toString();
  }

  private static String culprit(JsonObject r) {
    JsonObject c = r.getJsonObject("culprit");
    if (c != null) {
      return frame(c);
    }
    JsonArray stack = r.getJsonArray("stack");
    String top = stack == null || stack.isEmpty() ? "?" : StackFrame.fromJson(stack.getJsonObject(0)).toString();
    return "framework code (no application frame on the stack; top: " + top + ")";
  }

  private static String frame(JsonObject c) {
    return c == null ? "framework code" : StackFrame.fromJson(c).toString();
  }

  private static String formatMicros(long us) {
    if (us >= 10_000) {
      return (us / 1000) + " ms";
    }
    return String.format(java.util.Locale.ROOT, "%.2f ms", us / 1000.0);
  }
}
