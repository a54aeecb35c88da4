package dev.loopkit.blocking.archfixtures;

import dev.loopkit.blocking.AllowBlocking;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.nio.file.Files;
import java.nio.file.Path;

/** Fixture for BlockingRulesTest: blocking only where it is allowed. */
public class OkVerticle extends VerticleBase {

  @Override
  public Future<?> start() {
    return vertx.executeBlocking(() -> Files.readString(Path.of("x")))
      .compose(s -> vertx.executeBlocking(this::load))
      .compose(s -> vertx.executeBlocking(new Repository()::load));
  }

  @AllowBlocking("only run through executeBlocking")
  String load() throws Exception {
    Thread.sleep(1);
    return Files.readString(Path.of("y"));
  }

  /** Not event-loop code: plain classes may block (they are run on workers). */
  static final class Repository {
    String load() throws Exception {
      return Files.readString(Path.of("z"));
    }
  }
}
