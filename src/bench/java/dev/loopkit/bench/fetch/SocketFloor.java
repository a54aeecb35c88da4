package dev.loopkit.bench.fetch;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The connection-open floor: what a bare client on this machine needs to open N sockets at once and get one
 * response on each — no HTTP library, no pool, no JSON, a {@link Selector} per thread. It is the
 * lower bound bench/compare.sh reports next to the clients' N=2000 C=2000 1 s-delay wall time.
 *
 * <p>usage: {@code SocketFloor URL_TEMPLATE N TIMEOUT_MS [THREADS=1]} ({@code {n}} = the request index;
 * 127.0.0.1 / localhost only). Each of THREADS threads owns a selector and every THREADS-th request; it
 * issues all its non-blocking connects first (the peers' C = N burst), then each socket
 * sends {@code GET} with HTTP/1.1 once connected and reads the status line, the headers and
 * {@code Content-Length} bytes of body, then closes. The whole run is bounded by TIMEOUT_MS: what has not
 * finished then counts as failed. Prints the peers' line {@code peer=socket-floor n= ok= failed= wall_ms=
 * rps= p50_ms= p99_ms= threads=}: ok = status 200 with the body read; wall from the first connect to the last
 * completion over all threads; latency per socket from its connect call to its body's last byte (nearest rank).
 */
public final class SocketFloor {

  private static final Set<String> LOOPBACK = Set.of("127.0.0.1", "localhost");

  /** One socket's state: the request bytes still to send, and the response read so far. */
  private static final class Conn {
    final long startNs;
    final ByteBuffer out;
    byte[] in = new byte[512];
    int len;
    int headerEnd = -1;
    int contentLength = -1;
    int status;

    Conn(long startNs, byte[] request) {
      this.startNs = startNs;
      this.out = ByteBuffer.wrap(request);
    }

    void append(ByteBuffer b) {
      if (len + b.remaining() > in.length) {
        in = Arrays.copyOf(in, Math.max(in.length * 2, len + b.remaining()));
      }
      int r = b.remaining();
      b.get(in, len, r);
      len += r;
    }

