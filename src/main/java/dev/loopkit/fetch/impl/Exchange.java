package dev.loopkit.fetch.impl;

import dev.loopkit.async.LiveResources;
import dev.loopkit.bus.LogValues;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchResult;
import dev.loopkit.fetch.FetchResult.BodyKind;
import io.vertx.core.AsyncResult;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.nio.charset.Charset;
import java.util.concurrent.TimeUnit;

/**
 * One request of a call on the wire, hop by hop (redirects): resolve and check the host, wait for a slot,
 * get a connection, send, read the body under the size cap. Exactly one {@link #finish} per exchange;
 * whatever finishes it first (response, timer, loser cancellation, scope) wins, and finishing releases
 * everything: the timer, the slot (or the place in the queue) and the connection — reset, not drained,
 * when the response is not complete.
 *
 * <p>Confined to its {@link #shard}'s event loop, from {@link #start} to {@link #finish}; the call hears of
 * the result on its own shard ({@link Call#itemDone}). A slot freed on another shard is handed over with
 * {@link #granted()}, which moves back here.
 */
final class Exchange extends Limiter.Waiter {

  private static final int REDIRECT_DRAIN_LIMIT = 64 * 1024;
  private static final Handler<Throwable> IGNORE = t -> { };
  private static final String[] STAGES = {"resolving the host", "waiting for a slot", "connecting",
    "waiting for the response headers", "reading the body"};
  private static final int RESOLVE = 0;
  private static final int QUEUE = 1;
  private static final int CONNECT = 2;
  private static final int HEADERS = 3;
  private static final int BODY = 4;

  private final Call call;
  private final FetchEngineImpl engine;
  final Shard shard;
  final Prepared req;
  private final long startNanos;
  private long deadlineNanos;
  private boolean ownDeadline;
  private long timerId = -1;

  private Target target;
  private HttpMethod method;
  private MultiMap headers;
  private Buffer sendBody;
  private InetAddress address;
  /** The limiter's key for this hop: the canonical resolved address ({@link Target#canonicalKey}). */
  private String hostKey;
  /** Bytes this exchange holds against the call's {@code maxCallBytes}. */
  private long charged;
  private int stage;
  private boolean done;
  /** Set once, by {@link #finish}; read at the call's home after the report queue hands it over. */
  FetchResult result;
  private long queueStart;
  private long queueNanos;
  private long connectStart;
  private long connectNanos;
  private HttpClientRequest request;
  private HttpClientResponse response;
  private boolean responseEnded;
  private boolean redirecting;
  private Buffer body;
  private boolean accumulating;
  private int received;
  private int redirects;

  Exchange(Call call, Prepared req, Shard shard) {
    this.call = call;
    this.engine = call.engine;
    this.shard = shard;
    this.req = req;
    this.startNanos = System.nanoTime();
  }

  boolean done() {
    return done;
  }

  boolean holdsSlot() {
    return holds;
  }

  void start() {
    if (call.finished) { // decided while this was on its way to its shard
      finish(FetchResult.failure(req.index, req.url, call.settleCode, call.settleWhy + " (never started)", 0, 0, 0));
      return;
    }
    long own = req.timeoutMs > 0 ? req.timeoutMs : engine.options.getRequestTimeoutMs();
    deadlineNanos = call.deadlineNanos;
    if (own > 0) {
      long mine = startNanos + TimeUnit.MILLISECONDS.toNanos(own);
      if (!call.hasDeadline || mine - call.deadlineNanos < 0) {
        deadlineNanos = mine;
        ownDeadline = true;
        engine.live.increment(LiveResources.TIMERS);
        timerId = engine.vertx.setTimer(own, t -> {
          timerId = -1;
          engine.live.decrement(LiveResources.TIMERS);
          timeout();
        });
      }
    }
    method = req.method;
    headers = req.headers;
    sendBody = req.body;
    hop(req.target);
  }

  private boolean hasDeadline() {
    return ownDeadline || call.hasDeadline;
  }

