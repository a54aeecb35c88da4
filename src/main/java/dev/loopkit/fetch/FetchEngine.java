package dev.loopkit.fetch;

import dev.loopkit.async.CancelScope;
import dev.loopkit.fetch.impl.FetchEngineImpl;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;

/**
 * The concurrent fetch engine, usable from Java without the event bus ({@link FetchVerticle} is a thin
 * event-bus front for it): asyncio's {@code gather} over aiohttp requests, with the holes closed.
 *
 * <pre>{@code
 * FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setAllowedHosts(List.of("api.example.com")));
 * engine.fetch(FetchRequest.of(urls).mode(FetchMode.ALL).timeoutMs(2_000), scope)
 *   .onSuccess(reply -> reply.results().forEach(r -> System.out.println(r.json())));
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>One outcome per call.</b> The future succeeds with a {@link FetchReply} (every request has a
 *   result, in input order) or fails with a {@link io.vertx.core.eventbus.ReplyException} whose
 *   {@code failureCode()} is a {@link dev.loopkit.bus.FailureCode}: 400 malformed (the message names the
 *   field), 403 forbidden host, 502 the deciding failure in mode all/any/quorum (the message names the
 *   index and code), 503 overloaded ({@code maxCalls}, a full queue, or an OVERLOADED request deciding
 *   the call), 499 the scope was cancelled — except the overall deadline in modes all/any/race/quorum,
 *   which fails with loopkit's one timeout type, a {@link dev.loopkit.async.DeadlineExceededException}
 *   ({@code FailureCode.of} maps it to 504, as the fetch verticle answers on the bus).</li>
 *   <li><b>Deadlines.</b> The overall deadline is the earliest of the request's {@code timeoutMs}
 *   (default {@link FetchOptions#getTimeoutMs()}) and the scope's deadline. Each request is bounded by
 *   the earlier of its own {@code timeoutMs} and the overall deadline, measured over the whole request
 *   (queue + connect + headers + body) — not an idle gap. Mode settled replies at the deadline with
 *   what finished and DEADLINE_EXCEEDED for the rest.</li>
 *   <li><b>Cancellation reaches the socket.</b> Losers, siblings of a failure in mode all, requests past
 *   a deadline and requests of a cancelled scope are reset: a request on the wire has its connection
 *   closed at once (never drained); a request still waiting for a slot or a connection leaves the
 *   queue. Timers are cancelled. Nothing outlives the call.</li>
 *   <li><b>Limits.</b> {@code maxInFlight} over the engine, {@code maxPerHost} per scheme://host:port
 *   (the pool size), the call's {@code concurrency}, a bounded wait queue (OVERLOADED beyond it, at
 *   once), {@code maxBodyBytes}, {@code maxRedirects}.</li>
 *   <li><b>Host policy</b> ({@link FetchOptions#setAllowedHosts}): checked on the URL, on the resolved
 *   address (the connection goes to exactly the checked address) and on every redirect hop.</li>
 *   <li><b>Threading.</b> The engine lives on the event loop of the context it was created on (a new one
 *   when created off Vert.x threads); calls from other threads hop there, and futures complete there.
 *   Progress handlers run there too: keep them short.</li>
 * </ul>
 */
public interface FetchEngine {

  /**
   * @param options copied and validated
   * @throws dev.loopkit.config.ConfigException when the options are invalid
   */
  static FetchEngine create(Vertx vertx, FetchOptions options) {
    return new FetchEngineImpl(vertx, options);
  }

  /** Runs a call with no cancel scope of the caller's (only its own deadline bounds it). */
  default Future<FetchReply> fetch(FetchRequest request) {
    return fetch(request, null, null);
  }

  /** Runs a call under {@code scope}: cancelling it cancels the call; its deadline bounds the call. */
  default Future<FetchReply> fetch(FetchRequest request, CancelScope scope) {
    return fetch(request, scope, null);
  }

  /**
   * Runs a call.
   *
   * @param scope may be {@code null}
   * @param onResult called with each result as it completes (asyncio's {@code as_completed}), before the
   *   returned future completes; may be {@code null}. Every request gets exactly one call, including
   *   those cancelled when the outcome is decided.
   */
  Future<FetchReply> fetch(FetchRequest request, CancelScope scope, Handler<FetchResult> onResult);

  /** @return a copy of the options in force */
  FetchOptions options();

  /**
   * @return live counts: {@code calls}, {@code inFlight}, {@code queued}, {@code connections} (open,
   * pooled or in use), {@code hosts} (hosts with requests in flight or queued), {@code shards} and
   * {@code shardRequests} (per shard, requests placed on it and not finished), {@code perHost}
   */
  JsonObject stats();

  /** Cancels the calls in progress (499), refuses new ones (503) and closes the connection pool. */
  Future<Void> close();
}
