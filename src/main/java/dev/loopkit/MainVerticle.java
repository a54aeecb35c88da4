package dev.loopkit;

import dev.loopkit.bus.LogValues;
import dev.loopkit.cluster.ClusteredVertx;
import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ApplicationVerticle;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigLoader;
import dev.loopkit.config.ConfigReader;
import dev.loopkit.config.ConfiguredVerticle;
import dev.loopkit.config.LaunchArguments;
import dev.loopkit.config.VerticleSpec;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * The application: loads the config, validates all of it, then deploys the configured verticles in file
 * order and the HTTP front, and prints what runs where.
 *
 * <p>Where the config comes from:
 * <ul>
 *   <li>{@code new MainVerticle(file)} deployed from code: that file (or an inline JSON object), like
 *   {@code -conf};</li>
 *   <li>{@code java -jar loopkit-fat.jar}: the embedded default, class-path {@value ConfigLoader#DEFAULT_RESOURCE};</li>
 *   <li>{@code java -jar loopkit-fat.jar -conf FILE}: that file (its content is also what the launcher
 *   passes as {@code config()}, but the file is re-read so that errors can name it, with line and
 *   column);</li>
 *   <li>deployed from code with a non-empty {@code config()}: that object.</li>
 * </ul>
 * Environment and system-property overrides apply to files (see {@link ConfigLoader}). Any problem fails
 * start-up — the launcher then exits with a non-zero code — after one ERROR line naming the file, the
 * JSON path and the problem: a config error found by validation, and equally a failure found only while
 * deploying (a verticle whose start fails, a port in use), which is a stack-less {@link ConfigException}
 * naming {@code verticles.<name>} or {@code http} (the launcher's own repeat of it is dropped by
 * {@link LauncherLogFilter}). Whatever was deployed before the failure is undeployed again. A config whose
 * {@code cluster} section is enabled needs a clustered Vert.x (what {@link Launcher} builds from it); on
 * one that is not clustered, start-up fails at {@code cluster.enabled}.
 *
 * <p>The application is an {@link ApplicationVerticle}: listing it (or a subclass) under {@code verticles}
 * is refused at validation; a MainVerticle started while another is starting on the same Vert.x instance
 * (deployed, directly or not, by a listed verticle) fails at once instead of deploying the application
 * again and again.
 */
public class MainVerticle extends VerticleBase implements ApplicationVerticle {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MainVerticle.class);
  /** Vert.x instances on which a MainVerticle is starting. */
  private static final Set<Vertx> STARTING = Collections.newSetFromMap(new WeakHashMap<>());

  private final String conf;
  private final Map<String, String> deployments = new LinkedHashMap<>();
  private final List<String> banner = new ArrayList<>();
  private HttpFrontVerticle front;

  /** The application configured by the launcher's {@code -conf}, its {@code config()} or the embedded default. */
  public MainVerticle() {
    this(null);
  }

  /**
   * @param conf a config file (or an inline JSON object), as with the launcher's {@code -conf};
   * {@code null} for the default sources
   */
  public MainVerticle(String conf) {
    this.conf = conf;
  }

  @Override
  public Future<?> start() {
    long started = System.nanoTime();
    synchronized (STARTING) {
      if (!STARTING.add(vertx)) {
        // not logged: the outer application reports it, once, as the failure of the verticle that deployed us
        return Future.failedFuture(new ConfigException(null, "", "the application is already starting on this "
          + "Vert.x instance: a verticle it deploys deploys the application (" + getClass().getName()
          + ") again, which would repeat forever — remove that verticle from \"verticles\""));
      }
    }
    return loadConfig()
      .compose(loaded -> {
        AppConfig app;
        try {
          app = AppConfig.read(loaded.json());
        } catch (ConfigException e) {
          return Future.failedFuture(loaded.locate(e));
        }
        if (app.cluster().isEnabled() && !vertx.isClustered()) {
          return Future.failedFuture(loaded.locate(new ConfigException("cluster.enabled", "is true, but this Vert.x "
            + "instance is not clustered — start the application with dev.loopkit.Launcher (java -jar), or build Vert.x with "
            + "dev.loopkit.cluster.ClusteredVertx when embedding it")));
        }
        return deployAll(loaded, app)
          .compose(v -> deployFront(loaded, app))
          .onSuccess(v -> printBanner(loaded.source(), app, (System.nanoTime() - started) / 1_000_000));
      })
      .recover(err -> undeployAll().transform(v -> Future.<Void>failedFuture(err)))
      .onComplete(ar -> {
        synchronized (STARTING) {
          STARTING.remove(vertx);
        }
      })
      .onFailure(err -> LOG.error("loopkit did not start: {}", err instanceof ConfigException
        ? err.getMessage() : LogValues.safe(String.valueOf(err), 2_000)));
  }

  /** Undeploys what this application deployed so far (after a failed start), newest first. */
  private Future<Void> undeployAll() {
    List<String> ids = new ArrayList<>(deployments.values());
    Collections.reverse(ids);
    deployments.clear();
    Future<Void> chain = Future.succeededFuture();
    for (String id : ids) {
      // already gone with the failed deployment, or undeployed by Vert.x: nothing to do
      chain = chain.compose(v -> vertx.undeploy(id).otherwiseEmpty());
    }
    return chain;
  }

  /** @return name → deployment id of the verticles this application deployed */
  public Map<String, String> deployments() {
    return new LinkedHashMap<>(deployments);
  }

  /** @return the HTTP front's bound port, or -1 when the front is disabled */
  public int httpPort() {
    return front == null ? -1 : front.actualPort();
  }

  private Future<ConfigLoader.Loaded> loadConfig() {
    Optional<String> conf = this.conf != null ? Optional.of(this.conf) : LaunchArguments.confArgument();
    if (conf.isPresent()) {
      String arg = conf.get();
      return vertx.fileSystem().exists(arg).compose(exists -> {
        if (exists) {
          return ConfigLoader.load(vertx, arg);
        }
        try {
          return Future.succeededFuture(ConfigLoader.applyArgument("-conf argument", arg));
        } catch (ConfigException e) {
          return Future.failedFuture(new ConfigException(e.source(), e.path(),
            e.problem() + " (the -conf value is neither an existing file nor a JSON object)"));
        }
      });
    }
    if (!config().isEmpty()) {
      return Future.succeededFuture(ConfigLoader.fromObject("deployment config", config()));
    }
    return ConfigLoader.load(vertx, ConfigLoader.DEFAULT_RESOURCE)
      .map(loaded -> loaded.renamed("classpath:" + ConfigLoader.DEFAULT_RESOURCE));
  }

  private Future<Void> deployAll(ConfigLoader.Loaded loaded, AppConfig app) {
    Future<Void> chain = Future.succeededFuture();
    for (VerticleSpec spec : app.verticles()) {
      chain = chain.compose(v -> deploy(loaded, spec));
    }
    return chain;
  }

  /** @return the message of {@code err} as one short line (a ConfigException's own message is already one) */
  private static String oneLine(Throwable err) {
    String message = err.getMessage() != null ? err.getMessage() : err.getClass().getName();
    return LogValues.safe(message, 500);
  }

  private Future<Void> deploy(ConfigLoader.Loaded loaded, VerticleSpec spec) {
    List<Deployable> instances = new ArrayList<>();
    Supplier<Deployable> supplier = () -> {
      try {
        Deployable d = (Deployable) Class.forName(spec.className()).getDeclaredConstructor().newInstance();
        synchronized (instances) {
          instances.add(d);
        }
        return d;
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw new IllegalStateException("its constructor threw " + e.getCause(), e.getCause());
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot instantiate it: " + e, e);
      }
    };
    String path = ConfigReader.of(null, "verticles").path(spec.name());
    return vertx.deployVerticle(supplier, spec.deploymentOptions())
      .recover(err -> Future.failedFuture(loaded.locate(new ConfigException(path, spec.className()
        + " failed to start: " + oneLine(err) + " — fix its config section or free the resource it needs"))))
      .map(id -> {
        deployments.put(spec.name(), id);
        String line = null;
        synchronized (instances) {
          if (!instances.isEmpty() && instances.get(0) instanceof ConfiguredVerticle) {
            line = ((ConfiguredVerticle) instances.get(0)).startupLine();
          }
        }
        String simple = spec.className().substring(spec.className().lastIndexOf('.') + 1);
        banner.add(String.format("  %-16s %s ×%d %s%s", spec.name(), simple, spec.instances(),
          spec.threading().name().toLowerCase().replace('_', '-'), line == null ? "" : "\n  " + " ".repeat(17) + line));
        return null;
      });
  }

  private Future<Void> deployFront(ConfigLoader.Loaded loaded, AppConfig app) {
    if (!app.http().isEnabled()) {
      return Future.succeededFuture();
    }
    HttpFrontVerticle f = new HttpFrontVerticle(app.http(), deployments);
    return vertx.deployVerticle(f)
      .recover(err -> Future.failedFuture(loaded.locate(new ConfigException("http", "the HTTP front failed to listen on "
        + LogValues.safe(app.http().getHost(), 100) + ":" + app.http().getPort() + ": " + oneLine(err)
        + " — choose another port with -Dloopkit.http.port=N or LOOPKIT_HTTP__PORT=N"))))
      .map(id -> {
        front = f;
        deployments.put("http", id);
        return null;
      });
  }

  private void printBanner(String source, AppConfig app, long ms) {
    StringBuilder sb = new StringBuilder();
    sb.append("loopkit started in ").append(ms).append(" ms with ").append(source).append('\n');
    banner.forEach(l -> sb.append(l).append('\n'));
    if (vertx.isClustered()) {
      sb.append(String.format("  %-16s %s%n", "cluster", ClusteredVertx.describe(vertx)));
    }
    if (front != null) {
      String base = "http://" + app.http().getHost() + ":" + front.actualPort();
      sb.append(String.format("  %-16s %s  %s%n", "http front", base, HttpFrontVerticle.routes(app.http().getHost())));
      sb.append("try: curl -s ").append(base).append("/health");
    } else {
      sb.append("http front disabled (http.enabled=false)");
    }
    System.out.println(sb);
  }
}
