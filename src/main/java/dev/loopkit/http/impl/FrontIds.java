package dev.loopkit.http.impl;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Unguessable identifiers for HTTP clients' work: 128 bits from {@link SecureRandom}, URL-safe Base64
 * without padding (22 characters). Used as the {@code loopkit-request-id} of every bridged request and
 * as the private progress address of a streamed fetch: knowing any number of earlier ids tells nothing
 * about the next one.
 */
public final class FrontIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private FrontIds() {
  }

  /** @return a fresh 128-bit random id, URL-safe Base64 */
  public static String next() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }
}
