package dev.loopkit.fetch.impl;

import dev.loopkit.bus.LogValues;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;

/**
 * A parsed http(s) URL: where to connect ({@link Origin}, shared by every URL of a call with the same
 * scheme and authority) and what to ask for. Immutable.
 *
 * <p>Parsing is strict (RFC 2396 as {@link URI}) but fast for the common shape {@code http(s)://authority/path?query}:
 * the authority is parsed and checked once per call, the rest is checked character by character; anything
 * unusual goes through {@link URI} for a precise error message.
 */
final class Target {

  /** Longest URL accepted. */
  static final int MAX_URL_LENGTH = 8192;

  /** Scheme, host and port as spelled in the URL: what the host policy judges and messages show. */
  static final class Origin {
    final boolean ssl;
    /** Lowercase, no brackets, no trailing dot. */
    final String host;
    final int port;
    /** The address when {@link #host} is an address literal, else {@code null} (a name to resolve). */
    final InetAddress literal;
    /** {@code scheme://host:port}, as spelled (origin comparisons). */
    final String hostKey;
    /** {@link #hostKey} for messages: the host cut to {@link LogValues#MAX_CHARS} characters. */
    final String label;
    /** The Host header: the URL's host (IPv6 in brackets) and port. */
    final HostAndPort hostHeader;
    /** The limiter's key when {@link #literal} is set ({@link #canonicalKey}), else {@code null}. */
    final String canonicalKey;
    /** Where to connect when {@link #literal} is set (the canonical address, built once), else {@code null}. */
    final SocketAddress server;
    /** The policy's verdict on this origin before resolution; set once checked. */
    HostRules.Verdict verdict;

    Origin(boolean ssl, String host, int port, InetAddress literal) {
      this.ssl = ssl;
      this.host = host;
      this.port = port;
      this.literal = literal == null ? null : HostRules.unmap(literal);
      String shown = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
      this.hostKey = (ssl ? "https://" : "http://") + shown + ":" + port;
      this.label = shown.length() <= LogValues.MAX_CHARS ? hostKey
        : (ssl ? "https://" : "http://") + LogValues.safe(shown, LogValues.MAX_CHARS) + ":" + port;
      this.hostHeader = HostAndPort.create(shown, port);
      this.canonicalKey = this.literal == null ? null : canonicalKey(ssl, this.literal, port);
      this.server = this.literal == null ? null : SocketAddress.inetSocketAddress(port, this.literal.getHostAddress());
    }
  }

  /**
   * The key of every per-host state (limiter slots and queues, round-robin, stats, connection pool): the
   * scheme and the canonical resolved address ({@code ::ffff:a.b.c.d} as {@code a.b.c.d}, IPv6 in full
   * form) and port — so {@code 127.00.000.001}, {@code [::ffff:7f00:1]}, a name resolving to 127.0.0.1 and
   * {@code 127.0.0.1} share one limit.
   */
  static String canonicalKey(boolean ssl, InetAddress address, int port) {
    String a = HostRules.unmap(address).getHostAddress();
    return (ssl ? "https://" : "http://") + (a.indexOf(':') >= 0 ? "[" + a + "]" : a) + ":" + port;
  }

  final String url;
  final Origin origin;
  final boolean ssl;
  final String host;
  final int port;
  final InetAddress literal;
  final String hostKey;
  final String canonicalKey;
  final SocketAddress server;
  final String requestUri;

  private Target(String url, Origin origin, String requestUri) {
    this.url = url;
    this.origin = origin;
    this.ssl = origin.ssl;
    this.host = origin.host;
    this.port = origin.port;
    this.literal = origin.literal;
    this.hostKey = origin.hostKey;
    this.canonicalKey = origin.canonicalKey;
    this.server = origin.server;
    this.requestUri = requestUri;
  }

  /** @return the verdict on this target's origin ({@code null} until checked) */
  HostRules.Verdict verdict() {
    return origin.verdict;
  }

  /**
   * Parses {@code url}, sharing origins through {@code origins} (per call; may be {@code null}).
   *
   * @throws IllegalArgumentException with a message that can follow the field name, e.g.
   *   {@code unsupported scheme "ftp": only http and https}
   */
  static Target parse(String url, Map<String, Origin> origins) {
    if (url.isEmpty()) {
      throw new IllegalArgumentException("must be an http or https URL, got an empty string");
    }
    if (url.length() > MAX_URL_LENGTH) {
      throw new IllegalArgumentException("is " + url.length() + " characters long, more than " + MAX_URL_LENGTH);
    }
    Target fast = origins == null ? null : fast(url, origins);
    if (fast != null) {
      return fast;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("is not a valid URL (" + e.getReason() + " at index " + e.getIndex() + "): " + quote(url));
    }
    return of(url, uri);
  }

