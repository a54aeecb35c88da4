package dev.loopkit.console.impl;

import java.util.List;

/** Which stack frames the console highlights as application code: everything outside the platform. */
final class Frames {

  /** Class-name prefixes of the JDK, Netty, Vert.x, loopkit's own machinery and the libraries it ships with. */
  static final List<String> PLATFORM = List.of("java.", "javax.", "jdk.", "sun.", "com.sun.", "io.netty.",
    "io.vertx.core.", "io.vertx.ext.", "io.vertx.micrometer.", "io.vertx.config.", "io.vertx.circuitbreaker.",
    "io.vertx.launcher.", "io.vertx.spi.", "io.vertx.junit5.", "dev.loopkit.async.", "dev.loopkit.blocking.impl.",
    "dev.loopkit.bus.", "dev.loopkit.http.", "dev.loopkit.fetch.impl.", "dev.loopkit.timeout.impl.",
    "dev.loopkit.console.impl.", "dev.loopkit.metrics.", "com.fasterxml.", "io.micrometer.", "org.HdrHistogram.",
    "org.slf4j.", "ch.qos.", "com.hazelcast.", "org.junit.", "org.apache.maven.");

  private Frames() {
  }

  static boolean application(String className) {
    if (className == null || className.isEmpty()) {
      return false;
    }
    for (String p : PLATFORM) {
      if (className.startsWith(p)) {
        return false;
      }
    }
    return true;
  }
}
