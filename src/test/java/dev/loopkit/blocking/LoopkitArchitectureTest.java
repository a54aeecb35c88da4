package dev.loopkit.blocking;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/** loopkit eats its own cooking: its own verticles and handlers pass {@link BlockingRules}. */
@DisplayName("loopkit's own event-loop code passes BlockingRules")
class LoopkitArchitectureTest {

  static final JavaClasses LOOPKIT = new ClassFileImporter()
    .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
    .importPackages("dev.loopkit");

  /** The tutorial's examples that block a loop on purpose, to show what the checker reports. */
  static final DescribedPredicate<JavaClass> BLOCKS_ON_PURPOSE = JavaClass.Predicates.belongToAnyOf(
    dev.loopkit.examples.BlockingLoopExample.class, dev.loopkit.examples.AsyncFromSyncExample.class);

  @Test
  void no_blocking_calls_in_loopkit_event_loop_code() {
    classes().that(DescribedPredicate.not(BLOCKS_ON_PURPOSE)).should(BlockingRules.notCallBlockingApis()).check(LOOPKIT);
  }

  @Test
  void no_synchronized_methods_in_loopkit_event_loop_code() {
    BlockingRules.NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE.check(LOOPKIT);
  }
}
