package dev.loopkit.blocking;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * A typed view of one record published on the checker's address. The JSON contract:
 *
 * <pre>{@code
 * { "id": "blk-12",                  // the same for the ongoing and the final record of one incident
 *   "detection": "runtime",          // runtime (watchdog) | strict (JFR call site)
 *   "thread": "vert.x-eventloop-thread-1",   // "*" for a GC pause (every thread stopped)
 *   "worker": false,
 *   "durationMs": 212, "thresholdMs": 100,
 *   "ongoing": true,                 // true: reported while still blocked; false: final, total duration
 *   "startedAt": "2026-01-01T10:00:00.123Z",
 *   "culprit": {"class": "com.acme.Prices", "method": "load", "file": "Prices.java", "line": 42},
 *   "kind": "sleep",                 // sleep, lock, monitor, park, socket, file, dns, process, cpu, gc, unknown
 *   "verticle": "com.acme.PricesVerticle", "deploymentId": "3f2a...",
 *   "address": "prices.get",         // when handling an event-bus message
 *   "route": "GET /prices",          // when handling an HTTP request (see BlockingAttribution)
 *   "timer": "com.acme.PricesVerticle.lambda$start$0",  // when running a timer handler
 *   "source": "event-bus",           // event-bus, http, timer, deploy, net, task, gc, or null
 *   "allowed": "reason",             // when the block is allowed (@AllowBlocking, BlockingAttribution.allow)
 *   "phases": [{"culprit": {...}, "kind": "sleep", "fromMs": 0, "toMs": 150, "samples": 9}, ...],
 *   "stack": [{"class": ..., "method": ..., "file": ..., "line": ...}, ...] }
 * }</pre>
 *
 * Strict findings ({@code detection: strict}) add {@code event} (the JFR event type), {@code durationUs}
 * and, when the same block was also reported by the watchdog, {@code incident} (that incident's id).
 */
public final class BlockingIncident {

  private final JsonObject json;

  public BlockingIncident(JsonObject json) {
    this.json = json;
  }

  /** @return a copy of the record as published */
  public JsonObject toJson() {
    return json.copy();
  }

  public String id() {
    return json.getString("id");
  }

  /** @return {@code runtime} or {@code strict} */
  public String detection() {
    return json.getString("detection", "runtime");
  }

  public boolean isStrict() {
    return "strict".equals(detection());
  }

  public String thread() {
    return json.getString("thread");
  }

  public boolean isWorker() {
    return json.getBoolean("worker", false);
  }

  public long durationMs() {
    return json.getLong("durationMs", 0L);
  }

  public long thresholdMs() {
    return json.getLong("thresholdMs", 0L);
  }

  /** @return whether this is the report made while the thread was still blocked */
  public boolean ongoing() {
    return json.getBoolean("ongoing", false);
  }

  /** @return the culprit frame, or {@code null} when no application frame was on the stack */
  public StackFrame culprit() {
    JsonObject c = json.getJsonObject("culprit");
    return c == null ? null : StackFrame.fromJson(c);
  }

  public BlockingKind kind() {
    return BlockingKind.fromJson(json.getString("kind"));
  }

  public String verticle() {
    return json.getString("verticle");
  }

  public String deploymentId() {
    return json.getString("deploymentId");
  }

  public String address() {
    return json.getString("address");
  }

  public String route() {
    return json.getString("route");
  }

  public String timer() {
    return json.getString("timer");
  }

  public String source() {
    return json.getString("source");
  }

  /** @return the reason the block is allowed, or {@code null} */
  public String allowed() {
    return json.getString("allowed");
  }

  /** @return the stack (top first) at the start of the stall */
  public List<StackFrame> stack() {
    List<StackFrame> out = new ArrayList<>();
    JsonArray a = json.getJsonArray("stack");
    if (a != null) {
      for (int i = 0; i < a.size(); i++) {
        out.add(StackFrame.fromJson(a.getJsonObject(i)));
      }
    }
    return out;
  }

  /** @return the phases (each {@code culprit}, {@code kind}, {@code fromMs}, {@code toMs}) */
  public JsonArray phases() {
    JsonArray a = json.getJsonArray("phases");
    return a == null ? new JsonArray() : a.copy();
  }

  /** @return one line a person can act on, as logged */
  public String summary() {
    return dev.loopkit.blocking.impl.IncidentText.line(json);
  }

  @Override
  public String toString() {
    return summary();
  }
}