  private void hop(Target t) {
    target = t;
    if (t.literal != null) {
      address = t.literal;
      hostKey = t.canonicalKey;
      acquire();
      return;
    }
    stage = RESOLVE;
    engine.resolve(t.host).onComplete(ar -> {
      if (done) {
        return;
      }
      if (ar.failed()) {
        finishFailure(FetchErrorCode.CONNECT_FAILED, "cannot resolve host " + LogValues.quote(t.host) + ": " + Wire.describe(ar.cause()));
        return;
      }
      HostRules.Verdict v = engine.rules.checkResolved(t.host, t.port, ar.result(), t.verdict());
      if (!v.ok()) {
        finishFailure(FetchErrorCode.FORBIDDEN_HOST, "host refused: " + v.refusal());
        return;
      }
      address = HostRules.unmap(ar.result());
      hostKey = Target.canonicalKey(t.ssl, address, t.port);
      acquire();
    });
  }

  private void acquire() {
    stage = QUEUE;
    queueStart = System.nanoTime();
    int r = engine.limiter.acquire(hostKey, this);
    if (r == Limiter.GRANTED) {
      connect();
    } else if (r == Limiter.REJECTED) {
      finishFailure(FetchErrorCode.OVERLOADED, "no slot for " + hostKey + " and the wait queue is full (maxQueue "
        + engine.options.getMaxQueue() + "): refused at once; retry later or raise maxInFlight/maxPerHost/maxQueue");
    }
  }

  @Override
  void granted() {
    shard.run(this::onGranted);
  }

  private void onGranted() {
    if (done) {
      return; // finished meanwhile: finish() gave the slot back
    }
    queueNanos += System.nanoTime() - queueStart;
    queueStart = 0;
    if (call.finished) {
      finishFailure(call.settleCode, call.settleWhy + " (while " + STAGES[QUEUE] + detail() + ")");
      return;
    }
    connect();
  }

  private void connect() {
    stage = CONNECT;
    connectStart = System.nanoTime();
    // The pool is keyed by server and authority: plain http uses the canonical address for both, so every
    // spelling of a host shares one pool of maxPerHost connections (the Host header is set per request); TLS
    // keeps a name as authority (SNI, certificate check), an address literal its canonical form.
    String canonical = address.getHostAddress();
    RequestOptions ro = new RequestOptions()
      .setMethod(method)
      .setServer(target.server != null ? target.server : SocketAddress.inetSocketAddress(target.port, canonical))
      .setHost(target.ssl && target.literal == null ? target.host : canonical)
      .setPort(target.port)
      .setSsl(target.ssl)
      .setURI(target.requestUri)
      .setFollowRedirects(false);
    if (headers != null) {
      ro.setHeaders(headers);
    }
    // No RequestOptions.connectTimeout: this exchange's own timer bounds the wait, and on 5.0.7 the pool's
    // per-waiter timer races with a completion on another event loop (PoolOptions.eventLoopSize > 0) and then
    // logs "Promise already completed". The limiter keeps the pool from queueing anyway.
    shard.client.request(ro).onComplete(this::onRequest);
  }

  private void onRequest(AsyncResult<HttpClientRequest> ar) {
    connectNanos += System.nanoTime() - connectStart;
    if (ar.succeeded()) {
      // Vert.x logs a request's failure at ERROR when it has no exception handler (each reset: "Connection
      // was closed"); the exchange learns of failures from its futures and handlers, so this one stays quiet.
      ar.result().exceptionHandler(IGNORE);
    }
    if (done) {
      if (ar.succeeded()) {
        // Finished while the connection was being obtained: close it rather than reset the unsent request.
        // On 5.0.7, resetting an unsent request that the pool placed on a connection being closed (one we
        // just reset) leaves that connection half-closed and never reported closed — a leaked socket.
        ar.result().connection().close();
      }
      return;
    }
    if (ar.failed()) {
      finishFailure(Wire.connectFailure(ar.cause()), "cannot connect to " + target.origin.label + " (" + address.getHostAddress() + "): " + Wire.describe(ar.cause()));
      return;
    }
    request = ar.result();
    request.authority(target.origin.hostHeader);
    engine.live.increment(LiveResources.HTTP_REQUESTS);
    stage = HEADERS;
    if (engine.options.isSendBudget() && hasDeadline()) {
      request.putHeader(engine.budgetHeader, Long.toString(Math.max(0, remainingMs())));
    }
    (sendBody == null ? request.send() : request.send(sendBody)).onComplete(this::onResponse);
  }

