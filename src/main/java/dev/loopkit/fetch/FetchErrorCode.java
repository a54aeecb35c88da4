package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;

/**
 * Why one request of a call did not succeed: the {@code error.code} of a result with {@code ok: false}.
 * Codes are stable; new ones may be added.
 */
public enum FetchErrorCode {

  /** The response arrived but its status is not 2xx; the result still carries status, headers and body. */
  HTTP_STATUS,
  /** The request's own {@code timeoutMs} passed (queue + connect + headers + body). */
  TIMEOUT,
  /** The call's overall deadline (or the caller's budget) passed first. */
  DEADLINE_EXCEEDED,
  /** Cancelled: lost in mode any/race/quorum, a sibling failed in mode all, or the caller went away. */
  CANCELLED,
  /** No connection: refused, unreachable, TLS handshake or name resolution failed. */
  CONNECT_FAILED,
  /** The connection closed or broke before the response was complete. */
  CONNECTION_RESET,
  /** The body is larger than {@code maxBodyBytes}; the connection was reset rather than drained. */
  BODY_TOO_LARGE,
  /** A JSON content type whose body does not parse; the result carries the raw text. */
  INVALID_BODY,
  /** More than {@code maxRedirects} redirects. */
  TOO_MANY_REDIRECTS,
  /** The host (or a redirect's host, or the address it resolved to) is refused by the host policy. */
  FORBIDDEN_HOST,
  /** A redirect's {@code Location} is not a valid http(s) URL. */
  INVALID_URL,
  /** No slot and the wait queue is full ({@code maxQueue}): refused at once. */
  OVERLOADED,
  /**
   * Keeping this response would take the call past {@code maxCallBytes} (the response bytes one call may keep,
   * all its requests together): the connection was reset rather than drained; the other items keep their
   * results.
   */
  PAYLOAD_TOO_LARGE,
  /**
   * The upstream's response broke HTTP/1.1 or the engine's response limits: a malformed status line, header or
   * chunk, a status outside 100–599, a head over 8 KiB or with more than 100 header fields, an unsolicited
   * {@code 101}, or more than 20 interim (1xx) responses in a row. The connection was closed.
   */
  INVALID_RESPONSE;

  /** @return the whole-call failure code when this item decides a call (mode all, any, quorum) */
  public FailureCode callFailure() {
    switch (this) {
      case FORBIDDEN_HOST:
        return FailureCode.FORBIDDEN;
      case OVERLOADED:
        return FailureCode.UNAVAILABLE;
      case DEADLINE_EXCEEDED:
        return FailureCode.TIMEOUT;
      case CANCELLED:
        return FailureCode.CANCELLED;
      case PAYLOAD_TOO_LARGE:
        return FailureCode.PAYLOAD_TOO_LARGE;
      default:
        return FailureCode.BAD_GATEWAY;
    }
  }
}
