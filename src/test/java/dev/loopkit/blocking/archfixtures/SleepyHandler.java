package dev.loopkit.blocking.archfixtures;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;

/** Fixture for BlockingRulesTest: a handler class that blocks. */
public class SleepyHandler implements Handler<Message<Object>> {

  @Override
  public void handle(Message<Object> m) {
    try {
      Thread.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    m.reply("late");
  }
}
