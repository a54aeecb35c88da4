package dev.loopkit.bus;

import io.vertx.core.Handler;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reply helpers shared by every loopkit consumer, so that every request gets exactly one answer.
 *
 * <ul>
 *   <li>{@link #fail(Message, FailureCode, String)} fails a request with a stable code.</li>
 *   <li>{@link #guarded(String, Handler)} wraps a consumer body in a catch-all that replies
 *   {@link FailureCode#INTERNAL} (as vertx-service-proxy's generated handlers do): a bug never leaves a
 *   caller waiting for its send timeout.</li>
 * </ul>
 */
public final class Replies {

  private static final Logger LOG = LoggerFactory.getLogger(Replies.class);
  private static final LogLimiter BUGS = new LogLimiter(60_000);

  private Replies() {
  }

  /** Fails {@code message} with {@code code} and {@code text}; a no-op for messages sent without reply. */
  public static void fail(Message<?> message, FailureCode code, String text) {
    if (message.replyAddress() != null) {
      message.reply(code.exception(text));
    }
  }

  /** Fails {@code message} with the code {@link FailureCode#of(Throwable) classified} from {@code failure}. */
  public static void fail(Message<?> message, Throwable failure) {
    if (failure instanceof ReplyException && ((ReplyException) failure).failureType() == io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE) {
      ReplyException re = (ReplyException) failure;
      fail(message, FailureCode.of(re), String.valueOf(re.getMessage()));
    } else {
      fail(message, FailureCode.of(failure), String.valueOf(failure.getMessage()));
    }
  }

  /**
   * Wraps a consumer body so that an exception it throws is logged (at most once a minute per address,
   * exception class and throwing line, with a count of the repeats) and answered
   * {@link FailureCode#INTERNAL} instead of leaving the caller to time out.
   *
   * @param address the address served, for the log line
   */
  public static <T> Handler<Message<T>> guarded(String address, Handler<Message<T>> body) {
    return message -> {
      try {
        body.handle(message);
      } catch (Throwable t) {
        // the exception's text may carry what the caller sent: cut and escaped, in the log and in the reply
        String shown = LogValues.safe(t.toString(), 300);
        StackTraceElement[] st = t.getStackTrace();
        long skipped = BUGS.admit(address + '|' + t.getClass().getName() + '|' + (st.length > 0 ? st[0] : ""));
        if (skipped >= 0) {
          // once a minute per (address, exception, throwing line): a caller repeating the request cannot flood the log
          LOG.error("consumer of '{}' threw {} — replied 500; this is a bug in the consumer, fix it{} (stack follows)",
            address, shown, skipped > 0 ? " (" + skipped + " more like it in the last minute, not logged)" : "", t);
        }
        try {
          fail(message, FailureCode.INTERNAL, "internal error in '" + address + "': " + shown);
        } catch (Throwable ignored) {
          // already replied: nothing more to do
        }
      }
    };
  }
}
