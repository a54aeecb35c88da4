package dev.loopkit.timeout;

import dev.loopkit.async.CancelScope;
import dev.loopkit.async.Deadline;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.bus.Headers;
import dev.loopkit.bus.LogValues;
import dev.loopkit.bus.Replies;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The deadline library for consumers: read the caller's remaining budget from a message, shed work whose
 * budget is spent, serve the message in a {@link CancelScope} whose deadline is the smaller of the caller's
 * budget and the consumer's own, and derive the send timeout and budget header of downstream requests —
 * gRPC's {@code grpc-timeout}, on the event bus.
 *
 * <p>The contract:
 * <ul>
 *   <li>The budget travels in header {@link Headers#TIMEOUT_MS} as a <em>duration</em> in milliseconds
 *   (remaining time, never a timestamp, so clock skew between nodes does not matter). It counts from
 *   when the message is read; time spent queued before that is not charged.</li>
 *   <li>No header: no caller budget ({@link Deadline#NONE}); only the consumer's own limit applies.</li>
 *   <li>A budget of {@code 0} or less: the caller has already given up. {@link #serve} answers 504
 *   ({@link FailureCode#TIMEOUT}) at once and does no work (the work is <em>shed</em>).</li>
 *   <li>A header that is not an integer of ASCII digits ({@code "abc"}, {@code "1.5"}, {@code ""},
 *   Arabic-Indic {@code "٣٠٠"}, full-width {@code "３００"}, more than 18 digits): 400
 *   ({@link FailureCode#BAD_REQUEST}), naming the header and the value (cut and escaped,
 *   {@link LogValues}); parsed by {@link Headers#parseMillis}, as over HTTP.</li>
 *   <li>Budgets above {@link #MAX_BUDGET_MS} (one day) are read as one day (integers of more than 18
 *   digits, up to 4096, included; a negative one is a spent budget).</li>
 *   <li><b>Nesting only shortens</b>: the serving scope's deadline is the earlier of the caller's and the
 *   consumer's own; child scopes ({@link CancelScope#childWithTimeout}) can shorten it further, never
 *   extend it. Requests sent with {@link dev.loopkit.bus.BusRequest} under the scope, or with
 *   {@link #forward(CancelScope, DeliveryOptions)} options, carry what is left, so a budget shrinks hop by
 *   hop.</li>
 *   <li>The serving scope is cancelled by a cancel notice for the message's {@link Headers#REQUEST_ID}
 *   (see {@link CancelNotices}): when the caller gives up, the work stops.</li>
 * </ul>
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

  /** The largest budget honoured: one day; larger budgets are read as this. */
  public static final long MAX_BUDGET_MS = 86_400_000L;

  private static final Logger LOG = LoggerFactory.getLogger(Budget.class);
  private static final Map<Vertx, Boolean> WARNED = Collections.synchronizedMap(new WeakHashMap<>());

  private Budget() {
  }

  /**
   * @return the deadline carried by {@link Headers#TIMEOUT_MS} ({@link Deadline#NONE} when absent); a
   * budget of zero or less is an expired deadline
   * @throws ReplyException {@link FailureCode#BAD_REQUEST} when the header is not an integer
   */
  public static Deadline read(Message<?> message) {
    long ms = budgetMs(message);
    return ms == Long.MAX_VALUE ? Deadline.NONE : Deadline.in(ms);
  }

  /**
   * @return the budget carried by {@link Headers#TIMEOUT_MS} in milliseconds, as sent (zero or negative
   * when spent, at most {@link #MAX_BUDGET_MS}); {@link Long#MAX_VALUE} when the header is absent
   * @throws ReplyException {@link FailureCode#BAD_REQUEST} when the header is not an integer
   */
  public static long budgetMs(Message<?> message) {
    String raw = message.headers().get(Headers.TIMEOUT_MS);
    if (raw == null) {
      return Long.MAX_VALUE;
    }
    long ms;
    try {
      ms = Headers.parseMillis(raw);
    } catch (NumberFormatException e) {
      int longDigits = longAsciiInteger(raw);
      if (longDigits != 0) {
        // more than 18 ASCII digits: beyond any budget (one day is the most honoured), or long spent
        return longDigits > 0 ? MAX_BUDGET_MS : -1;
      }
      throw FailureCode.BAD_REQUEST.exception("header " + Headers.TIMEOUT_MS
        + " must be an integer number of milliseconds in ASCII digits (the caller's remaining budget), got "
        + LogValues.quote(raw));
    }
    return Math.min(ms, MAX_BUDGET_MS);
  }

  /**
   * @return +1 when {@code raw} is an integer of more than 18 ASCII digits (surrounding spaces or tabs, an
   * optional sign), -1 when it is such a negative integer, 0 otherwise
   */
  private static int longAsciiInteger(String raw) {
    int start = 0;
    int end = raw.length();
    while (start < end && (raw.charAt(start) == ' ' || raw.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (raw.charAt(end - 1) == ' ' || raw.charAt(end - 1) == '\t')) {
      end--;
    }
    boolean negative = start < end && raw.charAt(start) == '-';
    if (start < end && (negative || raw.charAt(start) == '+')) {
      start++;
    }
    if (end - start <= 18 || end - start > 4_096) {
      return 0;
    }
    for (int i = start; i < end; i++) {
      if (raw.charAt(i) < '0' || raw.charAt(i) > '9') {
        return 0;
      }
    }
    return negative ? -1 : 1;
  }

  /**
   * {@link #serve(Vertx, Message, long, long)} without a minimum: any budget above zero is served.
   */
  public static CancelScope serve(Vertx vertx, Message<?> message, long ownTimeoutMs) {
    return serve(vertx, message, ownTimeoutMs, 0);
  }

  /**
   * Opens the scope in which to serve {@code message}, or answers it and returns {@code null}: 400 when
   * the budget header is malformed, 504 when the budget is spent (zero or less) or below
   * {@code minBudgetMs} — the work is shed, nothing is done.
   *
   * @param ownTimeoutMs the consumer's own limit; {@code Long.MAX_VALUE} for none
   * @param minBudgetMs the least budget worth starting the work with (0: any budget above zero)
   * @return a scope to {@link CancelScope#close() close} when the reply is sent, or {@code null}
   */
  public static CancelScope serve(Vertx vertx, Message<?> message, long ownTimeoutMs, long minBudgetMs) {
    return serve(vertx, message, ownTimeoutMs, minBudgetMs, false);
  }

  /**
   * {@link #serve(Vertx, Message, long, long)}; with {@code coarse}, the scope's deadline is on the loop's
   * deadline wheel ({@link CancelScope#withCoarseDeadline}): the timeout verticle's per-request deadlines.
   */
  static CancelScope serve(Vertx vertx, Message<?> message, long ownTimeoutMs, long minBudgetMs, boolean coarse) {
    long budget;
    try {
      budget = budgetMs(message);
    } catch (ReplyException e) {
      Replies.fail(message, FailureCode.BAD_REQUEST, e.getMessage());
      return null;
    }
    if (budget <= 0) {
      Replies.fail(message, FailureCode.TIMEOUT, "header " + Headers.TIMEOUT_MS + " is " + budget
        + ": the caller's budget is spent; '" + message.address() + "' shed the request without doing any work");
      return null;
    }
    if (budget != Long.MAX_VALUE && budget < minBudgetMs) {
      Replies.fail(message, FailureCode.TIMEOUT, "header " + Headers.TIMEOUT_MS + " is " + budget
        + " ms, below the " + minBudgetMs + " ms '" + message.address()
        + "' needs: shed without doing any work");
      return null;
    }
    String requestId = message.headers().get(Headers.REQUEST_ID);
    if (requestId != null && !CancelNotices.isListening(vertx) && WARNED.putIfAbsent(vertx, Boolean.TRUE) == null) {
      // before the budget starts to count: the first log line of a cold JVM can take ~100 ms (logging starts)
      LOG.warn("Budget.serve on '{}' without CancelNotices.listen(vertx): the cancel-notice consumer is "
        + "registered and unregistered per request (clustered, a cluster-wide operation each time) — call "
        + "CancelNotices.listen(vertx) in the verticle's start and remove it in stop", message.address());
    }
    Deadline deadline = budget == Long.MAX_VALUE ? Deadline.NONE : Deadline.in(budget);
    if (ownTimeoutMs != Long.MAX_VALUE) {
      deadline = deadline.shorten(Math.min(ownTimeoutMs, MAX_BUDGET_MS));
    }
    CancelScope scope = coarse ? CancelScope.withCoarseDeadline(vertx, deadline) : CancelScope.withDeadline(vertx, deadline);
    if (requestId != null) {
      CancelNotices.watch(vertx, requestId, scope);
    }
    return scope;
  }

  /**
   * @return the send timeout for a downstream request made under {@code scope}: the smaller of
   * {@code ownMs} and what is left of the scope's budget, at least 1 ms
   */
  public static long sendTimeoutMs(CancelScope scope, long ownMs) {
    return Math.max(1, Math.min(ownMs, scope.remainingMs()));
  }

  /**
   * @return the value of {@link Headers#TIMEOUT_MS} for a downstream request made now under
   * {@code scope}, or {@code null} when the scope has no deadline
   */
  public static String header(CancelScope scope) {
    return scope.deadline().isNone() ? null : Long.toString(scope.remainingMs());
  }

  /**
   * For plain {@code eventBus().request(...)} calls made under {@code scope}: a copy of {@code options}
   * whose send timeout is at most the budget left and whose {@link Headers#TIMEOUT_MS} header (replacing
   * any) carries it. Prefer {@link dev.loopkit.bus.BusRequest}, which also releases the reply consumer
   * and notifies the callee when the scope is cancelled.
   */
  public static DeliveryOptions forward(CancelScope scope, DeliveryOptions options) {
    DeliveryOptions out = new DeliveryOptions(options);
    if (!scope.deadline().isNone()) {
      out.setSendTimeout(sendTimeoutMs(scope, options.getSendTimeout()));
      if (out.getHeaders() != null) {
        out.getHeaders().remove(Headers.TIMEOUT_MS);
      }
      out.addHeader(Headers.TIMEOUT_MS, Long.toString(scope.remainingMs()));
    }
    return out;
  }
}
