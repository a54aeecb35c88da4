package dev.loopkit.fetch;

import dev.loopkit.hostile.RawUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
@DisplayName("interim 1xx responses from an upstream are skipped, never taken as the final status (raw upstream, exact bytes)")
class FetchInterimTest {

  private static final String OK = RawUpstream.response(200, "OK", "text/plain", "done");

  /** One request against a raw upstream answering {@code bytes}; the engine and upstream are closed after. */
  private static Future<FetchReply> fetchFrom(Vertx vertx, String bytes, Function<FetchRequest, FetchRequest> shape) {
    return RawUpstream.start(vertx, RawUpstream.write(bytes)).compose(raw -> {
      FetchEngine engine = FetchEngine.create(vertx, new FetchOptions().setAllowedHosts(List.of("127.0.0.1:" + raw.port())));
      return engine.fetch(shape.apply(FetchRequest.of(raw.base() + "/x", raw.base() + "/y").concurrency(1).timeoutMs(3_000)))
        .compose(reply -> engine.close()
          .compose(v -> Fixture.eventually(vertx, 3_000, () -> raw.open() == 0, () -> "upstream still has " + raw.open() + " open"))
          .compose(v -> raw.close())
          .map(v -> reply));
    });
  }

  private static void assertFinal(FetchReply reply) {
    for (FetchResult r : reply.results()) {
      assertThat(r.ok()).as("%s", r).isTrue();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.text()).isEqualTo("done");
    }
  }

  @Test
  void a_102_processing_is_skipped(Vertx vertx, VertxTestContext tc) {
    fetchFrom(vertx, "HTTP/1.1 102 Processing\r\n\r\n" + OK, r -> r).map(reply -> {
      assertFinal(reply); // both requests, on the same kept-alive connection: the framing stayed right
      return reply;
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void several_interim_responses_in_a_row_are_skipped(Vertx vertx, VertxTestContext tc) {
    String interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n"
      + "HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\nHTTP/1.1 199 Misc\r\nx-a: b\r\n\r\n"
      + "HTTP/1.1 102 Processing\r\n\r\n";
    fetchFrom(vertx, interim + OK, r -> r).map(reply -> {
      assertFinal(reply);
      return reply;
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void an_unsolicited_100_continue_is_skipped(Vertx vertx, VertxTestContext tc) {
    fetchFrom(vertx, "HTTP/1.1 100 Continue\r\n\r\n" + OK, r -> r).map(reply -> {
      assertFinal(reply);
      return reply;
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_head_answered_after_an_interim_response_ends_at_its_head(Vertx vertx, VertxTestContext tc) {
    // Netty's codec forgets the HEAD when a 102 comes first and would wait for the announced 5 bytes
    fetchFrom(vertx, "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n",
      r -> new FetchRequest().add(FetchRequest.Item.get(r.items().get(0).url()).method("HEAD").timeoutMs(2_000))
        .add(FetchRequest.Item.get(r.items().get(1).url()).method("HEAD").timeoutMs(2_000)).concurrency(1))
      .map(reply -> {
        for (FetchResult r : reply.results()) {
          assertThat(r.ok()).as("%s", r).isTrue();
          assertThat(r.status()).isEqualTo(200);
          assertThat(r.body()).isNull();
        }
        return reply;
      }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void a_storm_of_interim_responses_is_an_invalid_response(Vertx vertx, VertxTestContext tc) {
    fetchFrom(vertx, "HTTP/1.1 102 Processing\r\n\r\n".repeat(30) + OK, r -> r).map(reply -> {
      FetchResult r = reply.results().get(0);
      assertThat(r.error()).as("%s", r).isEqualTo(FetchErrorCode.INVALID_RESPONSE);
      assertThat(r.message()).contains("more than 20 interim");
      return reply;
    }).onComplete(tc.succeedingThenComplete());
  }

  @Test
  void an_unsolicited_101_is_an_invalid_response(Vertx vertx, VertxTestContext tc) {
    fetchFrom(vertx, "HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\n\r\n" + OK, r -> r).map(reply -> {
      FetchResult r = reply.results().get(0);
      assertThat(r.error()).as("%s", r).isEqualTo(FetchErrorCode.INVALID_RESPONSE);
      assertThat(r.message()).contains("101");
      return reply;
    }).onComplete(tc.succeedingThenComplete());
  }
}
