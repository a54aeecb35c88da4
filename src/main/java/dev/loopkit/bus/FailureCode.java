package dev.loopkit.bus;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * Stable failure codes of loopkit's event-bus replies, HTTP-like so that the HTTP front maps them one to
 * one. A failed reply is a {@link ReplyException} with {@link ReplyFailure#RECIPIENT_FAILURE}, one of these
 * codes as {@link ReplyException#failureCode()} and a message naming the field or the cause.
 *
 * <p>Codes never change meaning; new codes may be added. {@link #fromCode(int)} maps back, in the style of
 * {@link ReplyFailure#fromInt(int)}.
 */
public enum FailureCode {

  /** The request is malformed: the message names the field. */
  BAD_REQUEST(400),
  /** The request is refused by policy (for example a host outside the allowlist). */
  FORBIDDEN(403),
  /** No such route or resource. */
  NOT_FOUND(404),
  /** The request or a response is larger than allowed. */
  PAYLOAD_TOO_LARGE(413),
  /** The work was cancelled by its caller (nginx's "client closed request"). */
  CANCELLED(499),
  /** A bug or an unexpected exception in loopkit: the message names it. */
  INTERNAL(500),
  /** A downstream call failed (for fetch mode {@code all}: the first failing item). */
  BAD_GATEWAY(502),
  /** Overloaded or circuit open: retry later. */
  UNAVAILABLE(503),
  /** The deadline passed before a result was available. */
  TIMEOUT(504);

  private final int code;

  FailureCode(int code) {
    this.code = code;
  }

  /** @return the int carried by {@link ReplyException#failureCode()} and used as HTTP status */
  public int code() {
    return code;
  }

  /** @return a {@link ReplyException} with this code and message, without a stack trace */
  public ReplyException exception(String message) {
    return new ReplyException(ReplyFailure.RECIPIENT_FAILURE, code, message, false);
  }

  /**
   * @param code a failure code, as carried by a {@link ReplyException}
   * @return the matching constant
   * @throws IllegalArgumentException when no constant has that code
   */
  public static FailureCode fromCode(int code) {
    for (FailureCode c : values()) {
      if (c.code == code) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown failure code " + code);
  }

  /**
   * Classifies any failure seen by an event-bus caller: loopkit's own codes map back to their constant;
   * a bus {@code TIMEOUT}, a {@link java.util.concurrent.TimeoutException} or a scope cancelled by its
   * deadline map to {@link #TIMEOUT}; {@code NO_HANDLERS} to {@link #UNAVAILABLE}; any other cancellation
   * to {@link #CANCELLED}; anything else to {@link #INTERNAL}.
   */
  public static FailureCode of(Throwable failure) {
    if (failure instanceof ReplyException) {
      ReplyException re = (ReplyException) failure;
      switch (re.failureType()) {
        case TIMEOUT:
          return TIMEOUT;
        case NO_HANDLERS:
          return UNAVAILABLE;
        default:
          for (FailureCode c : values()) {
            if (c.code == re.failureCode()) {
              return c;
            }
          }
          return INTERNAL;
      }
    }
    if (failure instanceof java.util.concurrent.TimeoutException
      || failure instanceof dev.loopkit.async.CancelledException && ((dev.loopkit.async.CancelledException) failure).deadline()) {
      return TIMEOUT;
    }
    if (failure instanceof java.util.concurrent.CancellationException) {
      return CANCELLED;
    }
    return INTERNAL;
  }
}
