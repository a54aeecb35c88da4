package dev.loopkit.hostile;

import dev.loopkit.MainVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Verticle classes that fail in the ways a config can name them: for {@link HostileConfigTest}. */
public final class ConfigFixtures {

  private ConfigFixtures() {
  }

  /** The application, subclassed: still the application. */
  public static class SubApp extends MainVerticle {
  }

  /** Only a constructor with arguments: loopkit cannot create it. */
  public static class NoDefaultConstructor extends VerticleBase {
    public NoDefaultConstructor(int ignored) {
    }
  }

  /** A constructor that is not public. */
  public static class PrivateConstructor extends VerticleBase {
    private PrivateConstructor() {
    }
  }

  /** An abstract verticle. */
  public abstract static class Abstract extends VerticleBase {
  }

  /** Its constructor throws, with a line break in the message. */
  public static class ThrowingConstructor extends VerticleBase {
    public ThrowingConstructor() {
      throw new IllegalStateException("boom\nat line two\r\nERROR forged");
    }
  }

  /** Its start fails, with a long multi-line message. */
  public static class FailingStart extends VerticleBase {
    @Override
    public Future<?> start() {
      return Future.failedFuture(new IllegalStateException("cannot start\n" + "x".repeat(100_000)));
    }
  }

  /** Deploys the application (the file named by its {@code conf} key) from its start: the indirect loop. */
  public static class DeploysTheApp extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.deployVerticle(new MainVerticle(config().getString("conf")), new DeploymentOptions());
    }
  }
}
