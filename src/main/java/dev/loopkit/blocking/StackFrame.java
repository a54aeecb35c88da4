package dev.loopkit.blocking;

import io.vertx.core.json.JsonObject;

import java.util.Objects;

/**
 * One frame of a blocked thread's stack, as in incident JSON: {@code {"class", "method", "file", "line"}}.
 * The culprit of an incident is a frame. {@link #toString()} is the familiar
 * {@code com.acme.Prices.load(Prices.java:42)}.
 */
public final class StackFrame {

  private final String className;
  private final String method;
  private final String file;
  private final int line;

  public StackFrame(String className, String method, String file, int line) {
    this.className = Objects.requireNonNull(className, "className");
    this.method = Objects.requireNonNull(method, "method");
    this.file = file;
    this.line = line;
  }

  /** @return a frame of a {@link StackTraceElement} */
  public static StackFrame of(StackTraceElement e) {
    return new StackFrame(e.getClassName(), e.getMethodName(), e.getFileName(), e.getLineNumber());
  }

  /** @return the frame described by {@code json} ({@code class} and {@code method} required) */
  public static StackFrame fromJson(JsonObject json) {
    Integer line = json.getInteger("line");
    return new StackFrame(json.getString("class"), json.getString("method"), json.getString("file"),
      line == null ? -1 : line);
  }

  /** @return the fully qualified class name */
  public String className() {
    return className;
  }

  /** @return the method name ({@code <init>} for constructors, {@code lambda$start$0} for lambdas) */
  public String method() {
    return method;
  }

  /** @return the source file name, or {@code null} when unknown */
  public String file() {
    return file;
  }

  /** @return the line number, or a negative number when unknown */
  public int line() {
    return line;
  }

  /** @return {@code file:line}, e.g. {@code Prices.java:42} ({@code Unknown Source} when unknown) */
  public String location() {
    if (file == null) {
      return "Unknown Source";
    }
    return line >= 0 ? file + ":" + line : file;
  }

  /** @return {@code class.method}, the key culprits are grouped by (with the line: {@link #toString()}) */
  public String methodKey() {
    return className + "." + method;
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("class", className).put("method", method);
    json.put("file", file);
    json.put("line", line);
    return json;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof StackFrame)) {
      return false;
    }
    StackFrame f = (StackFrame) o;
    return line == f.line && className.equals(f.className) && method.equals(f.method) && Objects.equals(file, f.file);
  }

  @Override
  public int hashCode() {
    return Objects.hash(className, method, file, line);
  }

  @Override
  public String toString() {
    return className + "." + method + "(" + location() + ")";
  }
}
