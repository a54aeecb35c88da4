package dev.loopkit.console;

import dev.loopkit.bus.Addresses;
import dev.loopkit.hostile.Released;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's security rules over real HTTP: the browser can only receive (every other method is refused,
 * nothing a page sends reaches the event bus, only {@code loopkit.blocking} and {@code loopkit.timeout.breaker}
 * are forwarded), the token rule for non-loopback binds, and the live channel's bounds (clients, queued events
 * dropped oldest first and said so, a reader kept by the idle sweep, a client that stops reading closed).
 */
@DisplayName("loop console: receive-only, token, bounds")
class ConsoleSecurityTest {

  static final String TOKEN = "s3cret-token-0123456789";

  private Vertx vertx;
  private HttpClient http;
  /** Every address something on this Vert.x sent or published to, with what (outbound interceptor). */
  private final Map<String, Integer> sent = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions().setKeepAlive(false));
    vertx.eventBus().addOutboundInterceptor(dc -> {
      sent.merge(dc.message().address(), 1, Integer::sum);
      dc.next();
    });
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  private HttpFrontVerticle front(HttpFrontOptions options) throws Exception {
    HttpFrontVerticle front = new HttpFrontVerticle(options, Map.of());
    get(vertx.deployVerticle(front));
    return front;
  }

  @Test
  @DisplayName("only GET/HEAD: every other method on every console path is 405, and nothing reaches the bus")
  void the_browser_cannot_send() throws Exception {
    Set<String> touched = ConcurrentHashMap.newKeySet();
    for (String address : List.of(Addresses.FETCH, Addresses.CANCEL, Addresses.BLOCKING_REPORT, "loopkit.timeout",
      "loopkit.timeout.stats", "console.any")) {
      get(vertx.eventBus().consumer(address, m -> touched.add(address)).completion());
    }
    HttpFrontVerticle front = front(new HttpFrontOptions().setPort(0));
    String sockJsSend = new JsonObject().put("type", "send").put("address", Addresses.FETCH)
      .put("body", new JsonObject().put("urls", new JsonArray().add("http://127.0.0.2/"))).encode();
    for (String path : List.of("/console", "/console/live", "/console/state", "/console/assets/console.js",
      "/console/eventbus", "/console/live/send")) {
      List<HttpMethod> methods = new java.util.ArrayList<>(List.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.DELETE,
        HttpMethod.PATCH, HttpMethod.OPTIONS));
      if (path.equals("/console/live")) {
        methods.add(HttpMethod.HEAD);
      }
      for (HttpMethod m : methods) {
        Answer a = call(front, m, path, Map.of("content-type", "application/json"), sockJsSend);
        assertThat(a.status).as(m + " " + path).isIn(404, 405);
        if (!path.endsWith("eventbus") && !path.endsWith("/send")) {
          assertThat(a.status).as(m + " " + path).isEqualTo(405);
          assertThat(a.headers.get("allow")).isEqualTo(path.equals("/console/live") ? "GET" : "GET, HEAD");
        }
      }
    }
    // a GET naming an address does nothing either
    Answer a = call(front, HttpMethod.GET, "/console/state?address=loopkit.fetch&body=%7B%7D", Map.of(), null);
    assertThat(a.status).isEqualTo(200);
    assertThat(touched).as("addresses a console request reached").isEmpty();
    assertThat(sent.keySet()).as("addresses sent to").doesNotContain(Addresses.FETCH, Addresses.CANCEL, "console.any");
  }

  @Test
  @DisplayName("the live channel forwards loopkit.blocking and loopkit.timeout.breaker only")
  void only_whitelisted_addresses_are_forwarded() throws Exception {
    HttpFrontVerticle front = front(new HttpFrontOptions().setPort(0));
    Sse sse = Sse.open(vertx, front.actualPort(), "/console/live", Map.of());
    get(Released.eventually(vertx, 5_000, () -> sse.text().contains("event: hello"), () -> sse.summary()));
    for (String other : List.of(Addresses.FETCH, Addresses.CANCEL, Addresses.BLOCKING_REPORT, "loopkit.progress.x",
      "loopkit.timeout.stats", "__vertx.reply.1", "loopkit.blocking.x", "loopkit")) {
      vertx.eventBus().publish(other, new JsonObject().put("id", "LEAK-" + other));
    }
    vertx.eventBus().publish(Addresses.BLOCKING, "not json"); // ignored, not forwarded, not logged
    vertx.eventBus().publish(Addresses.BLOCKING, new JsonObject().put("id", "OK-blocking").put("thread", "t")
      .put("stack", new JsonArray().add(new JsonObject().put("class", "com.acme.A").put("method", "m"))));
    vertx.eventBus().publish("loopkit.timeout.breaker", new JsonObject().put("route", "OK-breaker").put("state", "OPEN"));
    get(Released.eventually(vertx, 5_000, () -> sse.text().contains("OK-blocking") && sse.text().contains("OK-breaker"), () -> sse.summary()));
    assertThat(sse.text()).doesNotContain("LEAK-").doesNotContain("not json");
    assertThat(sse.text()).contains("\"app\":true"); // frames are marked for the page
    sse.close();
  }

  @Test
  @DisplayName("non-loopback bind: off without a token; with one, every console request needs it")
  void token_rule_for_non_loopback_binds() throws Exception {
    HttpFrontVerticle off = front(new HttpFrontOptions().setHost("0.0.0.0").setPort(0));
    for (String path : List.of("/console", "/console/state", "/console/live", "/console/assets/console.js")) {
      Answer a = call(off, HttpMethod.GET, path, Map.of(), null);
      assertThat(a.status).as(path).isEqualTo(404);
      assertThat(a.body).contains("not a loopback address, and http.console.token is not set");
    }
    HttpFrontVerticle on = front(new HttpFrontOptions().setHost("0.0.0.0").setPort(0)
      .setConsole(new ConsoleOptions().setToken(TOKEN)));
    for (String path : List.of("/console", "/console/state", "/console/live", "/console/assets/console.js")) {
      assertThat(call(on, HttpMethod.GET, path, Map.of(), null).status).as(path + " without token").isEqualTo(401);
      assertThat(call(on, HttpMethod.GET, path + "?token=wrong-token-0123456789", Map.of(), null).status).as(path).isEqualTo(401);
      assertThat(call(on, HttpMethod.GET, path, Map.of("authorization", "Bearer " + TOKEN + "x"), null).status).isEqualTo(401);
      assertThat(call(on, HttpMethod.GET, path, Map.of("cookie", ConsoleCookie.NAME + "=nope"), null).status).isEqualTo(401);
    }
    Answer page = call(on, HttpMethod.GET, "/console?token=" + TOKEN, Map.of(), null);
    assertThat(page.status).isEqualTo(200);
    assertThat(page.headers.get("content-security-policy")).contains("default-src 'none'").contains("connect-src 'self'");
    assertThat(page.headers.get("referrer-policy")).isEqualTo("no-referrer");
    String cookie = page.headers.get("set-cookie");
    assertThat(cookie).contains(ConsoleCookie.NAME + "=" + TOKEN).containsIgnoringCase("HttpOnly").contains("SameSite=Strict").contains("Path=/console");
    assertThat(call(on, HttpMethod.GET, "/console/state", Map.of("cookie", ConsoleCookie.NAME + "=" + TOKEN), null).status).isEqualTo(200);
    assertThat(call(on, HttpMethod.GET, "/console/assets/console.js", Map.of("authorization", "Bearer " + TOKEN), null).status).isEqualTo(200);
    Sse live = Sse.open(vertx, on.actualPort(), "/console/live?token=" + TOKEN, Map.of());
    get(Released.eventually(vertx, 5_000, () -> live.text().contains("event: hello"), () -> live.summary()));
    live.close();
    // the rest of the front is untouched by the token
    assertThat(call(on, HttpMethod.GET, "/health", Map.of(), null).status).isEqualTo(200);
  }

  @Test
  @DisplayName("maxClients live channels; the next is 503; a closed one frees its place")
  void live_clients_are_bounded() throws Exception {
    HttpFrontVerticle front = front(new HttpFrontOptions().setPort(0).setConsole(new ConsoleOptions().setMaxClients(2)));
    Sse a = Sse.open(vertx, front.actualPort(), "/console/live", Map.of());
    Sse b = Sse.open(vertx, front.actualPort(), "/console/live", Map.of());
    get(Released.eventually(vertx, 5_000, () -> a.text().contains("hello") && b.text().contains("hello"), () -> a.summary() + b.summary()));
    Answer third = call(front, HttpMethod.GET, "/console/live", Map.of(), null);
    assertThat(third.status).isEqualTo(503);
    assertThat(third.body).contains("http.console.maxClients 2");
    a.close();
    get(Released.eventually(vertx, 5_000, () -> front.consoleClients() == 1, () -> front.consoleClients() + " clients"));
    b.close();
    get(Released.eventually(vertx, 5_000, () -> front.consoleClients() == 0 && front.openConnections() == 0,
      () -> front.consoleClients() + " clients, " + front.openConnections() + " connections"));
  }

  @Test
  @DisplayName("a live channel that reads is kept past the idle and request deadlines")
  void a_reading_client_outlives_the_idle_sweep() throws Exception {
    HttpFrontVerticle front = front(new HttpFrontOptions().setPort(0).setIdleTimeoutMs(200).setRequestTimeoutMs(100)
      .setRequestHeadTimeoutMs(200).setRequestBodyTimeoutMs(200));
    Sse sse = Sse.open(vertx, front.actualPort(), "/console/live", Map.of());
    long t0 = System.nanoTime();
    // ticks come once a second: three of them is ten times the idle timeout plus the BUSY backstop
    get(Released.eventually(vertx, 8_000, () -> sse.count("event: tick") >= 3 || sse.closed(), () -> sse.summary()));
    assertThat(sse.closed()).as("closed after %d ms", (System.nanoTime() - t0) / 1_000_000).isFalse();
    sse.close();
  }

  @Test
  @DisplayName("a client that stops reading: oldest events dropped and the page told; then closed after idleTimeoutMs")
  void a_slow_client_loses_the_oldest_events() throws Exception {
    HttpFrontVerticle front = front(new HttpFrontOptions().setPort(0).setIdleTimeoutMs(3_000)
      .setConsole(new ConsoleOptions().setMaxQueuedEvents(4)));
    String filler = "x".repeat(60_000);
    // a plain socket that reads nothing until told: the kernel's buffers fill, then Vert.x's, then the queue
    try (java.net.Socket slow = new java.net.Socket("127.0.0.1", front.actualPort())) {
      slow.setReceiveBufferSize(64 * 1024);
      slow.getOutputStream().write("GET /console/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      get(Released.eventually(vertx, 5_000, () -> front.consoleClients() == 1, () -> "no live client"));
      for (int i = 0; i < 400; i++) {
        vertx.eventBus().publish(Addresses.BLOCKING, new JsonObject().put("id", "big-" + i).put("filler", filler));
      }
      vertx.eventBus().publish(Addresses.BLOCKING, new JsonObject().put("id", "last-one"));
      // now read everything that comes (on this test thread; the front's loop is never waited on)
      slow.setSoTimeout(10_000);
      java.io.InputStream in = slow.getInputStream();
      StringBuilder got = new StringBuilder();
      byte[] buf = new byte[256 * 1024];
      long until = System.nanoTime() + 10_000_000_000L;
      while (got.indexOf("\"id\":\"last-one\"") < 0 && System.nanoTime() < until) {
        int n = in.read(buf);
        if (n < 0) {
          break;
        }
        got.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
      }
      String text = got.toString();
      assertThat(text).as("stream end").contains("\"id\":\"last-one\"");
      assertThat(text.contains("event: dropped")).as("a dropped event was sent").isTrue();
      assertThat(text.contains("the oldest were dropped")).isTrue();
      int bigs = text.split("\"id\":\"big-", -1).length - 1;
      assertThat(bigs).as("big records delivered").isLessThan(400);
    }
    get(Released.eventually(vertx, 5_000, () -> front.consoleClients() == 0, () -> front.consoleClients() + " clients"));

    // a client that never reads again is closed once its writes have been stuck for idleTimeoutMs
    try (java.net.Socket stuck = new java.net.Socket("127.0.0.1", front.actualPort())) {
      stuck.setReceiveBufferSize(64 * 1024);
      stuck.getOutputStream().write("GET /console/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      get(Released.eventually(vertx, 5_000, () -> front.consoleClients() == 1, () -> "no live client"));
      for (int i = 0; i < 400; i++) {
        vertx.eventBus().publish(Addresses.BLOCKING, new JsonObject().put("id", "big-" + i).put("filler", filler));
      }
      get(Released.eventually(vertx, 12_000, () -> front.consoleClients() == 0 && front.openConnections() == 0,
        () -> front.consoleClients() + " clients, " + front.openConnections() + " connections"));
    }
  }

  // ---- helpers ----

  record Answer(int status, Map<String, String> headers, String body) {
  }

  private Answer call(HttpFrontVerticle front, HttpMethod method, String path, Map<String, String> headers, String body) throws Exception {
    RequestOptions o = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(front.actualPort()).setURI(path)
      .setTimeout(5_000);
    headers.forEach(o::putHeader);
    Future<Answer> f = http.request(o).compose(req -> (body == null ? req.send() : req.send(body))
      .compose(resp -> path.startsWith("/console/live") && resp.statusCode() == 200
        ? Future.succeededFuture(new Answer(200, headerMap(resp), ""))
        : resp.body().map(b -> new Answer(resp.statusCode(), headerMap(resp), b.toString()))));
    return get(f);
  }

  private static Map<String, String> headerMap(HttpClientResponse resp) {
    Map<String, String> m = new java.util.HashMap<>();
    resp.headers().forEach(e -> m.merge(e.getKey().toLowerCase(), e.getValue(), (x, y) -> x + ", " + y));
    return m;
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The console's token cookie name, as the page gets it. */
  static final class ConsoleCookie {
    static final String NAME = dev.loopkit.console.impl.ConsoleRoutes.COOKIE;
  }

  /** A raw HTTP/1.1 client of the live channel: everything received, as text. */
  static final class Sse {
    private final NetClient client;
    private final NetSocket socket;
    private final StringBuffer received = new StringBuffer();
    private volatile boolean closed;

    private Sse(NetClient client, NetSocket socket) {
      this.client = client;
      this.socket = socket;
      socket.handler(b -> received.append(b.toString(StandardCharsets.UTF_8)));
      socket.closeHandler(v -> closed = true);
    }

    static Sse open(Vertx vertx, int port, String path, Map<String, String> headers) throws Exception {
      NetClient client = vertx.createNetClient();
      NetSocket socket = get(client.connect(port, "127.0.0.1"));
      Sse sse = new Sse(client, socket);
      StringBuilder head = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n");
      headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
      socket.write(Buffer.buffer(head.append("\r\n").toString()));
      return sse;
    }

    String text() {
      return received.toString();
    }

    /** @return a short description for failure messages */
    String summary() {
      String t = text();
      return t.length() + " chars received" + (closed ? ", closed" : "") + ": " + t.substring(0, Math.min(300, t.length()));
    }

    int count(String s) {
      String t = text();
      int n = 0;
      for (int i = t.indexOf(s); i >= 0; i = t.indexOf(s, i + 1)) {
        n++;
      }
      return n;
    }

    boolean closed() {
      return closed;
    }

    void pause() {
      socket.pause();
    }

    void resume() {
      socket.resume();
    }

    void close() throws Exception {
      Promise<Void> p = Promise.promise();
      socket.close().onComplete(ar -> client.close().onComplete(p));
      get(p.future());
    }
  }
}
