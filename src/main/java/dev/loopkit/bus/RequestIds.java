package dev.loopkit.bus;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Values for {@link Headers#REQUEST_ID} when the caller set none: a random UUID drawn once per JVM, then a
 * counter — unique across cluster nodes like a UUID per request, without a {@code SecureRandom} draw (and
 * its lock) on every request.
 */
public final class RequestIds {

  private static final String PREFIX = UUID.randomUUID() + "-";
  private static final AtomicLong NEXT = new AtomicLong();

  private RequestIds() {
  }

  /** @return a request id no other request of any JVM has */
  public static String next() {
    return PREFIX + NEXT.incrementAndGet();
  }
}
