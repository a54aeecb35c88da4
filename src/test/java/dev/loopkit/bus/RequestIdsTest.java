package dev.loopkit.bus;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

@DisplayName("RequestIds: 128 random bits, nothing a client can predict from the ids it has seen")
class RequestIdsTest {

  private static final int N = 4_000;

  @Test
  void url_safe_22_characters_of_16_random_bytes() {
    String id = RequestIds.next();
    assertThat(id).hasSize(22).matches("[A-Za-z0-9_-]{22}");
    assertThat(Base64.getUrlDecoder().decode(id)).hasSize(16);
  }

  @Test
  @DisplayName("every bit position is a coin flip: no fixed per-JVM prefix, no counter")
  void every_bit_is_random() {
    int[] ones = new int[128];
    for (int i = 0; i < N; i++) {
      byte[] b = Base64.getUrlDecoder().decode(RequestIds.next());
      for (int bit = 0; bit < 128; bit++) {
        if ((b[bit >> 3] >> (bit & 7) & 1) == 1) {
          ones[bit]++;
        }
      }
    }
    // N/2 ± 6σ (σ = √N / 2 ≈ 32): a constant prefix (0 or N) or a counter's high bits (≈ 0) fall far outside
    for (int bit = 0; bit < 128; bit++) {
      assertThat(ones[bit]).as("bit %d set in %d of %d ids", bit, ones[bit], N).isBetween(N / 2 - 190, N / 2 + 190);
    }
  }

  @Test
  @DisplayName("consecutive ids share no structure: no common prefix, and the next id is not the last one plus one")
  void consecutive_ids_share_nothing() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < N; i++) {
      ids.add(RequestIds.next());
    }
    assertThat(new HashSet<>(ids)).hasSize(N);
    int sharedPrefixes = 0;
    for (int i = 1; i < N; i++) {
      String a = ids.get(i - 1);
      String b = ids.get(i);
      int common = 0;
      while (common < a.length() && common < b.length() && a.charAt(common) == b.charAt(common)) {
        common++;
      }
      // 3+ equal leading characters (18 bits) happen by chance 1 in 2^18
      if (common >= 3) {
        sharedPrefixes++;
      }
    }
    assertThat(sharedPrefixes).isLessThanOrEqualTo(1);
  }

  @Test
  void unique_across_threads() throws Exception {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread thread = new Thread(() -> {
        for (int i = 0; i < 5_000; i++) {
          seen.add(RequestIds.next());
        }
      });
      threads.add(thread);
      thread.start();
    }
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertThat(seen).hasSize(20_000);
  }
}
