package dev.loopkit.fetch.impl;

import dev.loopkit.bus.LogValues;
import dev.loopkit.config.ConfigException;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The SSRF policy of the fetch engine: {@code allowedHosts} and {@code deniedHosts} entries, plus the
 * built-in protected address ranges.
 *
 * <p>Entry forms (case-insensitive, optional {@code :port} restricts the entry to one port):
 * <ul>
 *   <li>{@code *} — any host (still subject to the denied entries and the protected ranges);</li>
 *   <li>{@code api.example.com} — exactly that host name;</li>
 *   <li>{@code *.example.com} — any name below example.com (not example.com itself);</li>
 *   <li>{@code 10.1.2.3}, {@code 10.0.0.0/8}, {@code [::1]}, {@code [fd00::/8]}, {@code fd00::/8} — an
 *   address or a CIDR block (an IPv6 entry takes a port only in brackets).</li>
 * </ul>
 *
 * <p>Decision for a URL host (and again for every redirect hop):
 * <ol>
 *   <li>A host name is allowed only by a name entry ({@code *}, exact, {@code *.suffix}); an address
 *   literal only by an address entry ({@code *}, IP, CIDR). Names are resolved only after they pass, so
 *   refused names cause no DNS query.</li>
 *   <li>Any matching denied entry refuses: names against name entries, the address (the literal, or what
 *   the name resolved to) against address entries.</li>
 *   <li>The resolved address is then checked against the protected ranges — the connection goes to
 *   exactly that checked address, so a DNS answer cannot be swapped afterwards (no rebinding):
 *   <ul>
 *     <li>always refused: unspecified ({@code 0.0.0.0/8}, {@code ::}), multicast, broadcast and reserved;</li>
 *     <li>link-local ({@code 169.254.0.0/16}, {@code fe80::/10}) and cloud metadata
 *     ({@code 169.254.169.254}, {@code 100.100.100.200}, {@code fd00:ec2::254}): refused unless an
 *     allowed address entry lies inside that range (e.g. {@code 169.254.169.254});</li>
 *     <li>loopback, private, CGNAT and unique-local ranges: refused when the host was allowed only by a
 *     wildcard ({@code *} or {@code *.suffix}); allowed by an exact name entry or by an address entry
 *     inside the range (e.g. {@code 127.0.0.1:8081} or {@code 10.0.0.0/8}).</li>
 *   </ul></li>
 * </ol>
 * Immutable and thread-safe.
 */
public final class HostRules {

  /** Address classes, from the most to the least protected. */
  enum Kind {
    /** Never connected to. */
    FORBIDDEN,
    /** Link-local and cloud metadata: only with an address entry inside the range. */
    LINK_LOCAL,
    /** Loopback and private: with an exact name entry or an address entry inside the range. */
    LOCAL,
    /** Anything else. */
    PUBLIC
  }

