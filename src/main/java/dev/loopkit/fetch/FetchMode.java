package dev.loopkit.fetch;

import java.util.Locale;

/**
 * How a call's requests combine into one reply. In every mode, requests still running when the outcome
 * is decided are cancelled (their connections reset) and reported {@link FetchErrorCode#CANCELLED}.
 */
public enum FetchMode {

  /** Every request must succeed (2xx): the first failure fails the call (502) and cancels the rest. */
  ALL,
  /** Every request gets a result; at the overall deadline unfinished ones get DEADLINE_EXCEEDED. Never fails. */
  SETTLED,
  /** The first success wins; fails (502) only when every request failed. */
  ANY,
  /** The first completion wins, success or not. */
  RACE,
  /** The first {@code quorum} successes win; fails (502) as soon as that is out of reach. */
  QUORUM;

  /** @return the JSON name: {@code all}, {@code settled}, {@code any}, {@code race}, {@code quorum} */
  public String jsonName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** @return the mode of a JSON name, or {@code null} when unknown */
  public static FetchMode fromJson(String name) {
    for (FetchMode m : values()) {
      if (m.jsonName().equals(name)) {
        return m;
      }
    }
    return null;
  }
}
