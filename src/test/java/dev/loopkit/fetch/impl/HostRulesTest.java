package dev.loopkit.fetch.impl;

import dev.loopkit.config.ConfigException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("host policy: entry forms, matching, protected ranges (pure, no network)")
class HostRulesTest {

  private static HostRules rules(List<String> allowed, List<String> denied) {
    return HostRules.compile(allowed, denied, "allowedHosts", "deniedHosts");
  }

  /** The whole decision for a URL host: static, then on {@code resolved} (the literal itself for addresses). */
  private static HostRules.Verdict decide(HostRules r, String host, int port, String resolved) {
    InetAddress literal = HostRules.parseLiteral(host);
    HostRules.Verdict v = r.checkStatic(host, port, literal);
    if (!v.ok() || literal != null) {
      return v;
    }
    return r.checkResolved(host, port, HostRules.parseLiteral(resolved), v);
  }

  @ParameterizedTest(name = "{0}:{1} -> {2} with allowed {3}")
  @CsvSource(delimiter = ';', value = {
    // host; port; resolved; allowed entries; expected
    "api.example.com; 443; 93.184.216.34; api.example.com; true",
    "x.api.example.com; 443; 93.184.216.34; api.example.com; false",
    "a.example.com; 443; 93.184.216.34; *.example.com; true",
    "example.com; 443; 93.184.216.34; *.example.com; false",
    "api.example.com; 8443; 93.184.216.34; api.example.com:443; false",
    "api.example.com; 443; 93.184.216.34; api.example.com:443; true",
    "api.example.com; 443; 10.1.2.3; *.example.com; false",            // private address through a wildcard
    "api.example.com; 443; 10.1.2.3; api.example.com; true",           // ... through an exact name
    "api.example.com; 443; 169.254.169.254; api.example.com; false",   // metadata needs an address entry
    "api.example.com; 443; 169.254.169.254; api.example.com|169.254.169.254; true",
    "10.1.2.3; 80; ; 10.0.0.0/8; true",
    "10.1.2.3; 80; ; *; false",
    "11.1.2.3; 80; ; 10.0.0.0/8; false",
    "8.8.8.8; 80; ; *; true",
    "127.0.0.1; 8081; ; 127.0.0.1:8081; true",
    "127.0.0.1; 8080; ; 127.0.0.1:8081; false",
    "::1; 8081; ; [::1]:8081; true",
    "::1; 8081; ; ::1/128; true",
    "fe80::1; 80; ; *; false",
    "fe80::1; 80; ; fe80::/10; true",
    "fe80::1; 80; ; ::/0; false",                                      // a broad range does not unlock link-local
    "0.0.0.0; 80; ; 0.0.0.0/0; false",                                 // unspecified: never
    "224.0.0.1; 80; ; *; false",                                       // multicast: never
    "::ffff:127.0.0.1; 80; ; *; false",                                // mapped loopback is loopback
    "::ffff:8.8.8.8; 80; ; 8.8.8.8; true",
  })
  void decides(String host, int port, String resolved, String allowed, boolean expected) {
    HostRules r = rules(List.of(allowed.split("\\|")), List.of());
    HostRules.Verdict v = decide(r, host, port, resolved == null ? null : resolved.trim());
    assertThat(v.ok()).as("%s", v.refusal()).isEqualTo(expected);
  }

  @Test
  void denied_entries_win_over_allowed_ones_by_name_and_by_address() {
    HostRules r = rules(List.of("*"), List.of("*.internal.example", "203.0.113.0/24"));
    assertThat(decide(r, "db.internal.example", 443, "198.51.100.7").refusal()).contains("deniedHosts entry \"*.internal.example\"");
    assertThat(decide(r, "cdn.example", 443, "203.0.113.9").refusal()).contains("resolved to 203.0.113.9", "deniedHosts entry \"203.0.113.0/24\"");
    assertThat(decide(r, "203.0.113.200", 443, null).ok()).isFalse();
    assertThat(decide(r, "www.example", 443, "198.51.100.7").ok()).isTrue();
  }

  @Test
  void an_empty_allowlist_allows_nothing() {
    assertThat(decide(rules(List.of(), List.of()), "example.com", 443, "93.184.216.34").refusal()).contains("not in allowedHosts");
  }

  @Test
  void names_are_only_allowed_by_name_entries_and_addresses_by_address_entries() {
    HostRules r = rules(List.of("93.184.216.34"), List.of());
    assertThat(r.checkStatic("example.com", 443, null).ok()).as("a name is never resolved just to see if an address entry matches").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "exa mple.com", "*.", "[::1", "[127.0.0.1]", "10.0.0.0/33", "host:0", "host:99999", "1.2.3", "-bad-.com", "*.*.com"})
  void bad_entries_are_rejected_with_their_index(String entry) {
    assertThatThrownBy(() -> rules(List.of("ok.example", entry), List.of()))
      .isInstanceOf(ConfigException.class)
      .hasMessageContaining("allowedHosts[1]");
  }

  @Test
  void star_is_not_a_denied_entry() {
    assertThatThrownBy(() -> rules(List.of(), List.of("*"))).hasMessageContaining("deniedHosts[0]");
  }

  @Test
  void address_literals_are_parsed_without_lookups() {
    assertThat(HostRules.parseLiteral("127.0.0.1")).isNotNull();
    assertThat(HostRules.parseLiteral("::1")).isNotNull();
    assertThat(HostRules.parseLiteral("localhost")).isNull();
    assertThat(HostRules.parseLiteral("256.1.1.1")).isNull();
    assertThat(HostRules.parseLiteral("1.2.3")).isNull();
    assertThat(HostRules.kind(HostRules.parseLiteral("169.254.169.254"))).isEqualTo(HostRules.Kind.LINK_LOCAL);
    assertThat(HostRules.kind(HostRules.parseLiteral("100.100.100.200"))).isEqualTo(HostRules.Kind.LINK_LOCAL);
    assertThat(HostRules.kind(HostRules.parseLiteral("fd00:ec2::254"))).isEqualTo(HostRules.Kind.LINK_LOCAL);
    assertThat(HostRules.kind(HostRules.parseLiteral("192.168.1.1"))).isEqualTo(HostRules.Kind.LOCAL);
    assertThat(HostRules.kind(HostRules.parseLiteral("255.255.255.255"))).isEqualTo(HostRules.Kind.FORBIDDEN);
    assertThat(HostRules.kind(HostRules.parseLiteral("93.184.216.34"))).isEqualTo(HostRules.Kind.PUBLIC);
  }
}
