package dev.loopkit.bus;

/**
 * Default event-bus addresses of loopkit's verticles. Each verticle's options have an {@code address}
 * key that overrides its default; these constants are the defaults and the documented contract.
 * Findings and state changes are <em>published</em>; work is <em>requested</em>.
 */
public final class Addresses {

  /** Blocking incidents are published here (JSON, one message per report). */
  public static final String BLOCKING = "loopkit.blocking";
  /** Request/reply: the blocking checker's summary (per-loop lag histogram, top culprits). */
  public static final String BLOCKING_REPORT = "loopkit.blocking.report";
  /** Request/reply: the concurrent fetch verticle. */
  public static final String FETCH = "loopkit.fetch";
  /**
   * Cancel notices are published here: {@code {"requestId": "..."}}. Any consumer that started work for
   * a message carrying header {@link Headers#REQUEST_ID} stops that work when it sees the notice.
   */
  public static final String CANCEL = "loopkit.cancel";
  /**
   * Prefix of the addresses a caller may name for a fetch's {@code progressAddress} (the fetch verticle's
   * {@code progressAddressPrefix} default): results published there cannot reach any address loopkit or
   * Vert.x serves.
   */
  public static final String PROGRESS_PREFIX = "loopkit.progress.";

  private Addresses() {
  }
}
