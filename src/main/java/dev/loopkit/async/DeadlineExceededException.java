package dev.loopkit.async;

import java.util.concurrent.TimeoutException;

/**
 * What {@link Tasks#waitFor} and {@link Tasks#timeout} fail with when their own deadline passes, like
 * asyncio's {@code TimeoutError}. Its cause is the {@link CancelledException} delivered to the operation,
 * as asyncio chains {@code TimeoutError} from {@code CancelledError}.
 */
public class DeadlineExceededException extends TimeoutException {

  private static final long serialVersionUID = 1L;

  public DeadlineExceededException(String message, Throwable cause) {
    super(message);
    if (cause != null) {
      initCause(cause);
    }
  }
}
