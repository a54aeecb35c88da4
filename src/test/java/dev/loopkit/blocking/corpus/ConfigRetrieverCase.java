package dev.loopkit.blocking.corpus;

import dev.loopkit.blocking.CheckBlocking;
import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** vertx-config: a JSON file store layered with system properties, read when the verticle starts. */
@EnabledIfSystemProperty(named = "loopkit.blocking.corpus", matches = "true")
@ExtendWith(VertxExtension.class)
@CheckBlocking
class ConfigRetrieverCase {

  static class Configured extends VerticleBase {
    final String file;
    JsonObject loaded;

    Configured(String file) {
      this.file = file;
    }

    @Override
    public Future<?> start() {
      ConfigRetriever retriever = ConfigRetriever.create(vertx, new ConfigRetrieverOptions()
        .addStore(new ConfigStoreOptions().setType("file").setFormat("json").setConfig(new JsonObject().put("path", file)))
        .addStore(new ConfigStoreOptions().setType("sys")));
      return retriever.getConfig().onSuccess(conf -> {
        loaded = conf;
        System.out.println("configured: port " + conf.getInteger("port"));
      });
    }
  }

  @Test
  void reads_its_config(Vertx vertx, VertxTestContext tc) throws Exception {
    Path file = Files.createTempFile("corpus-config", ".json");
    Files.writeString(file, new JsonObject().put("port", 8080).put("greeting", "hi").encode());
    int n = 10;
    java.util.List<Future<?>> all = new java.util.ArrayList<>();
    java.util.List<Configured> verticles = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      Configured c = new Configured(file.toString());
      verticles.add(c);
      all.add(vertx.deployVerticle(c));
    }
    Future.all(all).onComplete(tc.succeeding(v -> tc.verify(() -> {
      assertThat(verticles).allSatisfy(c -> assertThat(c.loaded.getInteger("port")).isEqualTo(8080));
      tc.completeNow();
    })));
  }
}
