package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Deadline;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.Replies;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;

/**
 * The deadline library for consumers: read the caller's remaining budget from a message, shed work whose
 * budget is spent, and serve the message in a {@link CancelScope} whose deadline is the smaller of the
 * caller's budget and the consumer's own, and which a cancel notice for the message's request id cancels.
 *
 * <p>Downstream calls made with {@link dev.loopkit.bus.BusRequest} under that scope carry the remaining
 * budget on ({@link Headers#TIMEOUT_MS}), so a budget shrinks hop by hop and a hop whose budget is gone is
 * shed without doing any work — gRPC's {@code grpc-timeout}, on the event bus.
 *
 * <pre>{@code
 * vertx.eventBus().consumer("prices.get", msg -> {
 *   CancelScope scope = Budget.serve(vertx, msg, 2_000);   // null: already answered 400 or 504
 *   if (scope == null) return;
 *   BusRequest.request(scope, "rates.get", msg.body())
 *     .onComplete(ar -> { scope.close(); if (ar.succeeded()) msg.reply(ar.result().body()); else Replies.fail(msg, ar.cause()); });
 * });
 * }</pre>
 */
public final class Budget {

  private Budget() {
  }

  /**
   * @return the deadline carried by {@link Headers#TIMEOUT_MS} ({@link Deadline#NONE} when absent); a
   * budget of zero or less is an expired deadline
   * @throws ReplyException {@link FailureCode#BAD_REQUEST} when the header is not an integer
   */
  public static Deadline read(Message<?> message) {
    String raw = message.headers().get(Headers.TIMEOUT_MS);
    if (raw == null) {
      return Deadline.NONE;
    }
    long ms;
    try {
      ms = Long.parseLong(raw.trim());
    } catch (NumberFormatException e) {
      throw FailureCode.BAD_REQUEST.exception("header " + Headers.TIMEOUT_MS + " must be an integer number of milliseconds, got \"" + raw + "\"");
    }
    return Deadline.in(ms);
  }

  /**
   * Opens the scope in which to serve {@code message}, or answers it and returns {@code null}: 400 when
   * the budget header is malformed, 504 when the budget is already spent (the work is shed).
   *
   * @param ownTimeoutMs the consumer's own limit; {@code Long.MAX_VALUE} for none
   * @return a scope to {@link CancelScope#close() close} when the reply is sent, or {@code null}
   */
  public static CancelScope serve(Vertx vertx, Message<?> message, long ownTimeoutMs) {
    Deadline deadline;
    try {
      deadline = read(message);
    } catch (ReplyException e) {
      Replies.fail(message, FailureCode.BAD_REQUEST, e.getMessage());
      return null;
    }
    if (deadline.expired()) {
      Replies.fail(message, FailureCode.TIMEOUT, "budget spent before '" + message.address() + "' started: shed without work");
      return null;
    }
    if (ownTimeoutMs != Long.MAX_VALUE) {
      deadline = deadline.shorten(ownTimeoutMs);
    }
    CancelScope scope = CancelScope.withDeadline(vertx, deadline);
    String requestId = message.headers().get(Headers.REQUEST_ID);
    if (requestId != null) {
      CancelNotices.watch(vertx, requestId, scope);
    }
    return scope;
  }
}
