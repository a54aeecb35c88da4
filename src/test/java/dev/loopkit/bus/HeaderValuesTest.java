package dev.loopkit.bus;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HeaderValuesTest {

  @Test
  void parse_millis_accepts_ascii_integers() {
    assertThat(Headers.parseMillis("250")).isEqualTo(250);
    assertThat(Headers.parseMillis(" 0\t")).isEqualTo(0);
    assertThat(Headers.parseMillis("-5")).isEqualTo(-5);
    assertThat(Headers.parseMillis("+7")).isEqualTo(7);
    assertThat(Headers.parseMillis("999999999999999999")).isEqualTo(999_999_999_999_999_999L);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "-", "1.5", "abc", "1e3", "٣٠٠", "３００", "१००", "12 3", "0x10",
    "1234567890123456789", "\u00a0100"})
  void parse_millis_refuses_anything_else(String raw) {
    assertThatThrownBy(() -> Headers.parseMillis(raw)).isInstanceOf(NumberFormatException.class);
  }

  @Test
  void log_values_are_one_short_line() {
    assertThat(LogValues.quote("a\nb\rc\u0000d")).isEqualTo("\"a\\nb\\rc\\u0000d\"");
    assertThat(LogValues.quote(null)).isEqualTo("null");
    String big = "x".repeat(1_000_000);
    assertThat(LogValues.quote(big)).hasSizeLessThan(LogValues.MAX_CHARS + 40).contains("1000000 chars");
    assertThat(LogValues.safe("\u2028\u001b[31m", 10)).isEqualTo("\\u2028\\u001b[31m");
  }
}