  private static final Cidr[] FORBIDDEN_RANGES = {
    Cidr.parse("0.0.0.0/8"), Cidr.parse("224.0.0.0/4"), Cidr.parse("240.0.0.0/4"),
    Cidr.parse("::/128"), Cidr.parse("ff00::/8"),
  };
  private static final Cidr[] LINK_LOCAL_RANGES = {
    Cidr.parse("169.254.0.0/16"), Cidr.parse("fe80::/10"),
    Cidr.parse("100.100.100.200/32"), Cidr.parse("fd00:ec2::254/128"),
  };
  private static final Cidr[] LOCAL_RANGES = {
    Cidr.parse("127.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("172.16.0.0/12"),
    Cidr.parse("192.168.0.0/16"), Cidr.parse("100.64.0.0/10"), Cidr.parse("::1/128"), Cidr.parse("fc00::/7"),
  };

  private final List<Rule> allowed;
  private final List<Rule> denied;

  private HostRules(List<Rule> allowed, List<Rule> denied) {
    this.allowed = allowed;
    this.denied = denied;
  }

  /**
   * @param allowedPath JSON path of the allowed list, for error messages (e.g. {@code allowedHosts})
   * @throws ConfigException naming the entry ({@code allowedHosts[2]}) when one cannot be parsed
   */
  public static HostRules compile(List<String> allowedHosts, List<String> deniedHosts, String allowedPath, String deniedPath) {
    return new HostRules(parseAll(allowedHosts, allowedPath, true), parseAll(deniedHosts, deniedPath, false));
  }

  private static List<Rule> parseAll(List<String> entries, String path, boolean allowStar) {
    List<Rule> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      String entry = entries.get(i);
      try {
        Rule r = Rule.parse(entry);
        if (r.any && !allowStar) {
          throw new IllegalArgumentException("\"*\" would deny every host; remove the fetch verticle instead");
        }
        out.add(r);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path + "[" + i + "]", "invalid host entry \"" + entry + "\": " + e.getMessage()
          + " (use a name, *.suffix, an address or a CIDR, each with an optional :port)");
      }
    }
    return List.copyOf(out);
  }

  /** A verdict: {@link #ok()} or the reason of a refusal; {@link #explicit()} tells how the host was allowed. */
  public static final class Verdict {
    static final Verdict OK_EXPLICIT = new Verdict(null, true);
    static final Verdict OK_WILDCARD = new Verdict(null, false);
    private final String refusal;
    private final boolean explicit;

    private Verdict(String refusal, boolean explicit) {
      this.refusal = refusal;
      this.explicit = explicit;
    }

    static Verdict refuse(String why) {
      return new Verdict(why, false);
    }

    public boolean ok() {
      return refusal == null;
    }

    /** @return why the host is refused, or {@code null} */
    public String refusal() {
      return refusal;
    }

    /** @return whether an exact name or an address entry (not a wildcard) allowed the host */
    public boolean explicit() {
      return explicit;
    }
  }

  /**
   * The checks that need no DNS: for an address literal this is the whole decision; for a name, the
   * name entries (the resolved address is then checked by {@link #checkResolved}).
   *
   * @param host lowercase, without brackets or trailing dot
   * @param literal the parsed address when {@code host} is an address literal, else {@code null}
   */
  public Verdict checkStatic(String host, int port, InetAddress literal) {
    if (literal != null) {
      InetAddress a = unmap(literal);
      for (Rule r : denied) {
        if (r.matchesAddress(a, port)) {
          return Verdict.refuse(show(host, port) + " matches deniedHosts entry \"" + r.text + "\"");
        }
      }
      Rule match = null;
      for (Rule r : allowed) {
        if (r.matchesAddress(a, port)) {
          match = r;
          if (!r.any) {
            break;
          }
        }
      }
      if (match == null) {
        return Verdict.refuse(show(host, port) + " is not in allowedHosts");
      }
      return checkResolved(host, port, a, match.any ? Verdict.OK_WILDCARD : Verdict.OK_EXPLICIT);
    }
    for (Rule r : denied) {
      if (r.matchesName(host, port)) {
        return Verdict.refuse(show(host, port) + " matches deniedHosts entry \"" + r.text + "\"");
      }
    }
    Rule match = null;
    for (Rule r : allowed) {
      if (r.matchesName(host, port)) {
        match = r;
        if (r.exact()) {
          break;
        }
      }
    }
    if (match == null) {
      return Verdict.refuse(show(host, port) + " is not in allowedHosts");
    }
    return match.exact() ? Verdict.OK_EXPLICIT : Verdict.OK_WILDCARD;
  }

  /**
   * The checks on the address the connection will go to.
   *
   * @param allowedBy the verdict of {@link #checkStatic} for the host
   */
  public Verdict checkResolved(String host, int port, InetAddress address, Verdict allowedBy) {
    InetAddress a = unmap(address);
    for (Rule r : denied) {
      if (r.matchesAddress(a, port)) {
        return Verdict.refuse(where(host, port, a) + " matches deniedHosts entry \"" + r.text + "\"");
      }
    }
    Kind kind = kind(a);
    switch (kind) {
      case FORBIDDEN:
        return Verdict.refuse(where(host, port, a) + " is an unspecified, multicast or reserved address: never fetched");
      case LINK_LOCAL:
        if (explicitlyAllowed(a, port, LINK_LOCAL_RANGES)) {
          return Verdict.OK_EXPLICIT;
        }
        return Verdict.refuse(where(host, port, a) + " is link-local or cloud metadata: refused unless allowedHosts lists that address or range");
      case LOCAL:
        if (allowedBy.explicit() || explicitlyAllowed(a, port, LOCAL_RANGES)) {
          return Verdict.OK_EXPLICIT;
        }
        return Verdict.refuse(where(host, port, a) + " is a loopback or private address allowed only by a wildcard; list the host or the address in allowedHosts");
      default:
        return allowedBy;
    }
  }

  private static String where(String host, int port, InetAddress a) {
    InetAddress literal = parseLiteral(host);
    boolean same = literal != null && unmap(literal).equals(a);
    return show(host, port) + (same ? "" : " (resolved to " + a.getHostAddress() + ")");
  }

  /** @return whether some allowed address entry lies inside the protected range containing {@code a} */
  private boolean explicitlyAllowed(InetAddress a, int port, Cidr[] ranges) {
    Cidr range = null;
    for (Cidr c : ranges) {
      if (c.contains(a)) {
        range = c;
        break;
      }
    }
    for (Rule r : allowed) {
      if (r.cidr != null && r.portMatches(port) && r.cidr.contains(a) && (range == null || range.covers(r.cidr))) {
        return true;
      }
    }
    return false;
  }

  static Kind kind(InetAddress address) {
    InetAddress a = unmap(address);
    for (Cidr c : FORBIDDEN_RANGES) {
      if (c.contains(a)) {
        return Kind.FORBIDDEN;
      }
    }
    for (Cidr c : LINK_LOCAL_RANGES) {
      if (c.contains(a)) {
        return Kind.LINK_LOCAL;
      }
    }
    for (Cidr c : LOCAL_RANGES) {
      if (c.contains(a)) {
        return Kind.LOCAL;
      }
    }
    return Kind.PUBLIC;
  }

  /** An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}) as the IPv4 address it stands for. */
  static InetAddress unmap(InetAddress a) {
    if (a instanceof Inet6Address) {
      byte[] b = a.getAddress();
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      if (mapped) {
        try {
          return InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return a;
  }

  private static String show(String host, int port) {
    String h = LogValues.safe(host, LogValues.MAX_CHARS);
    return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
  }

  /**
   * Parses an address literal without any DNS lookup: dotted-quad IPv4 or IPv6 (no brackets).
   *
   * @return the address, or {@code null} when {@code s} is not an address literal
   */
  public static InetAddress parseLiteral(String s) {
    if (s.isEmpty()) {
      return null;
    }
    if (s.indexOf(':') >= 0) {
      if (!s.matches("[0-9a-fA-F:.]+")) {
        return null;
      }
      try {
        // a string of hex digits, colons and dots is parsed as a literal by the JDK, never looked up
        InetAddress a = InetAddress.getByName(s);
        return a instanceof Inet6Address || a instanceof Inet4Address ? a : null;
      } catch (UnknownHostException e) {
        return null;
      }
    }
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] b = new byte[4];
    for (int i = 0; i < 4; i++) {
      String p = parts[i];
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
        return null;
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return null;
      }
      b[i] = (byte) v;
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  /** One parsed entry. */
  private static final class Rule {
    final String text;
    final boolean any;
    final String name;      // exact name, or null
    final String suffix;    // ".example.com" for *.example.com, or null
    final Cidr cidr;        // address entries, or null
    final int port;         // -1: any port

    private Rule(String text, boolean any, String name, String suffix, Cidr cidr, int port) {
      this.text = text;
      this.any = any;
      this.name = name;
      this.suffix = suffix;
      this.cidr = cidr;
      this.port = port;
    }

    boolean exact() {
      return name != null;
    }

    boolean portMatches(int p) {
      return port < 0 || port == p;
    }

    boolean matchesName(String host, int p) {
      if (!portMatches(p)) {
        return false;
      }
      if (any) {
        return true;
      }
      if (name != null) {
        return name.equals(host);
      }
      return suffix != null && host.length() > suffix.length() && host.endsWith(suffix);
    }

    boolean matchesAddress(InetAddress a, int p) {
      if (!portMatches(p)) {
        return false;
      }
      return any || (cidr != null && cidr.contains(a));
    }

    static Rule parse(String raw) {
      String s = raw.trim().toLowerCase(Locale.ROOT);
      if (s.isEmpty()) {
        throw new IllegalArgumentException("empty");
      }
      int port = -1;
      String body = s;
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0) {
          throw new IllegalArgumentException("missing ']'");
        }
        body = s.substring(1, close);
        String rest = s.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException("unexpected \"" + rest + "\" after ']'");
          }
          port = parsePort(rest.substring(1));
        }
        if (body.indexOf(':') < 0) {
          throw new IllegalArgumentException("brackets are for IPv6 addresses only");
        }
        return new Rule(raw, false, null, null, Cidr.parse(body), port);
      }
      long colons = s.chars().filter(c -> c == ':').count();
      if (colons > 1) {
        return new Rule(raw, false, null, null, Cidr.parse(s), -1); // bare IPv6 (no port)
      }
      if (colons == 1) {
        int i = s.lastIndexOf(':');
        port = parsePort(s.substring(i + 1));
        body = s.substring(0, i);
      }
      if (body.equals("*")) {
        return new Rule(raw, true, null, null, null, port);
      }
      if (body.indexOf('/') >= 0 || parseLiteral(body) != null) {
        return new Rule(raw, false, null, null, Cidr.parse(body), port);
      }
      if (body.startsWith("*.")) {
        String rest = body.substring(2);
        checkName(rest);
        return new Rule(raw, false, null, "." + rest, null, port);
      }
      if (body.endsWith(".")) {
        body = body.substring(0, body.length() - 1);
      }
      checkName(body);
      return new Rule(raw, false, body, null, null, port);
    }

    private static int parsePort(String p) {
      if (p.isEmpty() || p.length() > 5 || !p.chars().allMatch(Character::isDigit)) {
        throw new IllegalArgumentException("port must be a number in [1, 65535]");
      }
      int v = Integer.parseInt(p);
      if (v < 1 || v > 65535) {
        throw new IllegalArgumentException("port must be a number in [1, 65535]");
      }
      return v;
    }

    private static void checkName(String n) {
      if (n.isEmpty() || n.length() > 253) {
        throw new IllegalArgumentException("not a host name");
      }
      for (String label : n.split("\\.", -1)) {
        if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")
          || !label.chars().allMatch(c -> (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
          throw new IllegalArgumentException("not a host name (labels of letters, digits and '-')");
        }
      }
      if (n.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
        throw new IllegalArgumentException("not an IPv4 address (four numbers 0-255)");
      }
    }
  }

  /** An address block. */
  static final class Cidr {
    final byte[] network;
    final int prefix;

    private Cidr(byte[] network, int prefix) {
      this.network = network;
      this.prefix = prefix;
    }

    static Cidr parse(String s) {
      String addr = s;
      int prefix = -1;
      int slash = s.indexOf('/');
      if (slash >= 0) {
        addr = s.substring(0, slash);
        String p = s.substring(slash + 1);
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
          throw new IllegalArgumentException("prefix length must be a number");
        }
        prefix = Integer.parseInt(p);
      }
      InetAddress a = parseLiteral(addr);
      if (a == null) {
        throw new IllegalArgumentException("not an IP address");
      }
      a = unmap(a);
      byte[] bytes = a.getAddress();
      int bits = bytes.length * 8;
      if (prefix < 0) {
        prefix = bits;
      }
      if (prefix > bits) {
        throw new IllegalArgumentException("prefix length must be at most " + bits);
      }
      byte[] net = bytes.clone();
      for (int i = 0; i < net.length; i++) {
        int keep = Math.max(0, Math.min(8, prefix - i * 8));
        net[i] &= (byte) (0xff << (8 - keep));
      }
      return new Cidr(net, prefix);
    }

    boolean contains(InetAddress address) {
      byte[] b = address.getAddress();
      if (b.length != network.length) {
        return false;
      }
      for (int i = 0; i < b.length; i++) {
        int keep = Math.max(0, Math.min(8, prefix - i * 8));
        if (keep == 0) {
          break;
        }
        int mask = (0xff << (8 - keep)) & 0xff;
        if ((b[i] & mask) != (network[i] & mask)) {
          return false;
        }
      }
      return true;
    }

    /** @return whether {@code other} lies entirely inside this block */
    boolean covers(Cidr other) {
      if (other.network.length != network.length || other.prefix < prefix) {
        return false;
      }
      try {
        return contains(InetAddress.getByAddress(other.network));
      } catch (UnknownHostException e) {
        return false;
      }
    }
  }
}
