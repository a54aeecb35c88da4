package dev.loopkit.hostile;

import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP responses in what a {@link RawClient} received, parsed just enough for assertions: status,
 * headers (lower-case names), body (by {@code content-length}, or chunked, or to the end). Interim
 * {@code 1xx} responses are kept as responses of their own.
 */
public final class HttpText {

  /** One response. */
  public record Response(int status, Map<String, String> headers, String body) {

    /** @return the header's value, or null */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** @return the body decoded as UTF-8 (the raw text is octets, ISO-8859-1) */
    public String utf8() {
      return new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** @return the body as a JSON object */
    public JsonObject json() {
      return new JsonObject(utf8());
    }
  }

  private HttpText() {
  }

  /** @return the responses in {@code text}, in order (a cut-off last response is kept as far as it goes) */
  public static List<Response> parse(String text, boolean headRequest) {
    List<Response> out = new ArrayList<>();
    int pos = 0;
    while (pos < text.length() && text.startsWith("HTTP/", pos)) {
      int headEnd = text.indexOf("\r\n\r\n", pos);
      if (headEnd < 0) {
        break;
      }
      String[] lines = text.substring(pos, headEnd).split("\r\n");
      int status = Integer.parseInt(lines[0].substring(9, 12));
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int bodyStart = headEnd + 4;
      String body;
      int next;
      String length = headers.get("content-length");
      if (status < 200 || headRequest || status == 204 || status == 304) {
        body = "";
        next = bodyStart;
      } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
        StringBuilder sb = new StringBuilder();
        int p = bodyStart;
        while (true) {
          int eol = text.indexOf("\r\n", p);
          if (eol < 0) {
            p = text.length();
            break;
          }
          int size = Integer.parseInt(text.substring(p, eol).trim(), 16);
          p = eol + 2;
          if (size == 0) {
            p = Math.min(text.length(), p + 2);
            break;
          }
          sb.append(text, p, Math.min(text.length(), p + size));
          p = Math.min(text.length(), p + size + 2);
        }
        body = sb.toString();
        next = p;
      } else if (length != null) {
        int end = Math.min(text.length(), bodyStart + Integer.parseInt(length));
        body = text.substring(bodyStart, end);
        next = end;
      } else {
        body = text.substring(bodyStart);
        next = text.length();
      }
      out.add(new Response(status, headers, body));
      pos = next;
    }
    return out;
  }

  /** @return the final (non-1xx) responses of {@code exchange} */
  public static List<Response> finals(RawClient.Exchange exchange, boolean headRequest) {
    List<Response> all = parse(exchange.text(), headRequest);
    all.removeIf(r -> r.status() < 200);
    return all;
  }
}
