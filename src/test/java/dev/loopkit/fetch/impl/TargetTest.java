package dev.loopkit.fetch.impl;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@DisplayName("URL parsing: the fast path agrees with java.net.URI, errors say what is wrong")
class TargetTest {

  @ParameterizedTest
  @CsvSource(delimiter = ' ', value = {
    "http://127.0.0.1:8081/item/1 127.0.0.1 8081 /item/1",
    "HTTP://Example.COM/a?b=1#frag example.com 80 /a?b=1",
    "https://example.com example.com 443 /",
    "https://example.com?x=%41 example.com 443 /?x=%41",
    "http://example.com.:8080/p;x=1/q?y example.com 8080 /p;x=1/q?y",
    "http://[::1]:9/x ::1 9 /x",
    "http://h.example/caf%C3%A9 h.example 80 /caf%C3%A9",
    "http://h.example/café h.example 80 /caf%C3%A9",
  })
  void parses(String url, String host, int port, String requestUri) {
    Map<String, Target.Origin> origins = new HashMap<>();
    for (int i = 0; i < 2; i++) { // first: careful parse (and cached origin), second: the fast path
      Target t = Target.parse(url, origins);
      assertThat(t.host).isEqualTo(host);
      assertThat(t.port).isEqualTo(port);
      assertThat(t.requestUri).isEqualTo(requestUri);
      assertThat(t.ssl).isEqualTo(url.toLowerCase().startsWith("https"));
    }
    Target careful = Target.parse(url, null);
    assertThat(careful.requestUri).isEqualTo(requestUri);
  }

  @Test
  void urls_of_one_origin_share_it() {
    Map<String, Target.Origin> origins = new HashMap<>();
    Target a = Target.parse("http://127.0.0.1:8081/item/1", origins);
    Target b = Target.parse("http://127.0.0.1:8081/item/2?delay_ms=5", origins);
    assertThat(b.origin).isSameAs(a.origin);
    assertThat(b.server).isNotNull();
    assertThat(a.hostKey).isEqualTo("http://127.0.0.1:8081");
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8081/a b", "http://127.0.0.1:8081/a|b", "http://127.0.0.1:8081/%zz",
    "http://127.0.0.1:8081/a\"b", "http://127.0.0.1:8081/<x>", "http://127.0.0.1:8081/a\\b", "http://127.0.0.1:8081/{x}"})
  void rejects_what_uri_rejects_even_after_the_origin_is_cached(String url) {
    Map<String, Target.Origin> origins = new HashMap<>();
    Target.parse("http://127.0.0.1:8081/ok", origins);
    assertThatThrownBy(() -> Target.parse(url, origins)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid URL");
  }

  @Test
  void a_redirect_resolves_against_the_current_url() {
    Target t = Target.parse("http://127.0.0.1:8081/a/b?c", new HashMap<>());
    assertThat(t.redirect("../x?y=1").requestUri).isEqualTo("/x?y=1");
    assertThat(t.redirect("//other.example:9/z").hostKey).isEqualTo("http://other.example:9");
    assertThatThrownBy(() -> t.redirect("ftp://h/")).hasMessageContaining("unsupported scheme");
  }
}
