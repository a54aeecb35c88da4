package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.CancelledException;
import dev.loopkit.async.DeadlineExceededException;
import dev.loopkit.timeout.impl.RouteGuardImpl;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * One guarded route as a Java API — what the {@link TimeoutVerticle} runs for each configured route, and
 * what in-process callers can use directly: an event-bus request to {@link RouteOptions#getTarget()} inside
 * a deadline, with retries or hedging inside that deadline, a circuit breaker, and cooperative
 * cancellation of everything it gives up on.
 *
 * <p>The contract of {@link #call}, after CPython's {@code asyncio/timeouts.py}:
 * <ul>
 *   <li>The call runs in a child of the caller's scope whose deadline is the earlier of the caller's and
 *   {@code timeoutMs} from now (<b>nesting only shortens</b>). Every attempt carries the budget left in
 *   {@code loopkit-timeout-ms} (at most {@code retry.attemptTimeoutMs}) and a fresh, unguessable request
 *   id of its own ({@link dev.loopkit.bus.RequestIds#next()}, never derived from the caller's) in
 *   {@code loopkit-request-id}.</li>
 *   <li><b>Completes with the first successful reply</b>; the deadline timer is cancelled and nothing the
 *   call started is left behind (timers, reply consumers; {@link dev.loopkit.async.LiveResources}).</li>
 *   <li><b>At the deadline</b> it fails with {@link DeadlineExceededException} whose cause is the
 *   {@link CancelledException} delivered to the call (cause preserved); every attempt in flight is
 *   abandoned and its target told to stop with a cancel notice carrying the attempt's request id.</li>
 *   <li><b>A failure that is not the deadline passes through unchanged</b>: the target's
 *   {@link ReplyException} (any code), or the caller scope's own {@link CancelledException} when the
 *   caller goes away (attempts abandoned and notified as well).</li>
 *   <li>A budget already below {@code minAttemptMs} (or past) fails at once with a 504
 *   {@link ReplyException}, nothing sent; an open circuit fails at once with {@link CircuitOpenException}
 *   (503), nothing sent.</li>
 *   <li>Retries and hedge copies only start while the call is live, with at least {@code minAttemptMs}
 *   left, a retry-budget token and a closed circuit (level-triggered: once the call is over, nothing new
 *   starts). When no further attempt may start, the last failure is the answer, at once.</li>
 *   <li>The circuit breaker counts only what says something about the target: an attempt abandoned
 *   because the caller's (shorter) budget ran out, the caller went away or another copy won is neutral
 *   (one caller cannot open the circuit for every other).</li>
 *   <li>Replies of abandoned attempts are dropped; those arriving within {@code lateReplyWindowMs} are
 *   counted in {@link #stats()} ({@code lateReplies}, {@code lateFailures}).</li>
 * </ul>
 * Thread-safe; a call's state lives on the context it was started from (or a new one when called off
 * Vert.x threads).
 */
public interface RouteGuard {

  /** A guard for {@code options} (copied). */
  static RouteGuard create(Vertx vertx, RouteOptions options) {
    return new RouteGuardImpl(vertx, options);
  }

  /**
   * Sends {@code body} to the route's target under the caller's {@code scope}; see the class comment.
   *
   * @param options headers and codec to forward (copied; its {@code loopkit-request-id} and
   * {@code loopkit-timeout-ms} are not forwarded — each attempt carries its own; its send timeout is
   * ignored: the deadline rules)
   */
  <T> Future<Message<T>> call(CancelScope scope, Object body, DeliveryOptions options);

  /** {@link #call(CancelScope, Object, DeliveryOptions)} with no headers to forward. */
  default <T> Future<Message<T>> call(CancelScope scope, Object body) {
    return call(scope, body, new DeliveryOptions());
  }

  /** @return a copy of the route's options */
  RouteOptions options();

  /** @return the circuit breaker's state, or {@code null} when the route has none */
  CircuitBreakerState breakerState();

  /**
   * @return counters since creation: {@code calls, ok, failed, deadlineExceeded, shed, circuitOpen,
   * cancelled, attempts, retries, hedges, hedgeWins, extraLoad (= (retries + hedges) / calls), abandoned,
   * lateReplies, lateFailures, retryBudgetDenied, noBudgetForAttempt, inFlight, retryTokens,
   * deadlineLateMaxMs, breaker}
   */
  JsonObject stats();

  /**
   * Ends the guard: calls in flight fail with 503, abandoned attempts still awaited are released, the
   * breaker is closed and its meters removed. Idempotent.
   *
   * @return completes when every call in flight has been answered
   */
  Future<Void> close();
}
