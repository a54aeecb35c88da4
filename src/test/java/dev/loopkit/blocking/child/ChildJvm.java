package dev.loopkit.blocking.child;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A child JVM running a test main on the test class path, with its output read line by line on a daemon
 * thread; the test waits for lines with bounded polls ({@link #await}) — never a sleep.
 */
public final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> all = java.util.Collections.synchronizedList(new ArrayList<>());

  private ChildJvm(Process process) {
    this.process = process;
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          all.add(line);
          lines.add(line);
        }
      } catch (IOException e) {
        // the child is gone
      }
      lines.add(EOF);
    }, "child-jvm-reader");
    reader.setDaemon(true);
    reader.start();
  }

  private static final String EOF = "\u0000EOF";

  /** Starts {@code java [jvmArgs] mainClass [args]} with this JVM's test class path; stderr goes to stdout. */
  public static ChildJvm start(List<String> jvmArgs, Class<?> mainClass, String... args) throws IOException {
    return start(jvmArgs, List.of(), mainClass, args);
  }

  /** Like {@link #start(List, Class, String...)}, with {@code extraClassPath} entries first on the class path. */
  public static ChildJvm start(List<String> jvmArgs, List<String> extraClassPath, Class<?> mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    List<String> cp = new ArrayList<>(extraClassPath);
    cp.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(String.join(java.io.File.pathSeparator, cp));
    cmd.addAll(jvmArgs);
    cmd.add(mainClass.getName());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    return new ChildJvm(pb.start());
  }

  /** @return the first line from now on matching {@code test}; fails after {@code ms} or when the child exits */
  public String await(Predicate<String> test, long ms, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    while (true) {
      long left = deadline - System.nanoTime();
      String line = left <= 0 ? null : lines.poll(left, TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("child JVM: no " + what + " within " + ms + " ms; output so far:\n" + output());
      }
      if (line.equals(EOF)) {
        throw new AssertionError("child JVM exited (" + exitText() + ") before " + what + "; output:\n" + output());
      }
      if (test.test(line)) {
        return line;
      }
    }
  }

  private String exitText() {
    try {
      return process.waitFor(5, TimeUnit.SECONDS) ? "code " + process.exitValue() : "still running";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "?";
    }
  }

  /** Sends one line to the child's stdin. */
  public void send(String line) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** @return every line the child printed so far */
  public List<String> lines() {
    synchronized (all) {
      return new ArrayList<>(all);
    }
  }

  public String output() {
    return String.join("\n", lines());
  }

  public long pid() {
    return process.pid();
  }

  /** Sends {@code signal} (e.g. {@code STOP}, {@code CONT}) to the child with {@code kill}. */
  public void signal(String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new AssertionError("kill -" + signal + " " + process.pid() + " failed");
    }
  }

  /** @return whether the child is still running after waiting up to {@code ms} for it to exit */
  public boolean runningAfter(long ms) throws InterruptedException {
    return !process.waitFor(ms, TimeUnit.MILLISECONDS);
  }

  /** @return the exit code, waiting up to {@code ms} */
  public int exitCode(long ms) throws InterruptedException {
    if (!process.waitFor(ms, TimeUnit.MILLISECONDS)) {
      throw new AssertionError("child JVM still running after " + ms + " ms; output:\n" + output());
    }
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
