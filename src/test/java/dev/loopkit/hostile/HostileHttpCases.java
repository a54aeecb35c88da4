package dev.loopkit.hostile;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static dev.loopkit.hostile.HostileHttpFrontTest.BODY;
import static dev.loopkit.hostile.HostileHttpFrontTest.HEAD;
import static dev.loopkit.hostile.HostileHttpFrontTest.IDLE;
import static dev.loopkit.hostile.HostileHttpFrontTest.MAX_BODY;
import static org.assertj.core.api.Assertions.assertThat;

/** The hostile inputs of {@link HostileHttpFrontTest}. */
final class HostileHttpCases {

  /** Slack on every deadline for a loaded 2-core machine (the sweep runs every IDLE/10 ms). */
  private static final long SLACK = 1_500;
  /** An answer, then the connection closed when idle. */
  private static final long KEPT = IDLE + SLACK;
  /** An answer, then an immediate close. */
  private static final long AT_ONCE = SLACK;

  private final List<HostileCase> all = new ArrayList<>();

  private HostileHttpCases() {
  }

  static List<HostileCase> all(String upstream) {
    HostileHttpCases c = new HostileHttpCases();
    c.framing();
    c.heads();
    c.slow();
    c.methodsAndPaths();
    c.bodies();
    c.addresses();
    c.budgets();
    c.misc();
    return c.all;
  }

  // --- builders -------------------------------------------------------------------------------------------

  private void refused(String name, String request, int status, String error, String message) {
    all.add(new HostileCase(name, request, List.of(status), error, message, true, AT_ONCE, -1, false, r -> { }));
  }

  private void answered(String name, String request, int status, String error, String message) {
    all.add(new HostileCase(name, request, List.of(status), error, message, false, KEPT, -1, false, r -> { }));
  }

  private void answered(String name, String request, int status, String error, String message, Consumer<List<HttpText.Response>> extra) {
    all.add(new HostileCase(name, request, List.of(status), error, message, false, KEPT, -1, false, extra));
  }

  private void closedUnanswered(String name, String request, long deadline, int trickleFrom) {
    all.add(new HostileCase(name, request, List.of(), null, null, false, deadline, trickleFrom, false, r -> { }));
  }

  /** A POST /fetch; a body naming {@code {upstream}} gets {@code Content-Length: {length}}, filled in by the test. */
  private static String post(String headers, String body) {
    String length = body.contains("{upstream}") ? "{length}" : Integer.toString(utf8(body).length());
    return "POST /fetch HTTP/1.1\r\nHost: a\r\n" + headers + "Content-Length: " + length + "\r\n\r\n" + utf8(body);
  }

  /** A POST /fetch whose body is given as octets (one char per byte), sent as they are. */
  private static String postRaw(String headers, String octets) {
    return "POST /fetch HTTP/1.1\r\nHost: a\r\n" + headers + "Content-Length: " + octets.length() + "\r\n\r\n" + octets;
  }

