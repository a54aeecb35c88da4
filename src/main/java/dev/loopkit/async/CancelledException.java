package dev.loopkit.async;

import java.util.concurrent.CancellationException;

/**
 * What an operation fails with when its {@link CancelScope} is cancelled — asyncio's {@code CancelledError}.
 * Its cause, when set, says why (the caller's reason). A scope cancelled by its deadline fails its
 * operations with the subclass {@link DeadlineExceededException} ({@link #deadline()} true); an explicit
 * cancel with a plain {@code CancelledException} ({@link #deadline()} false).
 * Carries no stack trace: it is control flow, raised in bulk when a scope with many operations ends.
 */
public class CancelledException extends CancellationException {

  private static final long serialVersionUID = 1L;

  private final boolean deadline;

  public CancelledException(String message) {
    this(message, false, null);
  }

  public CancelledException(String message, boolean deadline, Throwable cause) {
    super(message);
    this.deadline = deadline;
    if (cause != null) {
      initCause(cause);
    }
  }

  /**
   * @return whether the scope was cancelled because its deadline passed (true for every
   * {@link DeadlineExceededException})
   */
  public boolean deadline() {
    return deadline;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this;
  }
}