  /** The common shape, with the origin from the cache; {@code null} to take the careful path. */
  private static Target fast(String url, Map<String, Origin> origins) {
    int start;
    if (url.regionMatches(true, 0, "http://", 0, 7)) {
      start = 7;
    } else if (url.regionMatches(true, 0, "https://", 0, 8)) {
      start = 8;
    } else {
      return null;
    }
    int n = url.length();
    int end = start;
    while (end < n) {
      char c = url.charAt(end);
      if (c == '/' || c == '?' || c == '#') {
        break;
      }
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':')) {
        return null; // userinfo, IPv6 brackets, percent-encoding...: the careful path
      }
      end++;
    }
    if (end == start) {
      return null;
    }
    int fragment = n;
    for (int i = end; i < n; i++) {
      char c = url.charAt(i);
      if (c == '#' && fragment == n) {
        fragment = i;
      } else if (c == '%') {
        if (i + 2 >= n || hex(url.charAt(i + 1)) < 0 || hex(url.charAt(i + 2)) < 0) {
          return null;
        }
        i += 2;
      } else if (!uriChar(c)) {
        return null;
      }
    }
    String key = url.substring(0, end);
    Origin origin = origins.get(key);
    if (origin == null) {
      Target careful = of(url, null); // the authority is parsed carefully once per call
      origins.put(key, careful.origin);
      return careful;
    }
    String rest = url.substring(end, fragment);
    String requestUri = rest.isEmpty() ? "/" : rest.charAt(0) == '?' ? "/" + rest : rest;
    return new Target(url, origin, requestUri);
  }

  /** Unreserved, reserved and mark characters of RFC 2396 (what {@link URI} accepts unescaped). */
  private static boolean uriChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
      || "-_.!~*'();/?:@&=+$,".indexOf(c) >= 0;
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }

  /** Resolves a redirect's {@code Location} against this URL. */
  Target redirect(String location) {
    URI next;
    try {
      next = new URI(url).resolve(new URI(location));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("redirect Location is not a valid URL: " + quote(location));
    }
    String s = next.toString();
    if (s.length() > MAX_URL_LENGTH) {
      throw new IllegalArgumentException("redirect Location is " + s.length() + " characters long, more than " + MAX_URL_LENGTH);
    }
    return of(s, next);
  }

  private static Target of(String url, URI parsed) {
    URI uri = parsed;
    try {
      if (uri == null) {
        uri = new URI(url);
      }
      if (!url.chars().allMatch(c -> c < 128)) {
        uri = new URI(uri.toASCIIString()); // non-ASCII characters travel percent-encoded (UTF-8)
      }
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("is not a valid URL (" + e.getReason() + " at index " + e.getIndex() + "): " + quote(url));
    }
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw new IllegalArgumentException("must be an absolute http or https URL, got " + quote(url));
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("unsupported scheme " + quote(scheme) + ": only http and https, got " + quote(url));
    }
    if (uri.getRawAuthority() == null) {
      throw new IllegalArgumentException("has no host: " + quote(url));
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must not contain user:password@ (send an authorization header instead): " + quote(url));
    }
    String host = uri.getHost();
    if (host == null) {
      throw new IllegalArgumentException("has no valid host[:port] (" + quote(uri.getRawAuthority()) + "): " + quote(url));
    }
    host = host.toLowerCase(Locale.ROOT);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    if (host.endsWith(".")) {
      host = host.substring(0, host.length() - 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException("has no host: " + quote(url));
    }
    boolean ssl = scheme.equals("https");
    int port = uri.getPort();
    if (port == -1) {
      port = ssl ? 443 : 80;
    } else if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be in [1, 65535], got " + port + ": " + quote(url));
    }
    InetAddress literal = HostRules.parseLiteral(host);
    if (literal == null && host.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
      throw new IllegalArgumentException("host " + quote(host) + " is not a valid IPv4 address: " + quote(url));
    }
    String path = uri.getRawPath();
    String query = uri.getRawQuery();
    String requestUri = (path == null || path.isEmpty() ? "/" : path) + (query == null ? "" : "?" + query);
    return new Target(url, new Origin(ssl, host, port, literal), requestUri);
  }

  /** @return whether {@code other} has the same scheme, host and port */
  boolean sameOrigin(Target other) {
    return hostKey.equals(other.hostKey);
  }

  private static String quote(String s) {
    return LogValues.quote(s);
  }

  @Override
  public String toString() {
    return url;
  }
}