  /** @return {@code s} as the ISO-8859-1 string of its UTF-8 bytes (what goes on the wire) */
  private static String utf8(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static String get(String path, String headers) {
    return "GET " + path + " HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n";
  }

  // --- the inputs -----------------------------------------------------------------------------------------

  private void framing() {
    String chunkedBody = "2\r\n{}\r\n0\r\n\r\n";
    refused("Content-Length then Transfer-Encoding: chunked",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "both Content-Length and Transfer-Encoding");
    refused("Transfer-Encoding: chunked then Content-Length",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "both Content-Length and Transfer-Encoding");
    refused("Transfer-Encoding: gzip with Content-Length",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "both Content-Length and Transfer-Encoding");
    refused("Transfer-Encoding: gzip, chunked",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "only \"chunked\" is accepted");
    refused("Transfer-Encoding given twice",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "only \"chunked\" is accepted");
    refused("Transfer-Encoding in HTTP/1.0",
      "POST /fetch HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedBody,
      400, "BAD_REQUEST", "Transfer-Encoding in an HTTP/1.0 request");
    refused("two different Content-Lengths", post("Content-Length: 3\r\n", "{}"), 400, "BAD_REQUEST", "malformed HTTP request");
    refused("two equal Content-Lengths", post("Content-Length: 2\r\n", "{}"), 400, "BAD_REQUEST", "malformed HTTP request");
    refused("negative Content-Length", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n{}",
      400, "BAD_REQUEST", "malformed HTTP request");
    refused("Content-Length not a number", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: ten\r\n\r\n{}",
      400, "BAD_REQUEST", "malformed HTTP request");
    refused("Content-Length with a plus sign", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: +2\r\n\r\n{}",
      400, "BAD_REQUEST", "");
    refused("Content-Length over maxBodyBytes", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 104857600\r\n\r\n{\"urls\":",
      413, "PAYLOAD_TOO_LARGE", "http.maxBodyBytes");
    String chunk = Integer.toHexString(40_000) + "\r\n" + "a".repeat(40_000) + "\r\n";
    refused("chunked body growing past maxBodyBytes",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk,
      413, "PAYLOAD_TOO_LARGE", "http.maxBodyBytes");
    all.add(new HostileCase("Expect: 100-continue with a Content-Length over the limit",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: " + (MAX_BODY + 1) + "\r\n\r\n",
      List.of(413), "PAYLOAD_TOO_LARGE", "http.maxBodyBytes", true, AT_ONCE, -1, false, r -> { }));
    refused("Expect: other than 100-continue", "POST /fetch HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 2\r\n\r\n{}",
      417, "EXPECTATION_FAILED", "only 100-continue");
    all.add(new HostileCase("a chunk size that is not hex",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      List.of(), null, null, false, AT_ONCE, -1, false, r -> { }));
    all.add(new HostileCase("a body shorter than its Content-Length, then silence",
      "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n{\"urls\":", List.of(408), "REQUEST_TIMEOUT",
      "http.requestBodyTimeoutMs", true, BODY + SLACK, -1, false, r -> { }));
  }

  private void heads() {
    refused("header section over 8 KiB (431)", get("/health", "X-Big: " + "x".repeat(10_000) + "\r\n"),
      431, "HEADER_FIELDS_TOO_LARGE", "larger than 8192 bytes");
    refused("request line over 4 KiB (414)", get("/" + "a".repeat(5_000), ""), 414, "URI_TOO_LONG", "longer than 4096 bytes");
    refused("a header name with a space", get("/health", "Bad Header: x\r\n"), 400, "BAD_REQUEST", "malformed HTTP request");
    refused("a header line without a colon", get("/health", "NoColonHere\r\n"), 400, "BAD_REQUEST", "malformed HTTP request");
    refused("a NUL byte in a header value", get("/health", "X-Nul: a\u0000b\r\n"), 400, "BAD_REQUEST", "malformed HTTP request");
    refused("HTTP/0.9 request line", "GET /health\r\n", 400, "BAD_REQUEST", "malformed HTTP request");
    refused("garbage bytes", "\u0001\u0002\u0003\u00ff garbage \u0000\r\n\r\n", 400, "BAD_REQUEST", "malformed HTTP request");
    refused("a TLS ClientHello on the plain port", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003\r\n\r\n",
      400, "BAD_REQUEST", "malformed HTTP request");
    // Vert.x answers an HTTP version other than 1.0 and 1.1 itself (501, empty) and closes, before any handler
    all.add(new HostileCase("the HTTP/2 prior-knowledge preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", List.of(501), null, null,
      false, AT_ONCE, -1, false, r -> { }));
    all.add(new HostileCase("an unknown HTTP version", "GET /health HTTP/1.2\r\nHost: a\r\n\r\n", List.of(501), null, null,
      false, AT_ONCE, -1, false, r -> { }));
    answered("100 small headers (within 8 KiB)", get("/health", "X-H: v\r\n".repeat(100)), 200, null, null);
    answered("an obsolete folded header line", get("/health", "X-Fold: a\r\n  b\r\n"), 200, null, null);
  }

  private void slow() {
    closedUnanswered("nothing sent at all (idle)", "", IDLE + SLACK, -1);
    closedUnanswered("a head abandoned halfway", "GET /health HTTP/1.1\r\nHost: a\r\nX-Half", HEAD + SLACK, -1);
    String head = get("/health", "X-Pad: " + "p".repeat(100) + "\r\n");
    closedUnanswered("slowloris: the head one byte every 40 ms", head, HEAD + SLACK, 0);
    String body = "{\"urls\":[\"" + "a".repeat(100) + "\"]}";
    String request = post("", body);
    all.add(new HostileCase("slowloris: the body one byte every 40 ms", request, List.of(408), "REQUEST_TIMEOUT",
      "http.requestBodyTimeoutMs", true, BODY + SLACK, request.indexOf("\r\n\r\n") + 4, false, r -> { }));
  }

  private void methodsAndPaths() {
    answered("HTTP/1.1 without Host", "GET /health HTTP/1.1\r\n\r\n", 400, "BAD_REQUEST", "Host");
    Consumer<List<HttpText.Response>> allowGet = r -> assertThat(r.get(0).header("allow")).isEqualTo("GET, HEAD");
    answered("an invented method", "BREW /health HTTP/1.1\r\nHost: a\r\n\r\n", 405, "METHOD_NOT_ALLOWED", "\"BREW\" not allowed", allowGet);
    answered("a lower-case method", "get /health HTTP/1.1\r\nHost: a\r\n\r\n", 405, "METHOD_NOT_ALLOWED", "not allowed", allowGet);
    answered("TRACE", "TRACE /health HTTP/1.1\r\nHost: a\r\n\r\n", 405, "METHOD_NOT_ALLOWED", "not allowed", allowGet);
    answered("GET /fetch", get("/fetch", ""), 405, "METHOD_NOT_ALLOWED", "allowed: POST",
      r -> assertThat(r.get(0).header("allow")).isEqualTo("POST"));
    answered("DELETE /fetch", "DELETE /fetch HTTP/1.1\r\nHost: a\r\n\r\n", 405, "METHOD_NOT_ALLOWED", "allowed: POST");
    answered("absolute-form target", "GET http://evil.example/health HTTP/1.1\r\nHost: a\r\n\r\n", 200, null, null);
    answered("dot segments", get("/fetch/../health", ""), 200, null, null);
    answered("an encoded NUL in the path", get("/health%00", ""), 404, "NOT_FOUND", "no route for path");
    answered("OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 404, "NOT_FOUND", "");
    answered("CONNECT", "CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n", 404, "NOT_FOUND", "");
    answered("a 4000-character unknown path (echoed cut)", get("/" + "z".repeat(4_000), ""), 404, "NOT_FOUND", "chars)",
      r -> assertThat(r.get(0).body().length()).isLessThan(600));
    answered("a WebSocket upgrade to /health", get("/health", "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
      + "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"), 200, null, null);
    answered("an h2c upgrade request", get("/health", "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      + "HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n"), 200, null, null);
    all.add(new HostileCase("HEAD /health", "HEAD /health HTTP/1.1\r\nHost: a\r\n\r\n", List.of(200), null, null, false, KEPT, -1, true,
      r -> assertThat(r.get(0).header("content-length")).isNotNull()));
  }

  private void bodies() {
    answered("not JSON", post("", "urls=http://x"), 400, "BAD_REQUEST", "body: not valid JSON");
    answered("a JSON array", post("", "[1,2]"), 400, "BAD_REQUEST", "body: must be a JSON object, got an array");
    answered("a JSON string", post("", "\"{}\""), 400, "BAD_REQUEST", "body: must be a JSON object, got a string");
    answered("an empty body", post("", ""), 400, "BAD_REQUEST", "body: must be a JSON object, got nothing");
    answered("nested 100 deep", post("", "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}"), 400, "BAD_REQUEST", "http.maxJsonDepth");
    answered("20 000 values in 60 KB", post("", "{\"urls\":[" + "0,".repeat(20_000) + "0]}"), 400, "BAD_REQUEST", "http.maxJsonValues");
    answered("invalid UTF-8", postRaw("", "{\"urls\":[\"\u00c3\u0028\"]}"), 400, "BAD_REQUEST", "body: not valid UTF-8 (at byte 10)");
    answered("an overlong UTF-8 slash", postRaw("", "{\"urls\":[\"\u00c0\u00af\"]}"), 400, "BAD_REQUEST", "body: not valid UTF-8");
    // RFC 8259 §8.1: a parser may ignore a byte-order mark; Jackson does
    answered("a UTF-8 byte-order mark (ignored)", postRaw("", "\u00ef\u00bb\u00bf{\"urls\":[]}"), 200, null, null);
    answered("data after the object", post("", "{}{}"), 400, "BAD_REQUEST", "body: unexpected data after the JSON object");
    answered("an unclosed object", post("", "{\"urls\":["), 400, "BAD_REQUEST", "body: ");
    answered("a number of 2000 digits", post("", "{\"timeoutMs\":" + "9".repeat(2_000) + "}"), 400, "BAD_REQUEST", "body: not valid JSON");
    answered("a gzip-encoded body (never inflated)", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n"
      + "\u001f\u008b\u0008\u0000\u0000\u0000\u0000\u0000\u0000\u0003", 400, "BAD_REQUEST", "body: not valid UTF-8");
    String multipart = "--B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"../../evil.sh\"\r\n"
      + "Content-Type: application/octet-stream\r\n\r\n" + "A".repeat(5_000) + "\r\n--B--\r\n";
    answered("a multipart file upload (nothing written to disk)", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=B\r\n"
      + "Content-Length: " + multipart.length() + "\r\n\r\n" + multipart, 400, "BAD_REQUEST", "body: not valid JSON");
    answered("a form-encoded body", "POST /fetch HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      + "Content-Length: 9\r\n\r\nurls=a%2F", 400, "BAD_REQUEST", "body: not valid JSON");
    answered("CR LF and NUL inside JSON strings", post("", "{\"urls\":[\"http://x/\\r\\nX-Injected: 1\\u0000\"]}"), 400,
      "BAD_REQUEST", "urls[0]");
    answered("a 60 KB URL full of newlines", post("", "{\"urls\":[\"http://x/" + "\\n".repeat(20_000) + "\"]}"), 400,
      "BAD_REQUEST", "urls[0]");
  }

  private void addresses() {
    answered("progressAddress", post("", "{\"urls\":[],\"progressAddress\":\"loopkit.progress.x\"}"), 400, "BAD_REQUEST",
      "body.progressAddress: not accepted over HTTP");
    answered("progressAddress at a Vert.x reply address", post("", "{\"urls\":[],\"progressAddress\":\"__vertx.reply.1\"}"),
      400, "BAD_REQUEST", "body.progressAddress");
    answered("progressAddress spelled with an escape", post("", "{\"urls\":[],\"progress\\u0041ddress\":\"loopkit.cancel\"}"),
      400, "BAD_REQUEST", "body.progressAddress");
    answered("progressAddress with Accept: application/x-ndjson", post("Accept: application/x-ndjson\r\n",
      "{\"urls\":[],\"progressAddress\":\"loopkit.fetch\"}"), 400, "BAD_REQUEST", "Accept: application/x-ndjson");
    answered("another address-valued field", post("", "{\"urls\":[],\"replyAddress\":\"loopkit.fetch\"}"), 400, "BAD_REQUEST",
      "body.replyAddress");
    answered("an address field in upper case", post("", "{\"urls\":[],\"PROGRESSADDRESS\":\"x\"}"), 400, "BAD_REQUEST",
      "body.PROGRESSADDRESS");
  }

  private void budgets() {
    String bad = "header loopkit-timeout-ms must be an integer number of milliseconds";
    answered("budget in Arabic-Indic digits", post(utf8("loopkit-timeout-ms: \u0663\u0660\u0660\r\n"), "{\"urls\":[]}"), 400, "BAD_REQUEST", bad);
    answered("budget in full-width digits", post(utf8("loopkit-timeout-ms: \uff13\uff10\uff10\r\n"), "{\"urls\":[]}"), 400, "BAD_REQUEST", bad);
    answered("budget with an exponent", post("loopkit-timeout-ms: 1e3\r\n", "{\"urls\":[]}"), 400, "BAD_REQUEST", bad);
    answered("budget of 19 digits", post("loopkit-timeout-ms: 1234567890123456789\r\n", "{\"urls\":[]}"), 400, "BAD_REQUEST", bad);
    answered("budget given twice", post("loopkit-timeout-ms: 100\r\nloopkit-timeout-ms: 100000\r\n", "{\"urls\":[]}"), 400,
      "BAD_REQUEST", "given 2 times");
    answered("budget 0", post("loopkit-timeout-ms: 0\r\n", "{\"urls\":[]}"), 504, "TIMEOUT", "budget already spent");
    answered("budget negative", post("loopkit-timeout-ms: -5\r\n", "{\"urls\":[]}"), 504, "TIMEOUT", "budget already spent");
    answered("budget on GET /blocking in Arabic-Indic digits", get("/blocking", utf8("loopkit-timeout-ms: \u0661\r\n")), 400,
      "BAD_REQUEST", bad);
  }

  private void misc() {
    answered("a forged loopkit-request-id", post("loopkit-request-id: someone-elses-id\r\n", "{\"urls\":[\"{upstream}/item/1\"]}"),
      200, null, null, r -> assertThat(r.get(0).header("loopkit-request-id")).isNotEqualTo("someone-elses-id").hasSize(22));
    answered("NDJSON asked with a malformed body (error before the first line)", post("Accept: application/x-ndjson\r\n", "{"),
      400, "BAD_REQUEST", "body: ", r -> assertThat(r.get(0).header("content-type")).isEqualTo("application/json"));
    all.add(new HostileCase("three pipelined requests", get("/health", "").repeat(3), List.of(200, 200, 200), null, null, false,
      KEPT, -1, false, r -> { }));
    answered("a fetch of an upstream that resets", post("", "{\"urls\":[\"{upstream}/item/1?fault=reset\"],\"mode\":\"all\"}"),
      502, "BAD_GATEWAY", "requests[0]");
  }
}
