package dev.loopkit.bus;

/**
 * Caller-chosen values in log lines and error messages, made safe: at most {@link #MAX_CHARS} characters
 * (longer values are cut, with the original length noted), and control characters — NUL, CR, LF, TAB,
 * ESC and the other C0/C1 controls, plus the Unicode line and paragraph separators — escaped as
 * {@code \n}, {@code \r}, {@code \t} or a backslash-u escape, so that one value is always one line and nothing a
 * caller sends can forge a log line or fill the log.
 */
public final class LogValues {

  /** The most characters of a caller's value shown (before escaping). */
  public static final int MAX_CHARS = 120;

  private LogValues() {
  }

  /** @return {@code value} cut to {@link #MAX_CHARS} and escaped, in double quotes; {@code null} as null */
  public static String quote(Object value) {
    if (value == null) {
      return "null";
    }
    return "\"" + safe(String.valueOf(value), MAX_CHARS) + "\"";
  }

  /** @return {@code value} cut to {@code max} characters and escaped (no quotes) */
  public static String safe(String value, int max) {
    if (value == null) {
      return "null";
    }
    int n = Math.min(value.length(), Math.max(0, max));
    StringBuilder sb = new StringBuilder(n + 16);
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        default:
          if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
      }
    }
    if (value.length() > n) {
      sb.append("…(").append(value.length()).append(" chars)");
    }
    return sb.toString();
  }
}
