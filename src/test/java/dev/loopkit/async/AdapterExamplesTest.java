package dev.loopkit.async;

import dev.loopkit.hostile.Released;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's adapter snippets ({@link AdapterExamples}) run against a real server, and quoted exactly. */
@ExtendWith(VertxExtension.class)
@DisplayName("README: Cancellable adapter examples")
class AdapterExamplesTest {

  private int port;
  private final AtomicInteger open = new AtomicInteger();
  private volatile boolean slow;

  @BeforeEach
  void server(Vertx vertx, VertxTestContext tc) {
    HttpServer server = vertx.createHttpServer()
      .connectionHandler(conn -> {
        open.incrementAndGet();
        conn.closeHandler(v -> open.decrementAndGet());
      })
      .requestHandler(req -> {
        if (req.path().equals("/quote")) {
          req.response().putHeader("content-type", "application/json").end(new JsonObject().put("price", 42).encode());
        } else if (!slow) {
          req.response().end("42");
        } // slow: never answers
      });
    vertx.eventBus().<JsonObject>consumer("stock.get", msg -> msg.reply(new JsonObject().put("stock", 7)));
    server.listen(0, "127.0.0.1").onComplete(tc.succeeding(s -> {
      port = s.actualPort();
      tc.completeNow();
    }));
  }

  @Test
  @DisplayName("each adapter completes normally under a scope")
  void adapters_complete(Vertx vertx, VertxTestContext tc) {
    HttpClient client = vertx.createHttpClient();
    WebClient web = WebClient.create(vertx);
    CancelScope scope = CancelScope.create(vertx);
    AdapterExamples.price(scope, client, port)
      .compose(price -> AdapterExamples.quote(scope, web, port).map(q -> price + "/" + q.getInteger("price")))
      .compose(both -> AdapterExamples.stock(scope).map(m -> both + "/" + m.body().getInteger("stock")))
      .compose(all -> AdapterExamples.backoff(scope).map(all))
      .compose(all -> AdapterExamples.pause(scope, vertx, 1).map(all))
      .onComplete(tc.succeeding(all -> tc.verify(() -> {
        assertThat(all).isEqualTo("42/42/7");
        scope.close();
        Released.counters(vertx, 2_000).onComplete(tc.succeedingThenComplete());
      })));
  }

  @Test
  @DisplayName("priceOrStale: a request past its deadline is reset and reported as DeadlineExceededException")
  void price_or_stale(Vertx vertx, VertxTestContext tc) {
    HttpClient first = vertx.createHttpClient();
    AdapterExamples.priceOrStale(vertx, first, port)
      .compose(fresh -> {
        tc.verify(() -> assertThat(fresh).isEqualTo("42"));
        slow = true;
        return first.close();
      })
      .compose(v -> AdapterExamples.priceOrStale(vertx, vertx.createHttpClient(), port))
      .onComplete(tc.succeeding(v -> tc.verify(() -> {
        assertThat(v).isEqualTo("stale");
        Released.eventually(vertx, 5_000, () -> open.get() == 0, () -> open + " open connections")
          .compose(x -> Released.counters(vertx, 2_000))
          .onComplete(tc.succeedingThenComplete());
      })));
  }

  @Test
  @DisplayName("the README quotes every java block of its futures-API section from AdapterExamples, verbatim")
  void readme_quotes_the_examples() throws IOException {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    int from = readme.indexOf("## The futures API");
    int to = readme.indexOf("\n## ", from + 1);
    String section = readme.substring(from, to < 0 ? readme.length() : to);
    String source = Files.readString(Path.of("src/test/java/dev/loopkit/async/AdapterExamples.java"), StandardCharsets.UTF_8);
    List<String> regions = new ArrayList<>();
    Matcher tags = Pattern.compile("// tag::(\\w+)\\[]\\n(.*?)\\n\\s*// end::\\1\\[]", Pattern.DOTALL).matcher(source);
    while (tags.find()) {
      regions.add(dedent(tags.group(2)));
    }
    Matcher blocks = Pattern.compile("```java\\n(.*?)\\n```", Pattern.DOTALL).matcher(section);
    int quoted = 0;
    while (blocks.find()) {
      assertThat(regions).as("README block is not quoted from AdapterExamples:%n%s", blocks.group(1)).contains(blocks.group(1));
      quoted++;
    }
    assertThat(quoted).as("java blocks in the futures-API section").isEqualTo(regions.size());
  }

  private static String dedent(String text) {
    String[] lines = text.split("\n", -1);
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      out.append(lines[i].startsWith("  ") ? lines[i].substring(2) : lines[i]);
      if (i < lines.length - 1) {
        out.append('\n');
      }
    }
    return out.toString();
  }
}
