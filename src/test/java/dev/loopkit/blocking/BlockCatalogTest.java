package dev.loopkit.blocking;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The block catalog: every construct of issue 3 blocks a real event loop (a real verticle, a real
 * event-bus request) for ~300 ms and must be reported with the right culprit method, kind, verticle,
 * deployment and address; the JFR-visible ones must also be flagged by strict mode at their call site.
 * Then a clean set (timers, executeBlocking, a worker verticle, a virtual-thread verticle) must give zero
 * findings.
 */
@ExtendWith(VertxExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@DisplayName("block catalog")
class BlockCatalogTest {

  enum Construct {
    SLEEP("catalog.sleep", "sleeping", BlockingKind.SLEEP, "jdk.ThreadSleep"),
    CPU_SPIN("catalog.spin", "spinning", BlockingKind.CPU, null),
    CONTENDED_SYNCHRONIZED("catalog.synchronized", "synchronizedEnter", BlockingKind.MONITOR, "jdk.JavaMonitorEnter"),
    REENTRANT_LOCK("catalog.lock", "reentrantLock", BlockingKind.LOCK, "jdk.ThreadPark"),
    OBJECT_WAIT("catalog.wait", "objectWait", BlockingKind.MONITOR, "jdk.JavaMonitorWait"),
    COMPLETABLE_FUTURE_GET("catalog.future-get", "futureGet", BlockingKind.PARK, "jdk.ThreadPark"),
    COUNT_DOWN_LATCH_AWAIT("catalog.latch", "latchAwait", BlockingKind.PARK, "jdk.ThreadPark"),
    FILE_INPUT_STREAM("catalog.file-input-stream", "fileInputStream", BlockingKind.FILE, "jdk.FileRead"),
    FILES_READ_ALL_BYTES("catalog.files-read-all-bytes", "nioReadAllBytes", BlockingKind.FILE, "jdk.FileRead"),
    FILE_EXISTS("catalog.file-exists", "fileExists", BlockingKind.FILE, null),
    SOCKET_CONNECT_READ("catalog.socket", "socketConnectRead", BlockingKind.SOCKET, "jdk.SocketRead"),
    INET_ADDRESS_LOOKUP("catalog.dns", "dnsLookup", BlockingKind.DNS, null),
    PROCESS_BUILDER_START("catalog.process", "processStart", BlockingKind.PROCESS, "jdk.ProcessStart"),
    SELF_DEADLOCK_GET("catalog.self-deadlock", "selfDeadlock", BlockingKind.PARK, "jdk.ThreadPark");

    final String address;
    final String method;
    final BlockingKind kind;
    final String jfrEvent;

    Construct(String address, String method, BlockingKind kind, String jfrEvent) {
      this.address = address;
      this.method = method;
      this.kind = kind;
      this.jfrEvent = jfrEvent;
    }
  }

  static Vertx vertx;
  static BlockingChecker checker;
  static String deploymentId;
  static final Recorded RECORDED = new Recorded();
  static final Map<Construct, String> INCIDENT_IDS = new ConcurrentHashMap<>();
  static final ExecutorService HELPERS = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "catalog-helper");
    t.setDaemon(true);
    return t;
  });
  static Path dir;

  @BeforeAll
  static void deploy(Vertx v, VertxTestContext tc) throws Exception {
    vertx = v;
    dir = Files.createTempDirectory("loopkit-catalog");
    CatalogVerticle.missingDir = dir.resolve("missing").toFile();
    checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100).setStrict(true));
    checker.onIncident(RECORDED);
    checker.ready()
      .compose(x -> vertx.deployVerticle(new CatalogVerticle()))
      .onComplete(tc.succeeding(id -> {
        deploymentId = id;
        tc.completeNow();
      }));
  }

  @AfterAll
  static void cleanUp() throws Exception {
    synchronized (CatalogVerticle.PROCESSES) {
      for (Process p : CatalogVerticle.PROCESSES) {
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
    HELPERS.shutdownNow();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
    }
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @EnumSource(Construct.class)
  @DisplayName("each construct is reported with its culprit method, kind, verticle, deployment and address")
  void construct_is_reported(Construct c) throws Exception {
    CompletableFuture<BlockingIncident> ongoing = RECORDED.first(i -> c.address.equals(i.address()) && i.ongoing());
    CompletableFuture<BlockingIncident> fin = RECORDED.first(i -> c.address.equals(i.address()) && !i.ongoing() && !i.isStrict());
    Runnable release = arrange(c, ongoing);
    Future<?> reply = vertx.eventBus().request(c.address, null, new DeliveryOptions().setSendTimeout(15_000));

    BlockingIncident live = Recorded.await(ongoing, 10_000, c + " (ongoing)");
    release.run();
    BlockingIncident done = Recorded.await(fin, 10_000, c + " (final)");
    reply.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    INCIDENT_IDS.put(c, done.id());

    assertThat(live.id()).isEqualTo(done.id());
    assertThat(RECORDED.matching(i -> done.id().equals(i.id()))).as("one ongoing and one final record").hasSize(2);
    for (BlockingIncident i : List.of(live, done)) {
      assertThat(i.culprit()).as(c + " culprit of " + i).isNotNull();
      assertThat(i.culprit().className()).isEqualTo(CatalogVerticle.class.getName());
      assertThat(i.culprit().method()).as(c + ": " + i).isEqualTo(c.method);
      assertThat(i.culprit().file()).isEqualTo("CatalogVerticle.java");
      assertThat(i.culprit().line()).isPositive();
      assertThat(i.kind()).as(c + ": " + i + " phases " + i.phases().encode()).isEqualTo(c.kind);
      assertThat(i.verticle()).isEqualTo(CatalogVerticle.class.getName());
      assertThat(i.deploymentId()).isEqualTo(deploymentId);
      assertThat(i.address()).isEqualTo(c.address);
      assertThat(i.source()).isEqualTo("event-bus");
      assertThat(i.thread()).startsWith("vert.x-eventloop-thread-");
      assertThat(i.stack()).isNotEmpty();
    }
    assertThat(live.durationMs()).isBetween(100L, 299L);
    assertThat(done.durationMs()).isGreaterThanOrEqualTo(c == Construct.SELF_DEADLOCK_GET ? live.durationMs() : 200L);
    assertThat(live.summary()).contains(c.method).contains("CatalogVerticle.java:").contains("'" + c.address + "'");
  }

  /** Sets up what makes the construct block (held locks, a FIFO without writer, a slow socket, ...). */
  private static Runnable arrange(Construct c, CompletableFuture<BlockingIncident> ongoing) throws Exception {
    long ms = CatalogVerticle.BLOCK_MS;
    switch (c) {
      case CONTENDED_SYNCHRONIZED: {
        CountDownLatch held = new CountDownLatch(1);
        HELPERS.execute(() -> {
          synchronized (CatalogVerticle.MONITOR) {
            held.countDown();
            pause(ms);
          }
        });
        held.await();
        return () -> { };
      }
      case REENTRANT_LOCK: {
        CountDownLatch held = new CountDownLatch(1);
        HELPERS.execute(() -> {
          CatalogVerticle.LOCK.lock();
          try {
            held.countDown();
            pause(ms);
          } finally {
            CatalogVerticle.LOCK.unlock();
          }
        });
        held.await();
        return () -> { };
      }
      case COMPLETABLE_FUTURE_GET: {
        CompletableFuture<String> f = new CompletableFuture<>();
        CatalogVerticle.future = f;
        f.completeAsync(() -> "late", CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS));
        return () -> { };
      }
      case COUNT_DOWN_LATCH_AWAIT: {
        CountDownLatch latch = new CountDownLatch(1);
        CatalogVerticle.latch = latch;
        CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS).execute(latch::countDown);
        return () -> { };
      }
      case FILE_INPUT_STREAM:
      case FILES_READ_ALL_BYTES: {
        Path fifo = dir.resolve("fifo-" + c.ordinal());
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assumeTrue(mk.waitFor(5, TimeUnit.SECONDS) && mk.exitValue() == 0, "mkfifo is needed for the FIFO-backed file cases");
        CatalogVerticle.fifo = fifo;
        CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS, HELPERS).execute(() -> {
          try (OutputStream out = Files.newOutputStream(fifo)) {
            out.write("slow disk".getBytes());
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        return () -> { };
      }
      case SOCKET_CONNECT_READ: {
        ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        CatalogVerticle.socketPort = server.getLocalPort();
        HELPERS.execute(() -> {
          try (server; Socket s = server.accept()) {
            pause(ms);
            s.getOutputStream().write('!');
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
        return () -> { };
      }
      case SELF_DEADLOCK_GET:
        // Deadlocked for good: the test releases the loop once the checker reported it, by interrupting it.
        return () -> {
          String name = ongoing.join().thread();
          Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().equals(name) && checker.isWatching(t))
            .forEach(Thread::interrupt);
        };
      default:
        return () -> { };
    }
  }

  private static void pause(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------------------------------ clean set

  static final String CLEAN = "clean.";

  /** Timers, executeBlocking and bus round trips on an event-loop verticle: nothing blocks the loop. */
  static class CleanLoopVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer(CLEAN + "loop", m -> vertx.timer(20)
        .compose(t -> {
          Promise5 p = new Promise5(5);
          long id = vertx.setPeriodic(5, x -> p.tick(vertx));
          return p.done.future().andThen(x -> vertx.cancelTimer(id));
        })
        .compose(x -> vertx.executeBlocking(() -> {
          Thread.sleep(150);
          return Files.readAllBytes(dir.resolve("small.txt")).length;
        }))
        .onComplete(ar -> m.reply(ar.succeeded() ? "clean" : ar.cause().toString()))).completion();
    }
  }

  /** Counts periodic ticks. */
  static final class Promise5 {
    final io.vertx.core.Promise<Void> done = io.vertx.core.Promise.promise();
    int left;

    Promise5(int n) {
      left = n;
    }

    void tick(Vertx v) {
      if (--left == 0) {
        done.tryComplete();
      }
    }
  }

  /** Blocking is what worker verticles are for. */
  static class CleanWorkerVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer(CLEAN + "worker", m -> {
        try {
          Thread.sleep(150);
          synchronized (CatalogVerticle.MONITOR) {
            m.reply(new String(Files.readAllBytes(dir.resolve("small.txt"))));
          }
        } catch (Exception e) {
          m.fail(500, e.toString());
        }
      }).completion();
    }
  }

  /** On a virtual thread, blocking unmounts instead of blocking an event loop. */
  static class CleanVirtualThreadVerticle extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().consumer(CLEAN + "virtual", m -> {
        try {
          Thread.sleep(150);
          Future.await(vertx.timer(20));
          m.reply(new String(Files.readAllBytes(dir.resolve("small.txt"))));
        } catch (Exception e) {
          m.fail(500, e.toString());
        }
      }).completion();
    }
  }

  @Order(2)
  @Test
  @DisplayName("clean set (timers, executeBlocking, worker verticle): zero findings")
  void clean_set_has_zero_findings() throws Exception {
    Files.writeString(dir.resolve("small.txt"), "small");
    assertClean(List.of(new DeploymentOptions()), List.of(new CleanLoopVerticle()), CLEAN + "loop");
    assertClean(List.of(new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)),
      List.of(new CleanWorkerVerticle()), CLEAN + "worker");
  }

  @Order(3)
  @Test
  @EnabledForJreRange(min = JRE.JAVA_21)
  @DisplayName("clean set: a virtual-thread verticle that sleeps and awaits gives zero findings")
  void virtual_thread_verticle_has_zero_findings() throws Exception {
    Files.writeString(dir.resolve("small.txt"), "small");
    assertClean(List.of(new DeploymentOptions().setThreadingModel(ThreadingModel.VIRTUAL_THREAD)),
      List.of(new CleanVirtualThreadVerticle()), CLEAN + "virtual");
  }

  private static void assertClean(List<DeploymentOptions> options, List<VerticleBase> verticles, String address) throws Exception {
    checker.drain().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    int before = RECORDED.size();
    String id = vertx.deployVerticle(verticles.get(0), options.get(0)).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (int i = 0; i < 3; i++) {
      Object reply = vertx.eventBus().request(address, null).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS).body();
      assertThat(reply).isNotNull();
    }
    checker.drain().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    vertx.undeploy(id).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    List<BlockingIncident> during = RECORDED.all().subList(before, RECORDED.size());
    assertThat(during)
      .as("findings while the clean set ran (framework-only stalls, without an application frame, excluded)")
      .filteredOn(i -> i.culprit() != null)
      .isEmpty();
  }

  // ------------------------------------------------------------------------------------------- strict

  @Order(4)
  @Test
  @DisplayName("strict mode flagged each JFR-visible construct at its call site, linked to the runtime incident")
  void strict_mode_flags_the_call_sites() throws Exception {
    assumeTrue(INCIDENT_IDS.size() == Construct.values().length, "the catalog ran");
    checker.drain().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (Construct c : Construct.values()) {
      if (c.jfrEvent == null) {
        continue;
      }
      String incident = INCIDENT_IDS.get(c);
      List<BlockingIncident> strict = RECORDED.matching(i -> i.isStrict() && incident.equals(i.toJson().getString("incident"))
        && c.jfrEvent.equals(i.toJson().getString("event")));
      assertThat(strict).as(c + ": strict findings linked to " + incident + " among " + RECORDED.matching(BlockingIncident::isStrict)).isNotEmpty();
      BlockingIncident s = strict.get(0);
      assertThat(s.culprit().method()).isEqualTo(c.method);
      assertThat(s.culprit().file()).isEqualTo("CatalogVerticle.java");
      assertThat(s.culprit().line()).isPositive();
      assertThat(s.thread()).startsWith("vert.x-eventloop-thread-");
    }
  }
}
