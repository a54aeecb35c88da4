package dev.loopkit.bus;

import dev.loopkit.async.Registration;
import io.vertx.core.Vertx;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The event-bus addresses loopkit's verticles serve on a Vert.x instance, so that no address-valued field
 * a caller sends (a fetch's {@code progressAddress}, …) can point at one of them. Every loopkit verticle
 * {@link #add registers} the addresses it consumes on start and removes them on stop.
 *
 * <p>{@link #isReserved(Vertx, String)} is true for Vert.x's own {@code __vertx.} addresses, every
 * {@link Addresses} constant (served or not), and every registered address.
 */
public final class ServedAddresses {

  private static final Map<Vertx, Set<String>> BY_VERTX = Collections.synchronizedMap(new WeakHashMap<>());
  private static final Set<String> CONSTANTS = Set.of(Addresses.BLOCKING, Addresses.BLOCKING_REPORT,
    Addresses.FETCH, Addresses.CANCEL);

  private ServedAddresses() {
  }

  /** Registers {@code address} as served on {@code vertx} until the returned registration is removed. */
  public static Registration add(Vertx vertx, String address) {
    Set<String> set = BY_VERTX.computeIfAbsent(vertx, v -> ConcurrentHashMap.newKeySet());
    boolean added = set.add(address);
    return added ? () -> set.remove(address) : Registration.NONE;
  }

  /** @return whether {@code address} is Vert.x's, a loopkit constant, or served by a loopkit verticle */
  public static boolean isReserved(Vertx vertx, String address) {
    if (address.startsWith("__vertx.") || CONSTANTS.contains(address)) {
      return true;
    }
    Set<String> set = BY_VERTX.get(vertx);
    return set != null && set.contains(address);
  }
}
