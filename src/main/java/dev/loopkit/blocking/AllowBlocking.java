package dev.loopkit.blocking;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A known, accepted block, with the reason it is accepted. One annotation for every layer:
 *
 * <ul>
 *   <li><b>runtime</b>: an incident whose stack passes through an annotated method or constructor (or a
 *   method of an annotated class, or a lambda inside an annotated method) is still published, with
 *   {@code "allowed": "<reason>"}, but logged at INFO instead of WARN;</li>
 *   <li><b>tests</b>: on a test method or class, {@link BlockingExtension} does not fail the test for it;
 *   on code under test, it does not fail for incidents allowed as above;</li>
 *   <li><b>ArchUnit</b>: {@link BlockingRules} skips calls made from annotated code — the documented
 *   suppression, e.g. on a worker verticle or on a method only ever run through {@code executeBlocking}.</li>
 * </ul>
 *
 * <pre>{@code
 * @AllowBlocking("runs only via executeBlocking (see PricesVerticle.start)")
 * private Prices loadFromDisk() { ... }
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.CONSTRUCTOR})
public @interface AllowBlocking {

  /** @return why this block is acceptable (shown in logs, incidents and test reports); must not be empty */
  String value();
}
