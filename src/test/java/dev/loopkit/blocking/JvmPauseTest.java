package dev.loopkit.blocking;

import dev.loopkit.blocking.child.ChildJvm;
import dev.loopkit.blocking.child.PausedJvmMain;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 9: a JVM stopped with SIGSTOP for 2 s and continued is a pause of the whole JVM — reported once as
 * kind {@code pause} with {@code pausedMs}, counted in {@code jvmPauses} — never an event loop "blocked in
 * framework code". Real: a child JVM with Vert.x, traffic and the checker, stopped and continued by the
 * test with {@code kill}.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
@DisplayName("a stopped JVM (SIGSTOP/SIGCONT)")
class JvmPauseTest {

  @Test
  @DisplayName("is reported as one JVM pause, never as a blocked event loop")
  void sigstop_is_a_pause_not_a_block() throws Exception {
    try (ChildJvm child = ChildJvm.start(List.of("-Xmx256m"), PausedJvmMain.class)) {
      child.await("READY"::equals, 60_000, "READY");
      child.signal("STOP");
      // the child is stopped: waiting for it to exit is a bounded wait of 2 s (it cannot exit while stopped)
      assertThat(child.runningAfter(2_000)).isTrue();
      child.signal("CONT");
      String pause = child.await(l -> l.startsWith("RECORD ") && l.contains("\"kind\":\"pause\""), 20_000, "a pause record");
      child.send("drain");
      String report = child.await(l -> l.startsWith("REPORT "), 30_000, "the report");

      JsonObject p = new JsonObject(pause.substring("RECORD ".length()));
      assertThat(p.getString("thread")).isEqualTo("*");
      assertThat(p.getLong("pausedMs")).isBetween(1_500L, 10_000L);
      assertThat(p.getValue("culprit")).isNull();
      List<String> lines = child.lines();
      List<String> afterReady = lines.subList(lines.indexOf("READY"), lines.size());
      List<JsonObject> records = afterReady.stream()
        .filter(l -> l.startsWith("RECORD "))
        .map(l -> new JsonObject(l.substring("RECORD ".length())))
        .filter(r -> !"pause".equals(r.getString("kind")) && !"gc".equals(r.getString("kind")))
        .collect(Collectors.toList());
      // nothing else stalls for long in the child: the 2 s stop must not show up in any other record, and no
      // record may be one a @CheckBlocking test would fail on (a busy 2-core machine may add warm-up or
      // overload records, which never fail a test)
      assertThat(records).as("records blaming the pause on a loop")
        .noneMatch(r -> r.getLong("durationMs") >= 1_000)
        .noneMatch(r -> TestWatch.excused(new BlockingIncident(r), new TestWatch.Window("pause", null)) == null);
      assertThat(afterReady).as("WARN lines of the checker").noneMatch(l -> l.matches("^[0-9:.]+ WARN .*") && l.contains("dev.loopkit.blocking"));
      JsonObject totals = new JsonObject(report.substring("REPORT ".length())).getJsonObject("totals");
      assertThat(totals.getLong("jvmPauses")).isGreaterThanOrEqualTo(1);
      assertThat(totals.getLong("jvmPausedMs")).isGreaterThanOrEqualTo(1_500);
    }
  }
}
