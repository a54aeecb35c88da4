package dev.loopkit;

import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigLoader;
import dev.loopkit.config.ConfiguredVerticle;
import dev.loopkit.config.LaunchArguments;
import dev.loopkit.config.VerticleSpec;
import dev.loopkit.http.HttpFrontVerticle;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The application: loads the config, validates all of it, then deploys the configured verticles in file
 * order and the HTTP front, and prints what runs where.
 *
 * <p>Where the config comes from:
 * <ul>
 *   <li>{@code java -jar loopkit-fat.jar}: the embedded default, class-path {@value ConfigLoader#DEFAULT_RESOURCE};</li>
 *   <li>{@code java -jar loopkit-fat.jar -conf FILE}: that file (its content is also what the launcher
 *   passes as {@code config()}, but the file is re-read so that errors can name it, with line and
 *   column);</li>
 *   <li>deployed from code with a non-empty {@code config()}: that object.</li>
 * </ul>
 * Environment and system-property overrides apply to files (see {@link ConfigLoader}). Any problem fails
 * start-up — the launcher then exits with a non-zero code — after one ERROR line naming the file, the
 * JSON path and the problem.
 */
public class MainVerticle extends VerticleBase {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MainVerticle.class);

  private final Map<String, String> deployments = new LinkedHashMap<>();
  private final List<String> banner = new ArrayList<>();
  private HttpFrontVerticle front;

  @Override
  public Future<?> start() {
    long started = System.nanoTime();
    return loadConfig()
      .compose(loaded -> {
        AppConfig app;
        try {
          app = AppConfig.read(loaded.json());
        } catch (ConfigException e) {
          return Future.failedFuture(loaded.locate(e));
        }
        return deployAll(app)
          .compose(v -> deployFront(app))
          .onSuccess(v -> printBanner(loaded.source(), app, (System.nanoTime() - started) / 1_000_000));
      })
      .onFailure(err -> LOG.error("loopkit did not start: {}", err.getMessage()));
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
    Optional<String> conf = LaunchArguments.confArgument();
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

  private Future<Void> deployAll(AppConfig app) {
    Future<Void> chain = Future.succeededFuture();
    for (VerticleSpec spec : app.verticles()) {
      chain = chain.compose(v -> deploy(spec));
    }
    return chain;
  }

  private Future<Void> deploy(VerticleSpec spec) {
    List<Deployable> instances = new ArrayList<>();
    Supplier<Deployable> supplier = () -> {
      try {
        Deployable d = (Deployable) Class.forName(spec.className()).getDeclaredConstructor().newInstance();
        synchronized (instances) {
          instances.add(d);
        }
        return d;
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot instantiate " + spec.className() + ": " + e, e);
      }
    };
    return vertx.deployVerticle(supplier, spec.deploymentOptions())
      .recover(err -> Future.failedFuture(new IllegalStateException("verticles." + spec.name() + " ("
        + spec.className() + ") failed to start: " + err.getMessage()
        + " — fix its config section or free the resource it needs", err)))
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

  private Future<Void> deployFront(AppConfig app) {
    if (!app.http().isEnabled()) {
      return Future.succeededFuture();
    }
    HttpFrontVerticle f = new HttpFrontVerticle(app.http(), deployments);
    return vertx.deployVerticle(f)
      .recover(err -> Future.failedFuture(new IllegalStateException("http front failed to listen on "
        + app.http().getHost() + ":" + app.http().getPort() + ": " + err.getMessage()
        + " — choose another port with -Dloopkit.http.port=N or LOOPKIT_HTTP__PORT=N", err)))
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
    if (front != null) {
      String base = "http://" + app.http().getHost() + ":" + front.actualPort();
      sb.append(String.format("  %-16s %s  %s%n", "http front", base, HttpFrontVerticle.routes()));
      sb.append("try: curl -s ").append(base).append("/health");
    } else {
      sb.append("http front disabled (http.enabled=false)");
    }
    System.out.println(sb);
  }
}
