package dev.loopkit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxy;
import ch.qos.logback.core.spi.FilterReply;
import dev.loopkit.config.ConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("LauncherLogFilter: the launcher's repeat of a start-up failure is dropped, nothing else")
class LauncherLogFilterTest {

  private static LoggingEvent event(String logger, String message, Throwable thrown) {
    LoggingEvent e = new LoggingEvent();
    e.setLoggerName(logger);
    e.setLevel(Level.ERROR);
    e.setMessage(message);
    if (thrown != null) {
      e.setThrowableProxy(new ThrowableProxy(thrown));
    }
    return e;
  }

  @Test
  void drops_the_launchers_repeat_of_a_config_exception_at_any_depth() {
    ConfigException e = new ConfigException("c.json", "verticles.x", "failed to start: port in use");
    LauncherLogFilter filter = new LauncherLogFilter();
    assertThat(filter.decide(event(LauncherLogFilter.LAUNCHER_LOGGER, "Failed in deploying verticle", e)))
      .isEqualTo(FilterReply.DENY);
    assertThat(filter.decide(event(LauncherLogFilter.LAUNCHER_LOGGER, "Failed in deploying verticle",
      new IllegalStateException("wrapped", e)))).isEqualTo(FilterReply.DENY);
  }

  @Test
  void keeps_everything_else() {
    LauncherLogFilter filter = new LauncherLogFilter();
    assertThat(filter.decide(event(LauncherLogFilter.LAUNCHER_LOGGER, "Failed in deploying verticle",
      new IllegalStateException("a bug")))).isEqualTo(FilterReply.NEUTRAL);
    assertThat(filter.decide(event(MainVerticle.class.getName(), "loopkit did not start: c.json: x: y",
      new ConfigException("c.json", "x", "y")))).isEqualTo(FilterReply.NEUTRAL);
  }
}