  private void onResponse(AsyncResult<HttpClientResponse> ar) {
    if (ar.succeeded()) {
      // Vert.x logs a response's failure at ERROR when it has no handler yet ("Stream reset" when we reset it
      // before reading the body): install one at once, whatever happens next.
      ar.result().exceptionHandler(IGNORE);
    }
    if (done) {
      return;
    }
    if (ar.failed()) {
      Throwable t = ar.cause();
      if (t instanceof Internals.InvalidResponseException) {
        finishFailure(FetchErrorCode.INVALID_RESPONSE, "invalid response from " + target.origin.label + ": " + t.getMessage() + "; connection closed");
      } else {
        finishFailure(FetchErrorCode.CONNECTION_RESET, "connection to " + target.origin.label + " failed before the response headers: " + Wire.describe(t));
      }
      return;
    }
    HttpClientResponse resp = ar.result();
    response = resp;
    int status = resp.statusCode();
    long head = Wire.headBytes(resp);
    if (!charge(head)) {
      finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "response head (" + head + " bytes counted) " + pastCallLimit()
        + "; connection reset without reading the body");
      return;
    }
    String location = resp.getHeader(HttpHeaders.LOCATION);
    if (Wire.isRedirect(status) && location != null && engine.options.getMaxRedirects() > 0) {
      if (redirects >= engine.options.getMaxRedirects()) {
        finishFailure(FetchErrorCode.TOO_MANY_REDIRECTS, "more than maxRedirects (" + engine.options.getMaxRedirects()
          + ") redirects; last hop " + LogValues.quote(target.url) + " -> " + LogValues.quote(location));
        return;
      }
      redirect(resp, status, location);
      return;
    }
    String length = method == HttpMethod.HEAD || status == 204 || status == 304 ? null : resp.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (length != null) {
      long declared = Wire.parseLength(length);
      if (declared > engine.options.getMaxBodyBytes()) {
        finishFailure(FetchErrorCode.BODY_TOO_LARGE, "content-length " + declared + " is more than maxBodyBytes ("
          + engine.options.getMaxBodyBytes() + "); connection reset without reading it");
        return;
      }
      if (declared > call.roomLeft()) {
        finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "content-length " + declared + " " + pastCallLimit()
          + "; connection reset without reading it");
        return;
      }
    }
    stage = BODY;
    resp.exceptionHandler(this::onBodyFailure);
    resp.handler(this::onChunk);
    resp.endHandler(v -> onEnd());
  }

  private void onChunk(Buffer chunk) {
    if (done) {
      return;
    }
    received += chunk.length();
    if (received > engine.options.getMaxBodyBytes() || received < 0) {
      finishFailure(FetchErrorCode.BODY_TOO_LARGE, "body is more than maxBodyBytes (" + engine.options.getMaxBodyBytes()
        + "); connection reset after " + (received - chunk.length()) + " bytes, the rest not read");
      return;
    }
    if (!charge(chunk.length())) {
      finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "body " + pastCallLimit() + "; connection reset after "
        + (received - chunk.length()) + " bytes, the rest not read");
      return;
    }
    if (body == null) {
      body = chunk;
    } else if (!accumulating) {
      Buffer b = Buffer.buffer(Math.max(1024, received * 2));
      b.appendBuffer(body).appendBuffer(chunk);
      body = b;
      accumulating = true;
    } else {
      body.appendBuffer(chunk);
    }
  }

  private void onBodyFailure(Throwable t) {
    if (done) {
      return;
    }
    if (t instanceof Internals.InvalidResponseException) {
      finishFailure(FetchErrorCode.INVALID_RESPONSE, "invalid response from " + target.origin.label + " after " + received
        + " body bytes: " + t.getMessage() + "; connection closed");
      return;
    }
    finishFailure(FetchErrorCode.CONNECTION_RESET, "connection to " + target.origin.label + " broke while reading the body after "
      + received + " bytes: " + Wire.describe(t));
  }

  private void onEnd() {
    responseEnded = true;
    if (done) {
      return;
    }
    HttpClientResponse resp = response;
    Buffer b = body;
    int status = resp.statusCode();
    String contentType = resp.getHeader(HttpHeaders.CONTENT_TYPE);
    BodyKind kind = BodyKind.NONE;
    Object json = null;
    Charset charset = null;
    FetchErrorCode error = null;
    String message = null;
    if (b != null && b.length() > 0) {
      kind = Bodies.kindOf(contentType);
      if (kind == null) {
        kind = Bodies.sniff(b.getBytes());
      }
      if (kind == BodyKind.JSON) {
        long tree = Bodies.jsonCost(b);
        if (!charge(tree)) {
          finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "its JSON body of " + b.length() + " bytes, parsed (~" + tree
            + " bytes), " + pastCallLimit() + "; not parsed");
          return;
        }
        try {
          json = b.toJsonValue();
        } catch (DecodeException e) {
          kind = BodyKind.TEXT;
          error = FetchErrorCode.INVALID_BODY;
          message = "content-type " + LogValues.quote(Bodies.mediaType(contentType)) + " but the body is not JSON: "
            + LogValues.safe(Wire.firstLine(e.getMessage()), 200);
        }
      } else if (kind == BodyKind.TEXT) {
        charset = Bodies.charsetOf(contentType);
      }
      // the body is held twice once the reply is built: as received, and as the reply's text (escaped UTF-8:
      // a one-byte charset's letters become two or three bytes, control characters six) or base64
      long inReply = Bodies.replyBytes(b, kind, charset);
      if (inReply > 0 && !charge(inReply)) {
        finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "its body of " + b.length() + " bytes, " + inReply
          + " bytes in the reply, " + pastCallLimit());
        return;
      }
    } else {
      b = null;
    }
    if (status < 200 || status > 299) {
      error = FetchErrorCode.HTTP_STATUS;
      message = "HTTP " + status + (resp.statusMessage() == null ? "" : " " + LogValues.safe(resp.statusMessage(), 60))
        + " from " + LogValues.safe(target.url, LogValues.MAX_CHARS);
    }
    finish(FetchResult.response(req.index, req.url, status, resp.headers(), b, kind, json, charset, error, message,
      elapsedMs(), ms(queueNanos), ms(connectNanos), redirects, redirects > 0 ? target.url : null));
  }

  private void redirect(HttpClientResponse resp, int status, String location) {
    Target next;
    try {
      next = target.redirect(location);
    } catch (IllegalArgumentException e) {
      finishFailure(FetchErrorCode.INVALID_URL, e.getMessage() + " (redirect " + (redirects + 1) + " from "
        + LogValues.quote(target.url) + ")");
      return;
    }
    HostRules.Verdict v = engine.rules.checkStatic(next.host, next.port, next.literal);
    if (!v.ok()) {
      finishFailure(FetchErrorCode.FORBIDDEN_HOST, "redirect " + (redirects + 1) + " from " + LogValues.quote(target.url)
        + " refused: " + v.refusal());
      return;
    }
    next.origin.verdict = v;
    redirects++;
    if (status == 303 || ((status == 301 || status == 302) && method == HttpMethod.POST)) {
      if (method != HttpMethod.HEAD) {
        method = HttpMethod.GET;
      }
      if (sendBody != null) {
        sendBody = null;
        headers = Wire.copyWithout(headers, "content-type");
      }
    }
    if (!next.sameOrigin(target)) {
      headers = Wire.copyWithout(headers, "authorization", "cookie", "proxy-authorization");
    }
    redirecting = true;
    int[] drained = {0};
    resp.exceptionHandler(t -> nextHop(next));
    resp.handler(chunk -> {
      drained[0] += chunk.length();
      if (drained[0] > REDIRECT_DRAIN_LIMIT && !responseEnded) {
        responseEnded = true;
        request.reset(); // a large redirect body is not worth reading
        nextHop(next);
      }
    });
    resp.endHandler(v2 -> {
      responseEnded = true;
      nextHop(next);
    });
  }

  private void nextHop(Target next) {
    if (done || !redirecting) {
      return;
    }
    redirecting = false;
    releaseRequest();
    releaseSlot();
    response = null;
    responseEnded = false;
    // the redirect's head is not kept, the new URL is (as finalUrl)
    refund();
    if (!charge(next.url.length())) {
      finishFailure(FetchErrorCode.PAYLOAD_TOO_LARGE, "redirect URL of " + next.url.length() + " characters " + pastCallLimit());
      return;
    }
    hop(next);
  }

  /** The request's own deadline or the call's passed while this was running. */
  private void timeout() {
    if (done) {
      return;
    }
    long own = req.timeoutMs > 0 ? req.timeoutMs : engine.options.getRequestTimeoutMs();
    finishFailure(FetchErrorCode.TIMEOUT, "timed out after " + own + " ms (" + (req.timeoutMs > 0 ? "requests[" + req.index + "].timeoutMs"
      : "requestTimeoutMs") + ") while " + STAGES[stage] + detail());
  }

  /** Ends this exchange from outside (loser, sibling failure, deadline, cancel). */
  void cancel(FetchErrorCode code, String why) {
    if (done) {
      return;
    }
    finishFailure(code, why + " (while " + STAGES[stage] + detail() + ")");
  }

  private String detail() {
    if (stage == BODY) {
      return ", " + received + " bytes received";
    }
    if (stage == QUEUE) {
      return " for " + target.origin.label;
    }
    return "";
  }

  private void finishFailure(FetchErrorCode code, String message) {
    refund(); // a failure keeps no response
    finish(FetchResult.failure(req.index, req.url, code, message, elapsedMs(), ms(queueNanos + pendingQueue()), ms(connectNanos)));
  }

  private long pendingQueue() {
    return queueStart != 0 && waiting ? System.nanoTime() - queueStart : 0;
  }

  private void finish(FetchResult result) {
    if (done) {
      return;
    }
    done = true;
    if (timerId >= 0) {
      if (engine.vertx.cancelTimer(timerId)) {
        engine.live.decrement(LiveResources.TIMERS);
      }
      timerId = -1;
    }
    releaseRequest();
    engine.limiter.quit(this);
    body = null;
    response = null;
    this.result = result;
    shard.active.decrementAndGet();
    call.itemDone(this);
  }

  private void releaseRequest() {
    HttpClientRequest r = request;
    if (r != null) {
      request = null;
      engine.live.decrement(LiveResources.HTTP_REQUESTS);
      if (!responseEnded) {
        r.reset(); // closes the connection of a request on the wire: the upstream sees it at once
      }
    }
  }

  private void releaseSlot() {
    if (holds) {
      engine.limiter.release(this);
    }
  }

  /** Charges {@code bytes} to the call's {@code maxCallBytes}; false (nothing charged) when they do not fit. */
  private boolean charge(long bytes) {
    if (!call.charge(bytes)) {
      return false;
    }
    charged += bytes;
    return true;
  }

  private void refund() {
    if (charged > 0) {
      call.refund(charged);
      charged = 0;
    }
  }

  private String pastCallLimit() {
    return "would take the call past maxCallBytes (" + engine.options.getMaxCallBytes() + "; " + call.kept()
      + " bytes kept by its results)";
  }

  private long remainingMs() {
    return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
  }

  private double elapsedMs() {
    return ms(System.nanoTime() - startNanos);
  }

  private static double ms(long nanos) {
    return nanos / 1_000_000.0;
  }
}
