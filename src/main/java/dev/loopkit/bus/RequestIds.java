package dev.loopkit.bus;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Values for {@link Headers#REQUEST_ID} that loopkit generates (when a caller set none, and for every
 * attempt of a guarded route): 128 bits from a {@link SecureRandom} ({@code DRBG}, NIST SP 800-90A), as 22
 * url-safe base64 characters ({@code [A-Za-z0-9_-]}). Seeing any number of ids tells nothing about the
 * next one, so a client cannot forge a cancel notice for work it did not start; ids are unique across
 * cluster nodes like random UUIDs.
 *
 * <p>No global lock on the hot path: the generators are striped (a power of two, at least four per core),
 * each with its own lock and a small pool of bytes drawn in bulk, picked by the calling thread's id — so
 * event loops rarely share one, and virtual threads do not create a generator each.
 */
public final class RequestIds {

  /** Length of an id: 16 random bytes in url-safe base64 without padding. */
  public static final int LENGTH = 22;

  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
  private static final Stripe[] STRIPES = stripes();

  private RequestIds() {
  }

  /** @return a fresh, unguessable request id ({@value #LENGTH} url-safe characters) */
  public static String next() {
    long id = Thread.currentThread().getId();
    int h = (int) (id ^ (id >>> 32)) * 0x9E3779B9;
    Stripe stripe = STRIPES[(h ^ (h >>> 16)) & (STRIPES.length - 1)];
    byte[] bytes = new byte[16];
    stripe.take(bytes);
    return BASE64.encodeToString(bytes);
  }

  private static Stripe[] stripes() {
    int wanted = Math.max(4, Runtime.getRuntime().availableProcessors() * 4);
    int n = Integer.highestOneBit(wanted - 1) << 1;
    Stripe[] out = new Stripe[n];
    for (int i = 0; i < n; i++) {
      out[i] = new Stripe();
    }
    return out;
  }

  /** One generator and its pool of random bytes, drawn 512 at a time. */
  private static final class Stripe {
    private final byte[] pool = new byte[512];
    private int used = pool.length;
    private SecureRandom random;

    synchronized void take(byte[] out) {
      if (used + out.length > pool.length) {
        if (random == null) {
          random = create();
        }
        random.nextBytes(pool);
        used = 0;
      }
      System.arraycopy(pool, used, out, 0, out.length);
      // nothing handed out stays readable in the pool
      java.util.Arrays.fill(pool, used, used + out.length, (byte) 0);
      used += out.length;
    }

    private static SecureRandom create() {
      try {
        return SecureRandom.getInstance("DRBG");
      } catch (NoSuchAlgorithmException e) {
        return new SecureRandom();
      }
    }
  }
}
