package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** vertx-web: a Router with path parameters, a BodyHandler for JSON and a StaticHandler for files. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class RouterStaticBodyCase {

  static class Api extends VerticleBase {
    final String webroot;
    HttpServer server;

    Api(String webroot) {
      this.webroot = webroot;
    }

    @Override
    public Future<?> start() {
      Router router = Router.router(vertx);
      router.route().handler(BodyHandler.create());
      router.get("/products/:id").handler(ctx -> {
        String id = ctx.pathParam("id");
        ctx.json(new JsonObject().put("id", id).put("name", "product " + id));
      });
      router.post("/products").handler(ctx -> {
        JsonObject product = ctx.body().asJsonObject();
        System.out.println("adding " + product.encode());
        ctx.response().setStatusCode(201).end(product.put("created", true).encode());
      });
      router.route("/static/*").handler(StaticHandler.create(FileSystemAccess.ROOT, webroot));
      return vertx.createHttpServer().requestHandler(router).listen(0).onSuccess(s -> server = s);
    }
  }

  private Api api;

  @BeforeEach
  void deploy(Vertx vertx, VertxTestContext tc) throws Exception {
    Path webroot = Files.createTempDirectory("corpus-webroot");
    Files.writeString(webroot.resolve("index.html"), "<h1>static</h1>");
    Files.writeString(webroot.resolve("app.js"), "console.log('hi')");
    api = new Api(webroot.toString());
    vertx.deployVerticle(api).onComplete(tc.succeedingThenComplete());
  }

  /** Kept in a field: Vert.x 5 closes a client that is no longer reachable. */
  private WebClient client;

  @Test
  void routes(Vertx vertx, VertxTestContext tc) {
    client = WebClient.create(vertx);
    int port = api.server.actualPort();
    int n = 20;
    Checkpoint ok = tc.checkpoint(3 * n);
    for (int i = 0; i < n; i++) {
      int k = i;
      client.get(port, "localhost", "/products/" + k).send().onComplete(tc.succeeding(r -> {
        tc.verify(() -> assertThat(r.bodyAsJsonObject().getString("id")).isEqualTo("" + k));
        ok.flag();
      }));
      client.post(port, "localhost", "/products").sendJsonObject(new JsonObject().put("name", "p" + k))
        .onComplete(tc.succeeding(r -> {
          tc.verify(() -> assertThat(r.statusCode()).isEqualTo(201));
          ok.flag();
        }));
      client.get(port, "localhost", k % 2 == 0 ? "/static/index.html" : "/static/app.js").send()
        .onComplete(tc.succeeding(r -> {
          tc.verify(() -> assertThat(r.statusCode()).isEqualTo(200));
          ok.flag();
        }));
    }
  }
}
