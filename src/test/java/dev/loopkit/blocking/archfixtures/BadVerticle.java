package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.io.File;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/** Fixture for BlockingRulesTest: every call here blocks the event loop. */
public class BadVerticle extends VerticleBase {

  @Override
  public Future<?> start() throws Exception {
    Thread.sleep(10);
    Files.readAllBytes(Path.of("x"));
    new FileInputStream("x").close();
    new CompletableFuture<String>().get();
    InetAddress.getByName("localhost");
    new ProcessBuilder("true").start();
    vertx.eventBus().consumer("a", m -> m.reply(new File("y").exists()));
    return Future.succeededFuture();
  }

  synchronized void counter() {
  }
}
