package dev.loopkit.fetch;

import dev.loopkit.bus.FailureCode;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import org.assertj.core.api.AbstractAssert;

/** Assertions on whole-call failures and on item results (JSON form), in the style of health-check's CheckAssert. */
final class ReplyAssert extends AbstractAssert<ReplyAssert, Throwable> {

  private ReplyAssert(Throwable actual) {
    super(actual, ReplyAssert.class);
  }

  static ReplyAssert assertThatFailure(Throwable t) {
    return new ReplyAssert(t);
  }

  /** The failure is a RECIPIENT_FAILURE ReplyException with {@code code}. */
  ReplyAssert failedWith(FailureCode code) {
    isNotNull();
    if (!(actual instanceof ReplyException)) {
      failWithMessage("expected a ReplyException with code %s but got %s", code.code(), actual);
    }
    ReplyException re = (ReplyException) actual;
    if (re.failureType() != ReplyFailure.RECIPIENT_FAILURE || re.failureCode() != code.code()) {
      failWithMessage("expected RECIPIENT_FAILURE %s (%s) but got %s %s: %s", code.code(), code, re.failureType(), re.failureCode(), re.getMessage());
    }
    return this;
  }

  ReplyAssert messageContains(String... parts) {
    for (String p : parts) {
      if (actual.getMessage() == null || !actual.getMessage().contains(p)) {
        failWithMessage("expected the message to contain \"%s\" but it was \"%s\"", p, actual.getMessage());
      }
    }
    return this;
  }

  /** Asserts the item result JSON {@code r} failed with {@code code}. */
  static void assertItem(JsonObject r, FetchErrorCode code) {
    org.assertj.core.api.Assertions.assertThat(r.getBoolean("ok")).as("ok of %s", r.encode()).isFalse();
    org.assertj.core.api.Assertions.assertThat(r.getJsonObject("error")).as("error of %s", r.encode()).isNotNull();
    org.assertj.core.api.Assertions.assertThat(r.getJsonObject("error").getString("code")).as("error code of %s", r.encode())
      .isEqualTo(code.name());
  }

  /** Asserts the item result JSON {@code r} is a success with {@code status}. */
  static void assertOk(JsonObject r, int status) {
    org.assertj.core.api.Assertions.assertThat(r.getBoolean("ok")).as("ok of %s", r.encode()).isTrue();
    org.assertj.core.api.Assertions.assertThat(r.getInteger("status")).as("status of %s", r.encode()).isEqualTo(status);
  }
}
