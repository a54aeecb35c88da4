package dev.loopkit.blocking;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.loopkit.blocking.archfixtures.AllowedWorkerVerticle;
import dev.loopkit.blocking.archfixtures.AwaitOnLoopVerticle;
import dev.loopkit.blocking.archfixtures.BadVerticle;
import dev.loopkit.blocking.archfixtures.JdbcVerticle;
import dev.loopkit.blocking.archfixtures.OkVerticle;
import dev.loopkit.blocking.archfixtures.PlainServer;
import dev.loopkit.blocking.archfixtures.SleepyHandler;
import dev.loopkit.blocking.archfixtures.VirtualThreadVerticle;
import dev.loopkit.blocking.archfixtures.WorkerLambdasVerticle;
import dev.loopkit.blocking.archfixtures.WorkerVerticle;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("BlockingRules (ArchUnit)")
class BlockingRulesTest {

  static final JavaClasses FIXTURES = new ClassFileImporter().importPackages("dev.loopkit.blocking.archfixtures");

  static List<String> violations(ArchRule rule) {
    EvaluationResult result = rule.evaluate(FIXTURES);
    return result.getFailureReport().getDetails();
  }

  static List<String> of(List<String> violations, Class<?> c) {
    return violations.stream().filter(v -> v.startsWith(c.getName() + ".")).collect(Collectors.toList());
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
      .anySatisfy(s -> assertThat(s).startsWith(bad + " calls File.exists (BadVerticle.java:24) in a lambda handed to EventBus.consumer [file]"));
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(SleepyHandler.class.getName() + ".handle(io.vertx.core.eventbus.Message) calls Thread.sleep"));
    assertThat(of(v, BadVerticle.class)).hasSize(7);
  }

  @Test
  @DisplayName("@AllowBlocking (method or class), executeBlocking lambdas and non-event-loop classes are not flagged")
  void suppression() {
    List<String> v = violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE);
    assertThat(of(v, OkVerticle.class)).isEmpty();
    assertThat(of(v, AllowedWorkerVerticle.class)).isEmpty();
    assertThat(v).noneMatch(s -> s.contains("Repository"));
  }

  @Test
  @DisplayName("a handler lambda registered in a plain class (no verticle, no Handler) is checked")
  void lambdas_in_any_class() {
    List<String> v = of(violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE), PlainServer.class);
    assertThat(v).singleElement().asString()
      .startsWith(PlainServer.class.getName() + ".start(io.vertx.core.Vertx) calls Thread.sleep (PlainServer.java:14) "
        + "in a lambda handed to HttpServer.requestHandler [sleep]");
  }

  @Test
  @DisplayName("Thread.sleep in a multi-line executeBlocking lambda, in router.blockingHandler and in a method handed to executeBlocking is not flagged; in an onSuccess lambda it is")
  void worker_lambdas() {
    List<String> v = of(violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE), WorkerLambdasVerticle.class);
    assertThat(v).singleElement().asString()
      .startsWith(WorkerLambdasVerticle.class.getName() + ".start() calls Thread.sleep (WorkerLambdasVerticle.java:30) "
        + "in a lambda handed to Future.onSuccess [sleep]");
  }

  @Test
  @DisplayName("Future.await() is allowed in a virtual-thread verticle and flagged in an event-loop one; a worker verticle needs no annotation")
  void vertx5_threading_models() {
    List<String> v = violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE);
    assertThat(of(v, VirtualThreadVerticle.class)).isEmpty();
    assertThat(of(v, WorkerVerticle.class)).isEmpty();
    assertThat(of(v, AwaitOnLoopVerticle.class)).singleElement().asString()
      .startsWith(AwaitOnLoopVerticle.class.getName() + ".start() calls Future.await (AwaitOnLoopVerticle.java:11) [park]");
  }

  @Test
  @DisplayName("users add their own known-blocking APIs (a JDBC driver) by class and method names")
  void user_apis() {
    assertThat(of(violations(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE), JdbcVerticle.class)).isEmpty();
    List<String> v = of(violations(BlockingRules.noBlockingCalls(
      BlockingApi.of("java.sql.Connection", "*").kind(BlockingKind.SOCKET),
      BlockingApi.of("java.sql.Statement", "execute*").kind(BlockingKind.SOCKET))), JdbcVerticle.class);
    assertThat(v).hasSize(2);
    assertThat(v).anySatisfy(s -> assertThat(s).startsWith(JdbcVerticle.class.getName() + ".start() calls Connection.createStatement (JdbcVerticle.java:16) [socket]"));
    assertThat(v).anySatisfy(s -> assertThat(s).contains("calls Statement.executeQuery (JdbcVerticle.java:16) [socket]"));
    assertThat(of(violations(BlockingRules.noBlockingCalls(BlockingApi.of("java.sql.", "*"))), JdbcVerticle.class))
      .as("a package prefix").anySatisfy(s -> assertThat(s).contains("calls ResultSet.next (JdbcVerticle.java:17) [unknown]"));
    assertThatThrownBy(() -> BlockingApi.of("java.sql.Connection")).hasMessageContaining("give at least one method name");
    assertThatThrownBy(() -> BlockingApi.of(" ", "x")).hasMessageContaining("owner must be a class name");
  }

  @Test
  @DisplayName("synchronized methods in event-loop code are flagged by their own rule")
  void synchronized_methods() {
    List<String> v = violations(BlockingRules.NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE);
    assertThat(v).singleElement().asString().startsWith(BadVerticle.class.getName() + ".counter() is synchronized").contains("[monitor]");
  }

  @Test
  @DisplayName("the clean corpus has no violation")
  void corpus_is_clean() {
    JavaClasses corpus = new ClassFileImporter().importPackages("dev.loopkit.blocking.corpus");
    assertThat(BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE.evaluate(corpus).getFailureReport().getDetails())
      .filteredOn(s -> s.startsWith("dev.loopkit.blocking.corpus.") && !s.contains("Test.") && !s.contains("Runner."))
      .isEmpty();
  }

  @Test
  @DisplayName("the known blocking APIs are listed for the docs")
  void known_apis() {
    assertThat(BlockingRules.knownBlockingApis()).anySatisfy(s -> assertThat(s).startsWith("java.lang.Thread.sleep [sleep]"));
  }
}
