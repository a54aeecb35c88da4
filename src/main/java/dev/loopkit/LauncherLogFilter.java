package dev.loopkit;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import dev.loopkit.config.ConfigException;

/**
 * Keeps a failed start-up to one log line. {@link MainVerticle} already logs the problem — a config error,
 * or a failure found while deploying (a verticle that cannot start, a port in use), both a
 * {@link ConfigException} — with file, JSON path and cause; this Logback filter drops the launcher's
 * echoes of it: its "Failed in deploying verticle" repeat (with some 70 stack frames) of a
 * {@link ConfigException}, at any depth of the cause chain, and its "conf option does not point to a valid
 * JSON file" warning (which names neither file nor position). Installed by {@code logback.xml}.
 */
public class LauncherLogFilter extends Filter<ILoggingEvent> {

  static final String LAUNCHER_LOGGER = "io.vertx.launcher.application.VertxApplication";

  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (!LAUNCHER_LOGGER.equals(event.getLoggerName())) {
      return FilterReply.NEUTRAL;
    }
    for (IThrowableProxy thrown = event.getThrowableProxy(); thrown != null; thrown = thrown.getCause()) {
      if (ConfigException.class.getName().equals(thrown.getClassName())) {
        return FilterReply.DENY;
      }
    }
    String message = event.getFormattedMessage();
    if (message != null && message.startsWith("The conf option does not point")) {
      return FilterReply.DENY;
    }
    return FilterReply.NEUTRAL;
  }
}
