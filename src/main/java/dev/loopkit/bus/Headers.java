package dev.loopkit.bus;

/**
 * Message (and HTTP) headers loopkit reads and writes. Header names are lowercase, as HTTP/2 wants them.
 */
public final class Headers {

  /**
   * The caller's remaining time budget in milliseconds, a <em>duration</em> (not a timestamp, so clock
   * skew between nodes does not matter). Set on every message loopkit forwards; loopkit's consumers
   * take the smaller of it and their own deadline. {@code 0} or less: answered 504 without doing any
   * work; not a number: answered 400.
   */
  public static final String TIMEOUT_MS = "loopkit-timeout-ms";

  /**
   * Identifies one piece of work across hops so that a cancel notice published on
   * {@link Addresses#CANCEL} can reach whoever is doing it.
   */
  public static final String REQUEST_ID = "loopkit-request-id";

  private Headers() {
  }
}
