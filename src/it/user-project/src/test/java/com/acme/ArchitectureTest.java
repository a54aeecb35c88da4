package com.acme;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.loopkit.blocking.BlockingRules;

/** loopkit's static rule over the user's own code. */
@AnalyzeClasses(packages = "com.acme", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

  @ArchTest
  static final ArchRule noBlockingCalls = BlockingRules.NO_BLOCKING_CALLS_IN_EVENT_LOOP_CODE;
}
