package dev.loopkit.fetch.impl;

import io.vertx.core.net.SocketAddress;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A parsed, checked http(s) URL: where to connect and what to ask for. Immutable.
 */
final class Target {

  /** Longest URL accepted. */
  static final int MAX_URL_LENGTH = 8192;

  final String url;
  final URI uri;
  final boolean ssl;
  /** Lowercase, no brackets, no trailing dot. */
  final String host;
  final int port;
  /** The address when {@link #host} is an address literal, else {@code null} (a name to resolve). */
  final InetAddress literal;
  final String requestUri;
  /** {@code scheme://host:port}: the per-host limit's key. */
  final String hostKey;
  /** Where to connect when {@link #literal} is set (built once), else {@code null}. */
  final SocketAddress server;
  /** The policy's verdict on the URL (before resolution). */
  HostRules.Verdict verdict;

  private Target(String url, URI uri, boolean ssl, String host, int port, InetAddress literal, String requestUri) {
    this.url = url;
    this.uri = uri;
    this.ssl = ssl;
    this.host = host;
    this.port = port;
    this.literal = literal;
    this.requestUri = requestUri;
    this.server = literal == null ? null : SocketAddress.inetSocketAddress(port, literal.getHostAddress());
    this.hostKey = (ssl ? "https://" : "http://") + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /**
   * @throws IllegalArgumentException with a message that can follow the field name, e.g.
   *   {@code unsupported scheme "ftp": only http and https}
   */
  static Target parse(String url) {
    if (url.isEmpty()) {
      throw new IllegalArgumentException("must be an http or https URL, got an empty string");
    }
    if (url.length() > MAX_URL_LENGTH) {
      throw new IllegalArgumentException("is " + url.length() + " characters long, more than " + MAX_URL_LENGTH);
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("is not a valid URL (" + e.getReason() + " at index " + e.getIndex() + "): " + quote(url));
    }
    return of(url, uri);
  }

  /** Resolves a redirect's {@code Location} against this URL. */
  Target redirect(String location) {
    URI next;
    try {
      next = uri.resolve(new URI(location));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new IllegalArgumentException("redirect Location is not a valid URL: " + quote(location));
    }
    return of(next.toString(), next);
  }

  private static Target of(String url, URI uri) {
    String scheme = uri.getScheme();
    if (scheme == null) {
      throw new IllegalArgumentException("must be an absolute http or https URL, got " + quote(url));
    }
    scheme = scheme.toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("unsupported scheme \"" + scheme + "\": only http and https, got " + quote(url));
    }
    if (uri.getRawAuthority() == null) {
      throw new IllegalArgumentException("has no host: " + quote(url));
    }
    if (uri.getRawUserInfo() != null) {
      throw new IllegalArgumentException("must not contain user:password@ (send an authorization header instead): " + quote(url));
    }
    String host = uri.getHost();
    if (host == null) {
      throw new IllegalArgumentException("has no valid host[:port] (\"" + uri.getRawAuthority() + "\"): " + quote(url));
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
      throw new IllegalArgumentException("host \"" + host + "\" is not a valid IPv4 address: " + quote(url));
    }
    String path = uri.getRawPath();
    String query = uri.getRawQuery();
    String requestUri = (path == null || path.isEmpty() ? "/" : path) + (query == null ? "" : "?" + query);
    return new Target(url, uri, ssl, host, port, literal, requestUri);
  }

  /** @return whether {@code other} has the same scheme, host and port */
  boolean sameOrigin(Target other) {
    return hostKey.equals(other.hostKey);
  }

  private static String quote(String s) {
    return "\"" + (s.length() > 200 ? s.substring(0, 200) + "…" : s) + "\"";
  }

  @Override
  public String toString() {
    return url;
  }
}
