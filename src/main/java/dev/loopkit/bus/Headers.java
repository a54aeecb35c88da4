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

  /**
   * Parses a header carrying a number of milliseconds, strictly: optional surrounding ASCII spaces/tabs,
   * an optional {@code -} or {@code +}, then 1–18 ASCII digits {@code 0-9} (never Arabic-Indic, full-width
   * or other Unicode digits, which {@link Long#parseLong} would accept).
   *
   * @return the value
   * @throws NumberFormatException when {@code raw} is not such a number (the caller names the header)
   */
  public static long parseMillis(String raw) {
    if (raw == null) {
      throw new NumberFormatException("null");
    }
    int start = 0;
    int end = raw.length();
    while (start < end && (raw.charAt(start) == ' ' || raw.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (raw.charAt(end - 1) == ' ' || raw.charAt(end - 1) == '\t')) {
      end--;
    }
    boolean negative = false;
    if (start < end && (raw.charAt(start) == '-' || raw.charAt(start) == '+')) {
      negative = raw.charAt(start) == '-';
      start++;
    }
    int digits = end - start;
    if (digits < 1 || digits > 18) {
      throw new NumberFormatException("not 1 to 18 ASCII digits");
    }
    long value = 0;
    for (int i = start; i < end; i++) {
      char c = raw.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException("not an ASCII digit at " + i);
      }
      value = value * 10 + (c - '0');
    }
    return negative ? -value : value;
  }
}
