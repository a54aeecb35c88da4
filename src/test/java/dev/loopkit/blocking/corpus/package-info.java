/**
 * The clean corpus (issue 10): small, correct Vert.x programs written the way the Vert.x documentation and
 * examples write them — {@code System.out.println} logging included — each with its test, as a user would
 * write it: {@code VertxExtension} + {@code @CheckBlocking} with its defaults, and traffic. They are run by
 * {@link dev.loopkit.blocking.corpus.BlockingCorpusTest}, each in a cold JVM of its own, never directly by
 * the build (they need {@code -Dloopkit.blocking.corpus=true}).
 */
package dev.loopkit.blocking.corpus;