    /** True when the whole response is in; parses the head once it has arrived. */
    boolean complete() {
      if (headerEnd < 0) {
        for (int i = 3; i < len; i++) {
          if (in[i] == '\n' && in[i - 1] == '\r' && in[i - 2] == '\n' && in[i - 3] == '\r') {
            headerEnd = i + 1;
            break;
          }
        }
        if (headerEnd < 0) {
          return false;
        }
        String head = new String(in, 0, headerEnd, StandardCharsets.ISO_8859_1);
        int sp = head.indexOf(' ');
        status = Integer.parseInt(head.substring(sp + 1, sp + 4));
        for (String line : head.split("\r\n")) {
          if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
            contentLength = Integer.parseInt(line.substring(15).trim());
          }
        }
        if (contentLength < 0) {
          throw new IllegalStateException("response without Content-Length: " + head.lines().findFirst().orElse(""));
        }
      }
      return len - headerEnd >= contentLength;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: SocketFloor URL_TEMPLATE N TIMEOUT_MS [THREADS=1]");
      System.exit(2);
    }
    String tpl = args[0];
    int n = Integer.parseInt(args[1]);
    long timeoutMs = Long.parseLong(args[2]);
    int threads = args.length == 4 ? Integer.parseInt(args[3]) : 1;
    URI probe = URI.create(tpl.replace("{n}", "0"));
    if (!LOOPBACK.contains(probe.getHost()) || n <= 0 || timeoutMs <= 0 || threads <= 0 || threads > n) {
      System.err.println("SocketFloor: need a 127.0.0.1/localhost URL, N, TIMEOUT_MS > 0 and 0 < THREADS <= N");
      System.exit(2);
    }
    long[] latNs = new long[n];
    Arrays.fill(latNs, -1);
    long[] endNs = new long[threads];
    long[] issuedNs = new long[threads];
    Thread[] ts = new Thread[threads];
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutMs * 1_000_000L;
    for (int t = 0; t < threads; t++) {
      int slot = t;
      ts[t] = new Thread(() -> {
        try {
          issuedNs[slot] = slice(tpl, probe, slot, threads, n, deadline, latNs) - t0;
        } catch (IOException e) {
          System.err.println("socket-floor: thread " + slot + " failed: " + e);
        }
        endNs[slot] = System.nanoTime();
      }, "socket-floor-" + t);
      ts[t].start();
    }
    for (Thread t : ts) {
      t.join();
    }
    long wallNs = Arrays.stream(endNs).max().getAsLong() - t0;
    if (Boolean.getBoolean("verbose")) {
      System.err.printf(Locale.ROOT, "socket-floor: %d connects issued in %.0f ms on %d thread(s)%n", n,
        Arrays.stream(issuedNs).max().getAsLong() / 1e6, threads);
    }
    long[] ok = Arrays.stream(latNs).filter(v -> v >= 0).sorted().toArray();
    double wallMs = wallNs / 1e6;
    System.out.printf(Locale.ROOT, "peer=socket-floor n=%d ok=%d failed=%d wall_ms=%.0f rps=%.0f p50_ms=%.2f p99_ms=%.2f threads=%d%n",
      n, ok.length, n - ok.length, wallMs, ok.length / (wallMs / 1000.0), pct(ok, 50), pct(ok, 99), threads);
  }

  /**
   * Runs requests {@code slot, slot + threads, ...} on one selector until all are done or the deadline;
   * fills their latencies (ns, -1 = failed) and returns the time at which the last connect was issued.
   */
  private static long slice(String tpl, URI probe, int slot, int threads, int n, long deadline, long[] latNs) throws IOException {
    int port = probe.getPort() < 0 ? 80 : probe.getPort();
    InetSocketAddress addr = new InetSocketAddress(probe.getHost(), port);
    String hostHeader = probe.getHost() + ":" + port;
    ByteBuffer buf = ByteBuffer.allocateDirect(64 * 1024);
    int mine = 0;
    int done = 0;
    long issued;
    try (Selector selector = Selector.open()) {
      for (int i = slot; i < n; i += threads) {
        URI u = URI.create(tpl.replace("{n}", Integer.toString(i)));
        String target = u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
        byte[] req = ("GET " + target + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        Conn c = new Conn(System.nanoTime(), req);
        boolean connected = ch.connect(addr);
        ch.register(selector, connected ? SelectionKey.OP_WRITE : SelectionKey.OP_CONNECT, new Object[] {i, c});
        mine++;
      }
      issued = System.nanoTime();
      while (done < mine) {
        long left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          break;
        }
        selector.select(left);
        for (SelectionKey key : selector.selectedKeys()) {
          Object[] att = (Object[]) key.attachment();
          int i = (Integer) att[0];
          Conn c = (Conn) att[1];
          SocketChannel ch = (SocketChannel) key.channel();
          try {
            if (key.isConnectable()) {
              ch.finishConnect();
              key.interestOps(SelectionKey.OP_WRITE);
            }
            if (key.isValid() && key.isWritable()) {
              ch.write(c.out);
              if (!c.out.hasRemaining()) {
                key.interestOps(SelectionKey.OP_READ);
              }
            }
            if (key.isValid() && key.isReadable()) {
              buf.clear();
              int r = ch.read(buf);
              if (r > 0) {
                buf.flip();
                c.append(buf);
              }
              boolean complete = c.complete();
              if (complete && c.status == 200) {
                latNs[i] = System.nanoTime() - c.startNs;
              }
              if (complete || r < 0) {
                done++;
                key.cancel();
                ch.close();
              }
            }
          } catch (IOException | RuntimeException e) {
            done++;
            key.cancel();
            ch.close();
          }
        }
        selector.selectedKeys().clear();
      }
      for (SelectionKey key : selector.keys()) {
        key.channel().close();
      }
    }
    return issued;
  }

  private static double pct(long[] sortedNs, double p) {
    if (sortedNs.length == 0) {
      return Double.NaN;
    }
    int k = Math.max(0, (int) Math.ceil(p / 100.0 * sortedNs.length) - 1);
    return sortedNs[k] / 1e6;
  }
}
