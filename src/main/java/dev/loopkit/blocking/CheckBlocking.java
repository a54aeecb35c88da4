package dev.loopkit.blocking;

import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Fails a test whose code blocks an event loop; configures {@link BlockingExtension} (and registers it, so
 * this annotation alone is enough next to {@code @ExtendWith(VertxExtension.class)}). On a class, applies
 * to its tests; on a method, overrides the class.
 *
 * <pre>{@code
 * @ExtendWith(VertxExtension.class)
 * @CheckBlocking(thresholdMs = 100)
 * class PricesVerticleTest { ... }
 * }</pre>
 */
@Documented
@Inherited
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(BlockingExtension.class)
public @interface CheckBlocking {

  /** @return an event loop busy this long with one task fails the test (the watchdog) */
  long thresholdMs() default 100;

  /**
   * @return also fail on short calls that block by nature (a 1 ms sleep, a blocking socket or file read, a
   * contended monitor, a {@code get()}...) found by JFR — never on Netty's non-blocking I/O, console output or
   * JVM warm-up (see {@link BlockingCheckerOptions#setStrict}); costs up to ~1 s per test, waiting for JFR's
   * next flush. {@code -Dloopkit.blocking.strict=true|false} overrides it for a whole run. The default stays
   * {@code true}: on the clean corpus of 25 Vert.x programs it reports nothing (README, "Blocking checker")
   */
  boolean strict() default true;

  /** @return before the first test of the class, prove detection is live by blocking a loop on purpose */
  boolean canary() default true;
}
