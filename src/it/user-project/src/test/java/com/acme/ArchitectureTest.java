package com.acme;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.loopkit.blocking.BlockingApi;
import dev.loopkit.blocking.BlockingRules;

/** loopkit's static rules over the user's own code. */
@AnalyzeClasses(packages = "com.acme", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  // the built-in known-blocking APIs, plus the project's own (a JDBC driver here)
  @ArchTest
  static final ArchRule noBlockingCalls = BlockingRules.noBlockingCalls(BlockingApi.of("java.sql.Connection", "*"));

  @ArchTest
  static final ArchRule noSynchronizedHandlers = BlockingRules.NO_SYNCHRONIZED_METHODS_IN_EVENT_LOOP_CODE;
}
