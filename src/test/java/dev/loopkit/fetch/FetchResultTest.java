package dev.loopkit.fetch;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A result keeps its response headers in a compact form of its own (not the response's header map): what
 * {@link FetchResult#headers()} and the JSON form show must be what the response said — every value, in
 * order, repeated names kept (joined with ", " in JSON), names in lowercase, lookups case-insensitive.
 */
@DisplayName("FetchResult: the response headers, kept compactly")
class FetchResultTest {

  private static FetchResult withHeaders(MultiMap headers) {
    return FetchResult.response(0, "http://127.0.0.1:1/x", 200, headers, Buffer.buffer("hi"), FetchResult.BodyKind.TEXT,
      null, null, null, null, 1.0, 0.0, 0.0, 0, null);
  }

  @Test
  void every_value_in_order_names_lowercase_repeats_kept() {
    MultiMap sent = MultiMap.caseInsensitiveMultiMap()
      .add("Content-Type", "text/plain")
      .add("Set-Cookie", "a=1")
      .add("X-Trace", "t")
      .add("set-cookie", "b=2");
    FetchResult r = withHeaders(sent);

    MultiMap h = r.headers();
    assertThat(h.size()).isEqualTo(3);
    assertThat(h.getAll("SET-COOKIE")).containsExactly("a=1", "b=2");
    assertThat(h.get("content-type")).isEqualTo("text/plain");
    assertThat(h.names()).containsExactlyInAnyOrder("content-type", "set-cookie", "x-trace");
    assertThat(r.headers()).as("a new map each call: changing one does not change the result")
      .isNotSameAs(h);
    h.remove("x-trace");
    assertThat(r.headers().get("x-trace")).isEqualTo("t");

    JsonObject json = r.toJson().getJsonObject("headers");
    assertThat(json).isEqualTo(new JsonObject().put("content-type", "text/plain").put("set-cookie", "a=1, b=2")
      .put("x-trace", "t"));
  }

  @Test
  void no_response_no_headers_and_an_empty_head_stays_empty() {
    FetchResult failed = FetchResult.failure(0, "http://127.0.0.1:1/x", FetchErrorCode.TIMEOUT, "late", 1.0, 0.0, 0.0);
    assertThat(failed.headers()).isNull();
    assertThat(failed.toJson().containsKey("headers")).isFalse();

    FetchResult empty = withHeaders(MultiMap.caseInsensitiveMultiMap());
    assertThat(empty.headers().isEmpty()).isTrue();
    assertThat(empty.toJson().getJsonObject("headers")).isEqualTo(new JsonObject());
  }
}
