package dev.loopkit.blocking;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.loopkit.blocking.archfixtures.AllowedWorkerVerticle;
import dev.loopkit.blocking.archfixtures.BadVerticle;
import dev.loopkit.blocking.archfixtures.OkVerticle;
import dev.loopkit.blocking.archfixtures.SleepyHandler;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("BlockingRules (ArchUnit)")
class BlockingRulesTest {

  static final JavaClasses FIXTURES = new ClassFileImporter().importPackages("dev.loopkit.blocking.archfixtures");

  static List<String> violations(com.tngtech.archunit.lang.ArchRule rule) {
    EvaluationResult result = rule.evaluate(FIXTURES);
    return result.getFailureReport().getDetails();
  }

  @Test
  @DisplayName("flags each known blocking call in verticles and handlers, with file:line, kind and what to do")
  void flags_blocking_calls() {
    List<String> v = violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE);
    String bad = BadVerticle.class.getName() + ".start()";
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls Thread.sleep (BadVerticle.java:18) [sleep]")
      .contains("use vertx.timer").contains("@AllowBlocking(\"reason\")"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls Files.readAllBytes (BadVerticle.java:19) [file]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls FileInputStream.<init> (BadVerticle.java:20) [file]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls CompletableFuture.get (BadVerticle.java:21) [park]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls InetAddress.getByName (BadVerticle.java:22) [dns]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(bad + " calls ProcessBuilder.start (BadVerticle.java:23) [process]"));
    assertThat(v).as("a lambda's body is attributed to the method declaring it")
      .anySatisfy(s -> assertThat(s).startsWith(bad + " calls File.exists (BadVerticle.java:24) [file]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(SleepyHandler.class.getName() + ".handle(io.vertx.core.eventbus.Message) calls Thread.sleep"));
  }

  @Test
  @DisplayName("@AllowBlocking (method or class), executeBlocking one-liners and non-event-loop classes are not flagged")
  void suppression() {
    List<String> v = violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE);
    assertThat(v).noneMatch(s -> s.contains(OkVerticle.class.getName()));
    assertThat(v).noneMatch(s -> s.contains(AllowedWorkerVerticle.class.getName()));
    assertThat(v).noneMatch(s -> s.contains("Repository"));
    assertThat(v).hasSize(8);
  }

  @Test
  @DisplayName("synchronized methods in event-loop code are flagged by their own rule")
  void synchronized_methods() {
    List<String> v = violations(BlockingRules.NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE);
    assertThat(v).singleElement().asString().startsWith(BadVerticle.class.getName() + ".counter() is synchronized").contains("[monitor]");
  }

  @Test
  @DisplayName("the known blocking APIs are listed for the docs")
  void known_apis() {
    assertThat(BlockingRules.knownBlockingApis()).anySatisfy(s -> assertThat(s).startsWith("java.lang.Thread.sleep [sleep]"));
  }
}
