package dev.loopkit.blocking;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * The block catalog: one event-bus consumer per blocking construct ({@code catalog.<name>}), each calling
 * a method named after the construct that blocks its event loop for about {@link #BLOCK_MS}. Other
 * threads (set up by the test through the static fields) hold the locks, complete the futures, feed the
 * FIFOs and answer the socket.
 */
public class CatalogVerticle extends VerticleBase {

  static final long BLOCK_MS = 300;

  static final Object MONITOR = new Object();
  static final ReentrantLock LOCK = new ReentrantLock();
  static volatile CompletableFuture<String> future;
  static volatile CountDownLatch latch;
  static volatile Path fifo;
  static volatile File missingDir;
  static volatile int socketPort;
  static final List<Process> PROCESSES = new ArrayList<>();

  @Override
  public Future<?> start() {
    return Future.all(List.of(
      on("catalog.sleep", m -> sleeping()),
      on("catalog.spin", m -> spinning()),
      on("catalog.synchronized", m -> synchronizedEnter()),
      on("catalog.lock", m -> reentrantLock()),
      on("catalog.wait", m -> objectWait()),
      on("catalog.future-get", m -> futureGet()),
      on("catalog.latch", m -> latchAwait()),
      on("catalog.file-input-stream", m -> fileInputStream()),
      on("catalog.files-read-all-bytes", m -> nioReadAllBytes()),
      on("catalog.file-exists", m -> fileExists()),
      on("catalog.socket", m -> socketConnectRead()),
      on("catalog.dns", m -> dnsLookup()),
      on("catalog.process", m -> processStart()),
      on("catalog.self-deadlock", m -> selfDeadlock())));
  }

  private Future<Void> on(String address, Consumer<Message<Object>> body) {
    return vertx.eventBus().consumer(address, (Message<Object> m) -> {
      try {
        body.accept(m);
        m.reply("done");
      } catch (RuntimeException e) {
        m.fail(500, e.toString());
      }
    }).completion();
  }

  void sleeping() {
    try {
      Thread.sleep(BLOCK_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void spinning() {
    long end = System.nanoTime() + BLOCK_MS * 1_000_000;
    double x = 1;
    while (System.nanoTime() < end) {
      x += Math.sqrt(x);
    }
    if (x < 0) {
      throw new IllegalStateException();
    }
  }

  void synchronizedEnter() {
    synchronized (MONITOR) {
      MONITOR.notifyAll();
    }
  }

  void reentrantLock() {
    LOCK.lock();
    LOCK.unlock();
  }

  void objectWait() {
    Object o = new Object();
    synchronized (o) {
      try {
        o.wait(BLOCK_MS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  void futureGet() {
    try {
      future.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  void latchAwait() {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void fileInputStream() {
    try (InputStream in = new FileInputStream(fifo.toFile())) {
      byte[] buf = new byte[64];
      while (in.read(buf) >= 0) {
        continue;
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void nioReadAllBytes() {
    try {
      Files.readAllBytes(fifo);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void fileExists() {
    File[] files = new File[256];
    for (int i = 0; i < files.length; i++) {
      files[i] = new File(missingDir, "f" + i);
    }
    long end = System.nanoTime() + BLOCK_MS * 1_000_000;
    int found = 0;
    while (System.nanoTime() < end) { for (File f : files) { if (f.exists()) { found++; } } }
    if (found > 0) {
      throw new IllegalStateException("unexpected file");
    }
  }

  void socketConnectRead() {
    try (Socket s = new Socket("127.0.0.1", socketPort)) {
      s.getInputStream().read();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void dnsLookup() {
    long end = System.nanoTime() + BLOCK_MS * 1_000_000;
    int n = 0;
    try {
      // forward lookups are cached by the JDK; the reverse lookup of 127.0.0.1 is a native getnameinfo each
      // time, answered from /etc/hosts ("files" comes first in nsswitch): no packet leaves the machine
      InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
      while (System.nanoTime() < end) { n += InetAddress.getAllByName("localhost").length + InetAddress.getByAddress(loopback.getAddress()).getCanonicalHostName().length(); }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (n == 0) {
      throw new IllegalStateException("localhost did not resolve");
    }
  }

  void processStart() {
    long end = System.nanoTime() + BLOCK_MS * 1_000_000;
    List<Process> started = new ArrayList<>();
    try {
      while (System.nanoTime() < end) { started.add(new ProcessBuilder("true").start()); }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } finally {
      synchronized (PROCESSES) {
        PROCESSES.addAll(started);
      }
    }
  }

  void selfDeadlock() {
    try {
      vertx.timer(10).toCompletionStage().toCompletableFuture().get();
    } catch (InterruptedException e) {
      // released by the test: without it this event loop would be stuck for good
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
