package dev.loopkit.blocking;

import dev.loopkit.MainVerticle;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigLoader;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The checker as the application runs it: from {@code conf/application.json}, strictly validated, serving
 * {@code loopkit.blocking.report} and {@code GET /blocking} on the real HTTP front, with HTTP routes named
 * in incidents.
 */
@ExtendWith(VertxExtension.class)
@DisplayName("BlockingCheckerVerticle")
class BlockingCheckerVerticleTest {

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("conf/application.json deploys the checker first, on by default")
  void application_json_has_the_checker_first() throws Exception {
    JsonObject conf = ConfigLoader.parseStrict("conf/application.json", Files.readString(Path.of("conf/application.json")));
    AppConfig app = AppConfig.read(conf);
    assertThat(app.verticles().get(0).className()).isEqualTo(BlockingCheckerVerticle.class.getName());
    assertThat(app.verticles().get(0).instances()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
    "{\"thresholdMs\": 0}|verticles.blocking.config.thresholdMs: must be an integer in [1, 3600000], got 0",
    "{\"thresholdMs\": -1}|verticles.blocking.config.thresholdMs: must be an integer in [1, 3600000], got -1",
    "{\"thresholdMs\": \"fast\"}|verticles.blocking.config.thresholdMs: must be an integer in [1, 3600000], got \"fast\"",
    "{\"thresholdMS\": 100}|verticles.blocking.config.thresholdMS: unknown key (did you mean 'thresholdMs'?); known keys: thresholdMs,",
    "{\"strict\": 1}|verticles.blocking.config.strict: must be true or false, got 1"
  })
  @DisplayName("bad config stops start-up with the JSON path of the problem")
  void bad_config_is_rejected_before_deploying(String config, String message) {
    JsonObject conf = new JsonObject().put("verticles", new JsonObject().put("blocking", new JsonObject()
      .put("class", BlockingCheckerVerticle.class.getName()).put("config", new JsonObject(config))));
    assertThatThrownBy(() -> AppConfig.read(conf)).isInstanceOf(ConfigException.class).hasMessageStartingWith(message);
  }

  @Test
  @DisplayName("bad config also fails a direct deployment, with the same message")
  void bad_config_fails_deployment(Vertx vertx) {
    Future<String> f = vertx.deployVerticle(new BlockingCheckerVerticle(),
      new DeploymentOptions().setConfig(new JsonObject().put("thresholdMs", 0)));
    assertThatThrownBy(() -> get(f)).hasRootCauseInstanceOf(ConfigException.class)
      .hasRootCauseMessage("thresholdMs: must be an integer in [1, 3600000], got 0");
  }

  @Test
  @DisplayName("loopkit.blocking.report answers a summary; a malformed request gets 400 naming the field")
  void report_over_the_event_bus(Vertx vertx) throws Exception {
    String id = get(vertx.deployVerticle(new BlockingCheckerVerticle(), new DeploymentOptions().setConfig(new JsonObject().put("thresholdMs", 50))));
    JsonObject report = (JsonObject) get(vertx.eventBus().request("loopkit.blocking.report", null)).body();
    assertThat(report.getLong("thresholdMs")).isEqualTo(50);
    assertThat(report.getJsonArray("loops")).isNotEmpty();
    assertThat(report.getJsonArray("loops").getJsonObject(0).getJsonObject("lag").fieldNames()).contains("p50Ms", "p99Ms", "maxMs");
    assertThat(report.getJsonObject("totals").getLong("incidents")).isZero();

    assertFails(vertx, new JsonObject().put("reset", 1), "body.reset: must be true or false, got 1");
    assertFails(vertx, new JsonObject().put("recent", -1), "body.recent: must be an integer in [0, 1000], got -1");
    assertFails(vertx, new JsonObject().put("bogus", true), "body.bogus: unknown key");
    assertFails(vertx, "report please", "body: must be a JSON object or empty, got \"report please\"");
    JsonObject ok = (JsonObject) get(vertx.eventBus().request("loopkit.blocking.report", new JsonObject().put("recent", 0).put("reset", true))).body();
    assertThat(ok.getJsonArray("recent")).isEmpty();

    Future<String> second = vertx.deployVerticle(new BlockingCheckerVerticle());
    assertThatThrownBy(() -> get(second)).hasMessageContaining("already runs in this Vert.x instance");

    get(vertx.undeploy(id));
    assertThatThrownBy(() -> get(vertx.eventBus().request("loopkit.blocking.report", null)))
      .hasCauseInstanceOf(ReplyException.class).hasMessageContaining("No handlers");
  }

