package dev.loopkit.timeout;

import dev.loopkit.bus.FailureCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * What a {@link RouteGuard} call fails with when the route's circuit breaker is open (or half-open and
 * already probing): nothing was sent to the target. A {@link ReplyException} with
 * {@link FailureCode#UNAVAILABLE} (503), so that it reads like any other loopkit failure; no stack trace.
 */
public final class CircuitOpenException extends ReplyException {

  private static final long serialVersionUID = 1L;

  public CircuitOpenException(String message) {
    super(ReplyFailure.RECIPIENT_FAILURE, FailureCode.UNAVAILABLE.code(), message, false);
  }
}
