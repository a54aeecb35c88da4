package dev.loopkit.timeout;

import dev.loopkit.bus.FailureCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import org.assertj.core.api.AbstractThrowableAssert;

/** AssertJ assertions for failed replies: {@code assertThat(failure).failedWith(TIMEOUT)}. */
final class FailureAssert extends AbstractThrowableAssert<FailureAssert, Throwable> {

  private FailureAssert(Throwable actual) {
    super(actual, FailureAssert.class);
  }

  static FailureAssert assertThatFailure(Throwable actual) {
    return new FailureAssert(actual);
  }

  /** The failure is a recipient failure with {@code code}. */
  FailureAssert failedWith(FailureCode code) {
    return failedWith(code.code());
  }

  FailureAssert failedWith(int code) {
    isNotNull();
    if (!(actual instanceof ReplyException)) {
      failWithMessage("expected a ReplyException with code %s but got %s", code, actual);
    }
    ReplyException re = (ReplyException) actual;
    if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE || re.failureCode() != code) {
      failWithMessage("expected a RECIPIENT_FAILURE with code %s but got %s code %s: %s", code, re.failureType(),
        re.failureCode(), re.getMessage());
    }
    return this;
  }
}
