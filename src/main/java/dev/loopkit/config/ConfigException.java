package dev.loopkit.config;

/**
 * A configuration problem: where (source file and JSON path) and what. Its message is one line a person
 * can act on, e.g. {@code conf/application.json: verticles.fetch.config.maxInFlight: must be an integer
 * in [1, 1000000], got "ten"}.
 *
 * <p>Options classes throw it with a path relative to their own section; whoever knows the enclosing file
 * and path re-throws it {@link #within(String, String) within} them. It carries no stack trace: the
 * message is the whole story.
 */
public final class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String source;
  private final String path;
  private final String problem;

  public ConfigException(String path, String problem) {
    this(null, path, problem);
  }

  public ConfigException(String source, String path, String problem) {
    super(format(source, path, problem), null, false, false);
    this.source = source;
    this.path = path == null ? "" : path;
    this.problem = problem;
  }

  /** @return the file (or other source) the value came from, or {@code null} when not yet known */
  public String source() {
    return source;
  }

  /** @return the JSON path of the offending value, e.g. {@code verticles.fetch.config.maxInFlight} */
  public String path() {
    return path;
  }

  /** @return what is wrong, e.g. {@code must be an integer in [1, 100], got "ten"} */
  public String problem() {
    return problem;
  }

  /**
   * @param source the file the section was read from (kept if this exception already names one)
   * @param parentPath the JSON path of the section this exception's path is relative to
   * @return the same problem, located in {@code source} under {@code parentPath}
   */
  public ConfigException within(String source, String parentPath) {
    String full = ConfigReader.join(parentPath, path);
    return new ConfigException(this.source != null ? this.source : source, full, problem);
  }

  private static String format(String source, String path, String problem) {
    StringBuilder sb = new StringBuilder();
    if (source != null) {
      sb.append(source).append(": ");
    }
    if (path != null && !path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(problem).toString();
  }
}
