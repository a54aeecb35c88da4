package dev.loopkit.timeout;

import dev.loopkit.async.CancelledException;
import dev.loopkit.bus.FailureCode;
import dev.loopkit.config.ConfigException;
import dev.loopkit.config.ConfigReader;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * A set of failures, as written in a route's {@code retry.retryOn}, {@code hedge.nonFatal},
 * {@code circuitBreaker.failOn} and {@code fallbackOn}: a JSON array whose entries are failure
 * <em>kinds</em> (strings) or failure <em>codes</em> (integers), e.g. {@code ["TIMEOUT", "NO_HANDLERS", 503]}.
 *
 * <ul>
 *   <li>{@code "TIMEOUT"}: no reply in time — an attempt's own limit ({@code retry.attemptTimeoutMs}), the
 *   event bus's send timeout, or the call's deadline; and a target's own {@code 504}: it ran out of the
 *   budget it was given (with a propagated budget it says so just before our own timer would).</li>
 *   <li>{@code "NO_HANDLERS"}: nobody consumes the target address.</li>
 *   <li>{@code "RECIPIENT_FAILURE"}: the target failed the message, whatever its code.</li>
 *   <li>{@code "CIRCUIT_OPEN"}: the route's circuit breaker refused the call; nothing was sent.</li>
 *   <li>an integer {@code c}: the target failed the message with code {@code c}
 *   ({@code message.fail(c, ...)}). Codes match only failures the target replied: {@code 503} does not
 *   match {@code NO_HANDLERS} or {@code CIRCUIT_OPEN}, which are listed by kind.</li>
 * </ul>
 * Immutable.
 */
public final class FailureSet {

  /** Kinds of failure, independent of any code. */
  public enum Kind {
    /** No reply in time. */
    TIMEOUT,
    /** Nobody consumes the target address. */
    NO_HANDLERS,
    /** The target failed the message (any code). */
    RECIPIENT_FAILURE,
    /** The circuit breaker refused the call; nothing was sent. */
    CIRCUIT_OPEN
  }

  /** The empty set: matches nothing. */
  public static final FailureSet NONE = new FailureSet(Collections.emptyList());

  private final List<Object> entries;
  private final Set<Kind> kinds = EnumSet.noneOf(Kind.class);
  private final Set<Integer> codes = new LinkedHashSet<>();

  private FailureSet(List<Object> entries) {
    this.entries = Collections.unmodifiableList(new ArrayList<>(entries));
    for (Object e : entries) {
      if (e instanceof Kind) {
        kinds.add((Kind) e);
      } else {
        codes.add((Integer) e);
      }
    }
  }

