package dev.loopkit;

import dev.loopkit.cluster.ClusterOptions;
import dev.loopkit.cluster.ClusteredVertx;
import dev.loopkit.config.AppConfig;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigLoader;
import dev.loopkit.config.LaunchArguments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@link Launcher} decides before Vert.x exists: it reads the {@code cluster} section of the same
 * config {@link MainVerticle} will read ({@code -conf FILE}, {@code -conf '{…}'}, or the embedded default,
 * with the same overrides), validates it — keys, ranges, members, a host that is an address of this
 * machine, a user's Hazelcast XML that exists — and, when the section is enabled, adds {@code -cluster} to
 * the launcher's arguments so that Vert.x is built clustered before any verticle deploys.
 */
final class ClusterLaunch {

  private final String[] arguments;
  private final String source;
  private final ClusterOptions cluster;
  private final ConfigException error;

  private ClusterLaunch(String[] arguments, String source, ClusterOptions cluster, ConfigException error) {
    this.arguments = arguments;
    this.source = source;
    this.cluster = cluster;
    this.error = error;
  }

  /** Reads and checks the cluster section for a launch with {@code args}; never throws (see {@link #error()}). */
  static ClusterLaunch prepare(String[] args) {
    List<String> list = Arrays.asList(args);
    ConfigLoader.Loaded loaded;
    try {
      loaded = load(list);
    } catch (ConfigException e) {
      return new ClusterLaunch(args, e.source(), null, e);
    }
    ClusterOptions cluster;
    try {
      cluster = AppConfig.cluster(loaded.json());
      if (cluster.isEnabled()) {
        try {
          ClusteredVertx.checked(cluster);
        } catch (ConfigException e) {
          // -Dvertx.hazelcast.config names its own source; the host check names a key of the section
          throw e.source() != null ? e : e.within(null, "cluster");
        }
      }
    } catch (ConfigException e) {
      return new ClusterLaunch(args, loaded.source(), null, e.source() != null ? e : loaded.locate(e));
    }
    if (!cluster.isEnabled() || hasClusterFlag(list)) {
      return new ClusterLaunch(args, loaded.source(), cluster, null);
    }
    List<String> withFlag = new ArrayList<>(list);
    withFlag.add("-cluster");
    return new ClusterLaunch(withFlag.toArray(new String[0]), loaded.source(), cluster, null);
  }

  private static ConfigLoader.Loaded load(List<String> args) {
    Optional<String> conf = LaunchArguments.confArgument(args);
    if (conf.isEmpty()) {
      return ConfigLoader.loadNow(ConfigLoader.DEFAULT_RESOURCE).renamed("classpath:" + ConfigLoader.DEFAULT_RESOURCE);
    }
    String arg = conf.get();
    if (ConfigLoader.exists(arg)) {
      return ConfigLoader.loadNow(arg);
    }
    try {
      return ConfigLoader.applyArgument("-conf argument", arg);
    } catch (ConfigException e) {
      throw new ConfigException(e.source(), e.path(), e.problem() + " (the -conf value is neither an existing file nor a JSON object)");
    }
  }

  private static boolean hasClusterFlag(List<String> args) {
    for (String a : args) {
      String lower = a.toLowerCase(Locale.ROOT);
      if (lower.equals("-cluster") || lower.equals("--cluster") || lower.equals("-c")) {
        return true;
      }
    }
    return false;
  }

  /** @return the launcher's arguments, with {@code -cluster} added when the section is enabled */
  String[] arguments() {
    return arguments.clone();
  }

  /** @return the config the section was read from, as a person would name it (may be {@code null} on error) */
  String source() {
    return source;
  }

  /** @return the enabled cluster section, or {@code null} (not enabled, or an error) */
  ClusterOptions enabledCluster() {
    return cluster != null && cluster.isEnabled() ? cluster : null;
  }

  /** @return the problem that stops start-up, naming the file and the JSON path; {@code null} when none */
  ConfigException error() {
    return error;
  }
}
