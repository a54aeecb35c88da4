package dev.loopkit.console.impl;

import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.Addresses;
import dev.loopkit.cluster.ClusterNode;
import dev.loopkit.console.ConsoleOptions;
import dev.loopkit.metrics.Meters;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The console's server side, one per HTTP front, on the front's event loop: it listens to exactly the
 * published addresses in {@link #FORWARDED} (nothing else ever reaches a page), keeps the recent incidents
 * and breaker transitions, and — while at least one live channel is open — gathers a {@code tick} once a
 * second (per-loop lag over the last minute from the checker's meters, the report's blocked time, route
 * stats, fetch counts). Everything is bounded: {@link #MAX_INCIDENTS} incidents, {@link #MAX_BREAKER_EVENTS}
 * transitions, {@link #HISTORY} ticks of lag per loop, {@link #MAX_RECORD_BYTES} per record (stacks cut to {@link #MAX_FRAMES} frames first),
 * {@code maxClients} channels, {@code maxQueuedEvents} events per channel. Nothing a publisher sends is
 * logged: a record that is not a JSON object, or too large, is counted ({@code ignored}) and dropped.
 */
public final class ConsoleHub {

  /** The only addresses whose messages reach a page (all are published, never requested). */
  public static final List<String> FORWARDED = List.of(Addresses.BLOCKING, "loopkit.timeout.breaker");
  /** Incident records kept (newest first in {@link #state()}). */
  public static final int MAX_INCIDENTS = 200;
  /** Breaker transitions kept. */
  public static final int MAX_BREAKER_EVENTS = 100;
  /** Ticks of lag history kept per loop (one a second: five minutes). */
  public static final int HISTORY = 300;
  /** A record larger than this (encoded, once its stacks are cut to MAX_FRAMES) is not forwarded. */
  public static final int MAX_RECORD_BYTES = 128 * 1024;
  /** Phases kept per record (the checker keeps 8). */
  static final int MAX_PHASES = 16;
  /** Frames kept per stack sent to a page. */
  public static final int MAX_FRAMES = 64;
  /** Loops tracked in the history (a report naming more is cut). */
  static final int MAX_LOOPS = 256;

  private final Vertx vertx;
  private final ConsoleOptions options;
  private final String reportAddress;
  private final List<LiveClient> clients = new ArrayList<>();
  private final FetchStats fetchStats;
  private final List<MessageConsumer<Object>> consumers = new ArrayList<>();
  private final LinkedHashMap<String, JsonObject> incidents = new LinkedHashMap<>();
  private final ArrayDeque<JsonObject> breakerEvents = new ArrayDeque<>();
  private final Map<String, ArrayDeque<JsonArray>> history = new LinkedHashMap<>();
  private JsonObject lastTick;
  private long ticker = -1;
  private long pinger = -1;
  private long ignored;
  private long forwarded;
  private boolean ticking;

  public ConsoleHub(Vertx vertx, ConsoleOptions options, String reportAddress) {
    this.vertx = vertx;
    this.options = options;
    this.reportAddress = reportAddress;
    this.fetchStats = new FetchStats(vertx);
  }

  /** Subscribes to {@link #FORWARDED} (call on the front's context). */
  public Future<Void> start() {
    List<Future<Void>> ready = new ArrayList<>();
    MessageConsumer<Object> blocking = vertx.eventBus().consumer(Addresses.BLOCKING, this::incident);
    MessageConsumer<Object> breaker = vertx.eventBus().consumer("loopkit.timeout.breaker", this::breaker);
    consumers.add(blocking);
    consumers.add(breaker);
    ready.add(blocking.completion());
    ready.add(breaker.completion());
    return Future.all(ready).mapEmpty();
  }

  /** Closes every live channel and unsubscribes. */
  public void stop() {
    for (MessageConsumer<Object> c : consumers) {
      c.unregister();
    }
    consumers.clear();
    for (LiveClient c : new ArrayList<>(clients)) {
      c.closed();
      c.response().reset();
    }
    clients.clear();
    stopTimers();
  }

  /** @return live channels open now */
  public int clients() {
    return clients.size();
  }

  /** @return messages on the forwarded addresses that were not forwarded (not a JSON object, too large) */
  public long ignored() {
    return ignored;
  }

  /** @return messages forwarded to the open channels (each counted once however many channels there are) */
  public long forwarded() {
    return forwarded;
  }

  /**
   * Opens a live channel on {@code response} (the headers are written here).
   *
   * @return false (nothing written) when {@code maxClients} are open
   */
  public boolean open(HttpServerResponse response) {
    if (clients.size() >= options.getMaxClients()) {
      return false;
    }
    response.setChunked(true)
      .putHeader("content-type", "text/event-stream; charset=utf-8")
      .putHeader("cache-control", "no-store")
      .putHeader("x-accel-buffering", "no");
    LiveClient client = new LiveClient(response, options.getMaxQueuedEvents());
    clients.add(client);
    response.closeHandler(v -> {
      client.closed();
      clients.remove(client);
      if (clients.isEmpty()) {
        stopTimers();
      }
    });
    client.send("hello", new JsonObject().put("node", ClusterNode.of(vertx).toJson())
      .put("maxQueuedEvents", options.getMaxQueuedEvents()).put("forwarded", new JsonArray(FORWARDED)).encode());
    if (ticker < 0) {
      ticker = vertx.setPeriodic(1_000, id -> tick());
      pinger = vertx.setPeriodic(15_000, id -> clients.forEach(LiveClient::ping));
      tick();
    }
    return true;
  }

  /** @return what a page reads at load: node, recent incidents (newest first), breaker transitions, last tick, lag history */
  public JsonObject state() {
    JsonArray list = new JsonArray();
    List<JsonObject> all = new ArrayList<>(incidents.values());
    for (int i = all.size() - 1; i >= 0; i--) {
      list.add(all.get(i));
    }
    JsonObject hist = new JsonObject();
    history.forEach((loop, points) -> {
      JsonArray a = new JsonArray();
      points.forEach(a::add);
      hist.put(loop, a);
    });
    return new JsonObject()
      .put("node", ClusterNode.of(vertx).toJson())
      .put("clustered", vertx.isClustered())
      .put("forwarded", new JsonArray(FORWARDED))
      .put("incidents", list)
      .put("breaker", new JsonArray(new ArrayList<>(breakerEvents)))
      .put("tick", lastTick)
      .put("history", hist)
      .put("console", new JsonObject().put("clients", clients.size()).put("maxClients", options.getMaxClients())
        .put("ignored", ignored));
  }

  private void incident(Message<Object> m) {
    if (!(m.body() instanceof JsonObject)) {
      ignored++;
      return;
    }
    JsonObject record = ((JsonObject) m.body()).copy();
    JsonObject culprit = record.getValue("culprit") instanceof JsonObject ? record.getJsonObject("culprit") : null;
    if (record.getValue("stack") instanceof JsonArray) {
      record.put("stack", frames(record.getJsonArray("stack"), culprit));
    }
    if (record.getValue("phases") instanceof JsonArray) {
      JsonArray phases = new JsonArray();
      for (Object p : record.getJsonArray("phases")) {
        if (p instanceof JsonObject && phases.size() < MAX_PHASES) {
          JsonObject phase = (JsonObject) p;
          if (phase.getValue("stack") instanceof JsonArray) {
            Object pc = phase.getValue("culprit");
            phase.put("stack", frames(phase.getJsonArray("stack"), pc instanceof JsonObject ? (JsonObject) pc : null));
          }
          phases.add(phase);
        }
      }
      record.put("phases", phases);
    }
    if (record.encode().length() > MAX_RECORD_BYTES) {
      ignored++;
      return;
    }
    String id = record.getValue("id") instanceof String ? record.getString("id") : "?" + forwarded;
    JsonObject previous = incidents.remove(id);
    if (previous != null && !record.containsKey("stack")) {
      record.put("stack", previous.getValue("stack"));
    }
    incidents.put(id, record);
    Iterator<String> it = incidents.keySet().iterator();
    while (incidents.size() > MAX_INCIDENTS && it.hasNext()) {
      it.next();
      it.remove();
    }
    broadcast("incident", record);
  }

  private void breaker(Message<Object> m) {
    JsonObject event = accept(m.body());
    if (event == null) {
      return;
    }
    breakerEvents.addLast(event);
    while (breakerEvents.size() > MAX_BREAKER_EVENTS) {
      breakerEvents.pollFirst();
    }
    broadcast("breaker", event);
  }

  /** @return a copy of {@code body} when it is a JSON object of at most MAX_RECORD_BYTES, else null (counted) */
  private JsonObject accept(Object body) {
    if (!(body instanceof JsonObject)) {
      ignored++;
      return null;
    }
    String encoded = ((JsonObject) body).encode();
    if (encoded.length() > MAX_RECORD_BYTES) {
      ignored++;
      return null;
    }
    return new JsonObject(encoded);
  }

  /** The stack cut to MAX_FRAMES, each frame marked {@code app} when it is application code. */
  static JsonArray frames(JsonArray stack, JsonObject culprit) {
    JsonArray out = new JsonArray();
    for (int i = 0; i < stack.size() && i < MAX_FRAMES; i++) {
      Object f = stack.getValue(i);
      if (!(f instanceof JsonObject)) {
        continue;
      }
      JsonObject frame = ((JsonObject) f).copy();
      String cls = frame.getValue("class") instanceof String ? frame.getString("class") : "";
      boolean isCulprit = culprit != null && cls.equals(culprit.getValue("class"))
        && String.valueOf(frame.getValue("method")).equals(String.valueOf(culprit.getValue("method")));
      frame.put("app", isCulprit || Frames.application(cls));
      out.add(frame);
    }
    return out;
  }

  private void broadcast(String event, JsonObject data) {
    forwarded++;
    if (clients.isEmpty()) {
      return;
    }
    String encoded = data.encode();
    for (LiveClient c : clients) {
      c.send(event, encoded);
    }
  }

  private void stopTimers() {
    if (ticker >= 0) {
      vertx.cancelTimer(ticker);
      vertx.cancelTimer(pinger);
      ticker = -1;
      pinger = -1;
    }
  }

  /** Gathers one tick (skipped while the previous one is still gathering). */
  private void tick() {
    if (ticking) {
      return;
    }
    ticking = true;
    DeliveryOptions quick = new DeliveryOptions().setSendTimeout(900);
    Future<Message<Object>> report = vertx.eventBus().request(reportAddress, new JsonObject().put("recent", 0), quick);
    Future<Message<Object>> routes = vertx.eventBus().request("loopkit.timeout.stats", new JsonObject(), quick);
    Context home = vertx.getOrCreateContext();
    Future<Void> fetch = fetchStats.refresh(home);
    Future.join(report, routes, fetch).onComplete(ar -> home.runOnContext(v -> {
      ticking = false;
      try {
        JsonObject tick = build(body(report), body(routes));
        lastTick = tick;
        broadcast("tick", tick);
      } catch (RuntimeException e) {
        ignored++;
      }
    }));
  }

  private static JsonObject body(Future<Message<Object>> f) {
    return f.succeeded() && f.result().body() instanceof JsonObject ? (JsonObject) f.result().body() : null;
  }

  private JsonObject build(JsonObject report, JsonObject routes) {
    long now = System.currentTimeMillis();
    MeterRegistry registry = Meters.registry(vertx);
    Map<String, JsonObject> loops = new LinkedHashMap<>();
    if (report != null && report.getValue("loops") instanceof JsonArray) {
      for (Object o : report.getJsonArray("loops")) {
        if (o instanceof JsonObject && ((JsonObject) o).getValue("thread") instanceof String && loops.size() < MAX_LOOPS) {
          JsonObject l = (JsonObject) o;
          JsonObject lag = l.getJsonObject("lag", new JsonObject());
          loops.put(l.getString("thread"), new JsonObject().put("thread", l.getString("thread"))
            .put("blockedMs", l.getValue("blockedMs")).put("incidents", l.getValue("incidents"))
            .put("nearMisses", l.getValue("nearMisses")).put("longestStallMs", l.getValue("longestStallMs"))
            .put("p50Ms", lag.getValue("p50Ms")).put("p99Ms", lag.getValue("p99Ms")).put("maxMs", lag.getValue("maxMs"))
            .put("window", "since start"));
        }
      }
    }
    for (Timer t : registry.find("loopkit.blocking.lag").timers()) {
      String loop = t.getId().getTag("loop");
      if (loop == null || (!loops.containsKey(loop) && loops.size() >= MAX_LOOPS)) {
        continue;
      }
      HistogramSnapshot s = t.takeSnapshot();
      JsonObject l = loops.computeIfAbsent(loop, k -> new JsonObject().put("thread", k));
      for (ValueAtPercentile p : s.percentileValues()) {
        double ms = Math.round(p.value(TimeUnit.MILLISECONDS) * 10) / 10.0;
        if (p.percentile() == 0.5) {
          l.put("p50Ms", ms);
        } else if (p.percentile() == 0.99) {
          l.put("p99Ms", ms);
        }
      }
      l.put("maxMs", Math.round(s.max(TimeUnit.MILLISECONDS) * 10) / 10.0).put("window", "last minute");
    }
    JsonArray loopJson = new JsonArray();
    for (JsonObject l : loops.values()) {
      loopJson.add(l);
      ArrayDeque<JsonArray> points = history.computeIfAbsent(l.getString("thread"), k -> new ArrayDeque<>());
      points.addLast(new JsonArray().add(now / 1000).add(l.getValue("p50Ms")).add(l.getValue("p99Ms")).add(l.getValue("maxMs")));
      while (points.size() > HISTORY) {
        points.pollFirst();
      }
    }
    history.keySet().removeIf(k -> !loops.containsKey(k) && history.size() > MAX_LOOPS);
    JsonObject tick = new JsonObject().put("at", Instant.ofEpochMilli(now).toString()).put("loops", loopJson);
    if (report != null) {
      tick.put("thresholdMs", report.getValue("thresholdMs")).put("totals", report.getValue("totals"));
    }
    tick.put("routes", routes == null ? null : routes.getValue("routes"));
    tick.put("fetch", fetch(registry));
    tick.put("console", new JsonObject().put("clients", clients.size()).put("ignored", ignored));
    return tick;
  }

  private JsonObject fetch(MeterRegistry registry) {
    JsonObject outcomes = new JsonObject();
    for (Counter c : registry.find("loopkit.fetch.requests").counters()) {
      String outcome = c.getId().getTag("outcome");
      if (outcome != null) {
        outcomes.put(outcome, outcomes.getLong(outcome, 0L) + (long) c.count());
      }
    }
    LiveResources live = LiveResources.of(vertx);
    return new JsonObject()
      .put("calls", live.get("fetchCalls"))
      .put("requestsInFlight", live.get(LiveResources.HTTP_REQUESTS))
      .put("overloaded", outcomes.getLong("OVERLOADED", 0L))
      .put("outcomes", outcomes)
      .put("engines", fetchStats.last());
  }
}
