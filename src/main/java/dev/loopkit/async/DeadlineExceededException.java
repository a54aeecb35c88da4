package dev.loopkit.async;

/**
 * What every loopkit operation that gives up at a deadline fails with — asyncio's {@code TimeoutError},
 * one type for all of them: {@link Tasks#waitFor} and {@link Tasks#timeout} when their own deadline
 * passes, a {@link CancelScope} whose deadline passed (its {@link CancelScope#reason() reason}, which every
 * operation under the scope fails with), and the operations built on scopes ({@link Cancellable},
 * {@link dev.loopkit.bus.BusRequest}, the fetch engine, the timeout verticle's routes). On the event bus
 * it travels as failure code 504 ({@code FailureCode.TIMEOUT}); over HTTP as status 504.
 *
 * <p>It <b>is a {@link CancelledException}</b> whose {@link #deadline()} is true: a deadline is one reason
 * for a cancellation, so code written against either shape keeps working — {@code instanceof
 * DeadlineExceededException}, and the older {@code instanceof CancelledException && deadline()}. Test for
 * it <em>before</em> testing for {@link CancelledException} when the two must be told apart. It is no
 * longer a {@link java.util.concurrent.TimeoutException} (Java has no multiple inheritance; a scope's
 * deadline had to be both a cancellation and a timeout).
 *
 * <p>When {@link Tasks#waitFor} reports it, its cause is the cancellation delivered to the task (as
 * asyncio chains {@code TimeoutError} from {@code CancelledError}). Carries no stack trace: it is control
 * flow, raised in bulk when a scope with many operations expires.
 */
public class DeadlineExceededException extends CancelledException {

  private static final long serialVersionUID = 2L;

  public DeadlineExceededException(String message) {
    this(message, null);
  }

  public DeadlineExceededException(String message, Throwable cause) {
    super(message, true, cause);
  }
}
