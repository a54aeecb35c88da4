package dev.loopkit.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code -conf} argument the Vert.x launcher was started with, read from the process command line.
 *
 * <p>The launcher hands the main verticle the <em>content</em> of {@code -conf FILE}, not its name, and
 * silently substitutes {@code {}} when the file is not valid JSON. To report a bad file by name, line and
 * column instead of starting on an empty config, {@link dev.loopkit.MainVerticle} looks the argument up
 * here ({@link ProcessHandle.Info#arguments()}, falling back to {@code sun.java.command}).
 */
public final class LaunchArguments {

  private LaunchArguments() {
  }

  /** @return the value of {@code -conf}/{@code --conf} (any case, {@code -conf X} or {@code -conf=X}), if given */
  public static Optional<String> confArgument() {
    return confArgument(arguments());
  }

  /** @return the value of {@code -conf} in {@code args}, if given */
  public static Optional<String> confArgument(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      String lower = a.toLowerCase(Locale.ROOT);
      if ((lower.equals("-conf") || lower.equals("--conf")) && i + 1 < args.size()) {
        return Optional.of(args.get(i + 1));
      }
      if (lower.startsWith("-conf=") || lower.startsWith("--conf=")) {
        return Optional.of(a.substring(a.indexOf('=') + 1));
      }
    }
    return Optional.empty();
  }

  private static List<String> arguments() {
    Optional<String[]> fromProcess = ProcessHandle.current().info().arguments();
    if (fromProcess.isPresent()) {
      return Arrays.asList(fromProcess.get());
    }
    String command = System.getProperty("sun.java.command");
    return command == null ? new ArrayList<>() : Arrays.asList(command.split(" "));
  }
}