  private static void assertFails(Vertx vertx, Object body, String message) {
    assertThatThrownBy(() -> get(vertx.eventBus().request("loopkit.blocking.report", body)))
      .cause().isInstanceOf(ReplyException.class)
      .hasMessageStartingWith(message)
      .extracting(e -> ((ReplyException) e).failureCode()).isEqualTo(FailureCode.BAD_REQUEST.code());
  }

  @Test
  @DisplayName("end to end: GET /blocking on the HTTP front serves the report, with HTTP routes named in incidents")
  void get_blocking_end_to_end(Vertx vertx) throws Exception {
    JsonObject conf = new JsonObject()
      .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
      .put("verticles", new JsonObject()
        .put("blocking", new JsonObject().put("class", BlockingCheckerVerticle.class.getName())
          .put("config", new JsonObject().put("thresholdMs", 100)))
        .put("upstream", new JsonObject().put("class", "dev.loopkit.demo.DemoUpstreamVerticle")
          .put("config", new JsonObject().put("port", 0))));
    MainVerticle main = new MainVerticle();
    get(vertx.deployVerticle(main, new DeploymentOptions().setConfig(conf)));

    // an application server with a route that blocks, attributed with one line
    Router router = Router.router(vertx);
    router.route().handler(BlockingAttribution.routes());
    router.get("/slow/:id").handler(rc -> {
      slowHandler();
      rc.response().end("done");
    });
    HttpServer app = get(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
    HttpServer plain = get(vertx.createHttpServer().requestHandler(BlockingAttribution.requests(req -> {
      slowHandler();
      req.response().end("done");
    })).listen(0, "127.0.0.1"));

    WebClient client = WebClient.create(vertx);
    try {
      assertThat(get(client.get(app.actualPort(), "127.0.0.1", "/slow/7").send()).bodyAsString()).isEqualTo("done");
      assertThat(get(client.get(plain.actualPort(), "127.0.0.1", "/plain?x=1").send()).bodyAsString()).isEqualTo("done");
      // the final record of the last stall is made at the watchdog's next tick: poll the report briefly
      io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer> resp = null;
      for (int attempt = 0; attempt < 40; attempt++) {
        resp = get(client.get(main.httpPort(), "127.0.0.1", "/blocking").send());
        if (resp.bodyAsString().contains("slowHandler") && resp.bodyAsJsonObject().getJsonArray("recent").size() >= 2
          && resp.bodyAsJsonObject().getJsonArray("recent").stream().filter(r -> r.toString().contains("slowHandler")).count() >= 2) {
          break;
        }
        get(vertx.timer(50));
      }
      assertThat(resp.statusCode()).isEqualTo(200);
      assertThat(resp.getHeader("content-type")).isEqualTo("application/json");
      JsonObject report = resp.bodyAsJsonObject();
      assertThat(report.getLong("thresholdMs")).isEqualTo(100);
      assertThat(report.getJsonArray("loops")).isNotEmpty();
      assertThat(report.getJsonObject("totals").getLong("incidents")).isGreaterThanOrEqualTo(2);
      JsonObject top = report.getJsonArray("topCulprits").stream().map(JsonObject.class::cast)
        .filter(c -> c.getString("frame").contains("slowHandler")).findFirst().orElseThrow();
      assertThat(top.getLong("count")).isEqualTo(2);
      assertThat(top.getString("kind")).isEqualTo("sleep");
      assertThat(top.getLong("maxMs")).isGreaterThanOrEqualTo(200);
      assertThat(report.getJsonArray("recent").stream().map(JsonObject.class::cast)
        .filter(r -> r.getJsonObject("culprit") != null && "slowHandler".equals(r.getJsonObject("culprit").getString("method")))
        .map(r -> r.getString("route")))
        // routes(): the pattern of the route that blocked; requests(): the path without the query
        .containsExactlyInAnyOrder("GET /slow/:id", "GET /plain");
    } finally {
      client.close();
    }
  }

  static void slowHandler() {
    try {
      Thread.sleep(250);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
