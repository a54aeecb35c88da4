package dev.loopkit.blocking.corpus;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * Runs corpus classes, in the order given, in this (cold) JVM through the JUnit Platform launcher, as a
 * user's build would, and prints one line {@code CORPUS <json>} per class: tests passed/failed/skipped, the
 * findings that failed tests, the checker's WARN lines, and the records the extension did not fail on
 * (with why); then {@code CORPUS-END}.
 */
public final class CorpusRunner {

  private CorpusRunner() {
  }

  /** @return the throwable and the first frames of its stack (for a blocking finding: the blocked stack) */
  static String describe(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    StringBuilder sb = new StringBuilder(t.toString());
    StackTraceElement[] st = t.getStackTrace();
    for (int i = 0; i < Math.min(25, st.length); i++) {
      sb.append("\n    at ").append(st[i]);
    }
    return sb.toString();
  }

  public static void main(String[] args) throws Exception {
    List<String> warns = new CopyOnWriteArrayList<>();
    List<String> excused = new CopyOnWriteArrayList<>();
    Logger blocking = (Logger) LoggerFactory.getLogger("dev.loopkit.blocking");
    AppenderBase<ILoggingEvent> counter = new AppenderBase<>() {
      @Override
      protected void append(ILoggingEvent e) {
        String m = e.getFormattedMessage();
        if (e.getLevel().isGreaterOrEqual(Level.WARN)) {
          StringBuilder sb = new StringBuilder(m);
          if (e.getThrowableProxy() != null) {
            ch.qos.logback.classic.spi.StackTraceElementProxy[] st = e.getThrowableProxy().getStackTraceElementProxyArray();
            for (int i = 0; i < Math.min(25, st.length); i++) {
              sb.append("\n    ").append(st[i].getSTEAsString());
            }
          }
          warns.add(sb.toString());
        } else if (m.startsWith("blocking check of ") && m.contains("[not failing: ")) {
          excused.add(m);
        }
      }
    };
    counter.setContext(blocking.getLoggerContext());
    counter.start();
    blocking.addAppender(counter);

    for (String name : args) {
      Class<?> type = Class.forName(name);
      warns.clear();
      excused.clear();
      JsonArray failures = new JsonArray();
      JsonArray skipped = new JsonArray();
      int[] counts = new int[3];
      long t0 = System.nanoTime();
      Launcher launcher = LauncherFactory.create();
      launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(type)).build(), new TestExecutionListener() {
        @Override
        public void executionSkipped(TestIdentifier id, String reason) {
          skipped.add(id.getDisplayName() + ": " + reason);
          counts[2]++;
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
          if (result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
            if (id.isTest()) {
              counts[0]++;
            }
          } else if (result.getStatus() == TestExecutionResult.Status.ABORTED) {
            skipped.add(id.getDisplayName() + ": " + result.getThrowable().map(Throwable::getMessage).orElse("aborted"));
            counts[2]++;
          } else {
            counts[1]++;
            failures.add(id.getDisplayName() + ": " + result.getThrowable().map(CorpusRunner::describe).orElse("failed"));
          }
        }
      });
      long ms = (System.nanoTime() - t0) / 1_000_000;
      int findings = 0;
      Pattern n = Pattern.compile("the test blocked an event loop \\((\\d+) finding");
      for (Object f : failures) {
        Matcher m = n.matcher((String) f);
        while (m.find()) {
          findings += Integer.parseInt(m.group(1));
        }
      }
      List<String> w = List.copyOf(warns);
      List<String> x = List.copyOf(excused);
      System.out.println("CORPUS " + new JsonObject()
        .put("class", type.getSimpleName())
        .put("strict", System.getProperty("loopkit.blocking.strict"))
        .put("passed", counts[0])
        .put("failed", counts[1])
        .put("skipped", counts[2])
        .put("findings", findings)
        .put("warns", w.size())
        .put("excused", x.size())
        .put("ms", ms)
        .put("failures", failures)
        .put("skips", skipped)
        .put("warnLines", new JsonArray(w.subList(0, Math.min(10, w.size()))))
        .put("excusedLines", new JsonArray(x.subList(0, Math.min(10, x.size()))))
        .encode());
      System.out.flush();
    }
    blocking.detachAppender(counter);
    System.out.println("CORPUS-END");
    System.out.flush();
    System.exit(0);
  }
}
