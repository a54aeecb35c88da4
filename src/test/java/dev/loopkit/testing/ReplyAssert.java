package dev.loopkit.testing;

import dev.loopkit.bus.FailureCode;
import io.vertx.core.AsyncResult;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions for event-bus outcomes, in the style of vertx-health-check's {@code CheckAssert}:
 * {@code assertThat(ar).failedWith(FailureCode.TIMEOUT).messageContains("deadline")}.
 */
public final class ReplyAssert extends AbstractAssert<ReplyAssert, AsyncResult<?>> {

  private ReplyAssert(AsyncResult<?> actual) {
    super(actual, ReplyAssert.class);
  }

  public static ReplyAssert assertThat(AsyncResult<?> actual) {
    return new ReplyAssert(actual);
  }

  /** The request failed with a {@link ReplyException} carrying {@code code}. */
  public ReplyAssert failedWith(FailureCode code) {
    isNotNull();
    if (actual.succeeded()) {
      failWithMessage("expected a failure with %s (%d) but the request succeeded with <%s>", code, code.code(), actual.result());
    }
    Throwable cause = actual.cause();
    if (!(cause instanceof ReplyException)) {
      failWithMessage("expected a ReplyException with %s but got <%s>", code, cause);
    }
    ReplyException re = (ReplyException) cause;
    if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE || re.failureCode() != code.code()) {
      failWithMessage("expected RECIPIENT_FAILURE %d (%s) but got %s %d: %s", code.code(), code, re.failureType(), re.failureCode(), re.getMessage());
    }
    return this;
  }

  /** The failure message contains {@code text}. */
  public ReplyAssert messageContains(String text) {
    isNotNull();
    if (actual.succeeded()) {
      failWithMessage("expected a failure whose message contains <%s> but the request succeeded", text);
    }
    String message = String.valueOf(actual.cause().getMessage());
    if (!message.contains(text)) {
      failWithMessage("expected the failure message to contain <%s> but it was <%s>", text, message);
    }
    return this;
  }

  /** The request succeeded. */
  public ReplyAssert succeeded() {
    isNotNull();
    if (actual.failed()) {
      failWithMessage("expected success but got <%s>", actual.cause());
    }
    return this;
  }
}
