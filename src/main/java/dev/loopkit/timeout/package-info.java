/**
 * Deadlines that travel across event-bus hops, and the verticle that guards services with them.
 *
 * <ul>
 *   <li>{@link dev.loopkit.timeout.Budget}: the deadline library for any consumer — read the caller's
 *   remaining budget ({@code loopkit-timeout-ms}), shed work whose budget is spent (504 without doing
 *   it), serve in a {@link dev.loopkit.async.CancelScope} whose deadline only shortens, and derive the
 *   send timeout and budget header of downstream requests.</li>
 *   <li>{@link dev.loopkit.timeout.CancelNotices}: cooperative cancellation across the bus and the
 *   cluster — a cancel notice carrying a request id stops whoever works on it.</li>
 *   <li>{@link dev.loopkit.timeout.RouteGuard}: one guarded route as a Java API — deadline, retries with
 *   backoff and jitter inside the budget, hedging, a retry budget (token bucket), a circuit breaker
 *   (vertx-circuit-breaker), cancel notices for everything abandoned.</li>
 *   <li>{@link dev.loopkit.timeout.TimeoutVerticle}: routes configured in
 *   {@code conf/application.json} ({@link dev.loopkit.timeout.TimeoutOptions},
 *   {@link dev.loopkit.timeout.RouteOptions}), served on the event bus.</li>
 * </ul>
 * Machinery (the per-call state machine, backoff, token bucket, breaker glue) is in {@code impl}.
 */
package dev.loopkit.timeout;