  /**
   * @param entries {@link Kind}s, kind names or integer codes
   * @throws IllegalArgumentException on anything else
   */
  public static FailureSet of(Object... entries) {
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < entries.length; i++) {
      out.add(entry(entries[i], "entry " + i));
    }
    return new FailureSet(out);
  }

  /**
   * Reads the array at {@code key}, or returns {@code def} when absent.
   *
   * @param disallowed kinds that make no sense where the set is used (rejected with a reason)
   * @throws ConfigException naming {@code key[i]} for a bad entry
   */
  public static FailureSet read(ConfigReader r, String key, FailureSet def, Kind... disallowed) {
    Object raw = r.raw(key);
    if (raw == null) {
      return def;
    }
    if (!(raw instanceof JsonArray)) {
      throw r.error(key, "must be an array of failure kinds (" + kindNames() + ") and codes (integers), got "
        + ConfigReader.show(raw));
    }
    JsonArray array = (JsonArray) raw;
    List<Object> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      String path = r.path(key) + "[" + i + "]";
      Object value = array.getValue(i);
      Object entry;
      try {
        entry = entry(value, path);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path, e.getMessage());
      }
      if (entry instanceof Kind && Arrays.asList(disallowed).contains(entry)) {
        throw new ConfigException(path, entry + " is not allowed here" + (entry == Kind.CIRCUIT_OPEN
          ? ": an open circuit sends nothing, so there is nothing to retry; list CIRCUIT_OPEN in fallbackOn instead"
          : ""));
      }
      if (out.contains(entry)) {
        throw new ConfigException(path, "duplicate entry " + ConfigReader.show(value));
      }
      out.add(entry);
    }
    return new FailureSet(out);
  }

  private static Object entry(Object value, String where) {
    if (value instanceof Kind) {
      return value;
    }
    if (value instanceof String) {
      String s = (String) value;
      for (Kind k : Kind.values()) {
        if (k.name().equals(s)) {
          return k;
        }
      }
      String hint = "";
      for (Kind k : Kind.values()) {
        if (k.name().equals(s.toUpperCase(Locale.ROOT).replace('-', '_'))) {
          hint = " (did you mean \"" + k.name() + "\"? kinds are upper case)";
        }
      }
      throw new IllegalArgumentException("must be a failure kind (" + kindNames() + ") or a failure code (integer), got "
        + ConfigReader.show(value) + hint);
    }
    if (value instanceof Integer || value instanceof Long) {
      long code = ((Number) value).longValue();
      if (code < 0 || code > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("a failure code must be a non-negative integer, got " + value);
      }
      return (int) code;
    }
    throw new IllegalArgumentException("must be a failure kind (" + kindNames() + ") or a failure code (integer), got "
      + ConfigReader.show(value));
  }

  private static String kindNames() {
    StringBuilder sb = new StringBuilder();
    for (Kind k : Kind.values()) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(k.name());
    }
    return sb.toString();
  }

  /** @return whether {@code kind} is in the set */
  public boolean contains(Kind kind) {
    return kinds.contains(kind);
  }

  /** @return whether the code {@code code} is in the set */
  public boolean containsCode(int code) {
    return codes.contains(code);
  }

  /** @return whether the set is empty */
  public boolean isEmpty() {
    return entries.isEmpty();
  }

  /**
   * @return whether {@code failure}, as seen by a caller of the target or of a route, is in the set; see
   * {@link #kindOf(Throwable)}
   */
  public boolean matches(Throwable failure) {
    Kind kind = kindOf(failure);
    if (kind == null) {
      return false;
    }
    if (kinds.contains(kind)) {
      return true;
    }
    if (kind != Kind.RECIPIENT_FAILURE) {
      return false;
    }
    int code = ((ReplyException) failure).failureCode();
    return codes.contains(code) || code == FailureCode.TIMEOUT.code() && kinds.contains(Kind.TIMEOUT);
  }

  /**
   * Classifies a failure: a deadline or an event-bus timeout is {@link Kind#TIMEOUT}; a
   * {@link CircuitOpenException} is {@link Kind#CIRCUIT_OPEN}; an event-bus {@code NO_HANDLERS} is
   * {@link Kind#NO_HANDLERS}; a failure the target replied is {@link Kind#RECIPIENT_FAILURE}; anything
   * else (a bug, an explicit cancellation) has no kind and matches no set.
   */
  public static Kind kindOf(Throwable failure) {
    if (failure instanceof CircuitOpenException) {
      return Kind.CIRCUIT_OPEN;
    }
    if (failure instanceof ReplyException) {
      switch (((ReplyException) failure).failureType()) {
        case TIMEOUT:
          return Kind.TIMEOUT;
        case NO_HANDLERS:
          return Kind.NO_HANDLERS;
        case RECIPIENT_FAILURE:
          return Kind.RECIPIENT_FAILURE;
        default:
          return null;
      }
    }
    if (failure instanceof TimeoutException) {
      return Kind.TIMEOUT;
    }
    if (failure instanceof CancelledException && ((CancelledException) failure).deadline()) {
      return Kind.TIMEOUT;
    }
    return null;
  }

  /** @return the entries as written: kind names and integer codes */
  public JsonArray toJson() {
    JsonArray out = new JsonArray();
    for (Object e : entries) {
      out.add(e instanceof Kind ? ((Kind) e).name() : e);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FailureSet && ((FailureSet) o).kinds.equals(kinds) && ((FailureSet) o).codes.equals(codes);
  }

  @Override
  public int hashCode() {
    return kinds.hashCode() * 31 + codes.hashCode();
  }

  @Override
  public String toString() {
    return toJson().encode();
  }
}
