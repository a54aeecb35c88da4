package dev.loopkit.async;

/**
 * Handle of a callback registered with {@link CancelScope#onCancel}: remove it once the operation is
 * done, so that a long-lived scope does not accumulate callbacks.
 */
@FunctionalInterface
public interface Registration {

  /** A registration with nothing to remove. */
  Registration NONE = () -> { };

  /** Removes the callback; idempotent. */
  void remove();
}
