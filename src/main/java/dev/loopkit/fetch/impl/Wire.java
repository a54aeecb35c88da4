package dev.loopkit.fetch.impl;

import dev.loopkit.bus.LogValues;
import dev.loopkit.fetch.FetchErrorCode;
import dev.loopkit.fetch.FetchOptions;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;

import java.util.Map;
import java.util.concurrent.TimeoutException;

/** Small stateless helpers of {@link Exchange}: response costs, redirect statuses, header copies, failure text. */
final class Wire {

  private Wire() {
  }

  /** What a response head costs against maxCallBytes: names and values, plus {@link FetchOptions#HEADER_COST} per field. */
  static long headBytes(HttpClientResponse resp) {
    long n = resp.statusMessage() == null ? 0 : resp.statusMessage().length();
    for (Map.Entry<String, String> h : resp.headers()) {
      n += h.getKey().length() + h.getValue().length() + FetchOptions.HEADER_COST;
    }
    return n;
  }

  static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  static long parseLength(String s) {
    try {
      return Long.parseLong(s.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  static MultiMap copyWithout(MultiMap headers, String... names) {
    if (headers == null) {
      return null;
    }
    MultiMap copy = HttpHeaders.headers().addAll(headers);
    for (String n : names) {
      copy.remove(n);
    }
    return copy;
  }

  static FetchErrorCode connectFailure(Throwable t) {
    if (t instanceof TimeoutException) {
      return FetchErrorCode.TIMEOUT;
    }
    return FetchErrorCode.CONNECT_FAILED;
  }


  static String describe(Throwable t) {
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + LogValues.safe(firstLine(m), 200));
  }

  static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }
}
