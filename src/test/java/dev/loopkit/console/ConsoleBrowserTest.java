package dev.loopkit.console;

import dev.loopkit.blocking.BlockingChecker;
import dev.loopkit.blocking.BlockingCheckerOptions;
import dev.loopkit.http.HttpFrontOptions;
import dev.loopkit.http.HttpFrontVerticle;
import dev.loopkit.timeout.TimeoutVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The loop console in a real browser (headless Chromium driven by Selenium), against a real front, checker,
 * timeout verticle and a verticle that blocks its event loop on purpose: the loop shows as blocked while it
 * is, the incident appears with its culprit line within 2 s, the flame graph has a box for the culprit
 * method, a breaker transition shows up, the page works at 390 px and by keyboard, and the browser console
 * has no errors. Screenshots are written to {@code target/console.png} (1280×800) and
 * {@code target/console-full.png} (the whole page, as in the README). One browser for the whole class.
 */
@DisplayName("loop console in headless Chromium")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {

  /** The line of {@code Thread.sleep} in {@link Blocker#stall} (the culprit the page must show). */
  static final int STALL_LINE = markedLine();
  static final String STALL_FRAME = Blocker.class.getName() + ".stall";

  /** Blocks its event loop on purpose when asked on {@code console.block}. */
  public static final class Blocker extends VerticleBase {
    volatile String thread;

    @Override
    public Future<?> start() {
      thread = Thread.currentThread().getName();
      return vertx.eventBus().<JsonObject>consumer("console.block", m -> {
        stall(m.body().getLong("ms"));
        m.reply(thread);
      }).completion();
    }

    static void stall(long ms) {
      try {
        Thread.sleep(ms); // STALL_LINE: the culprit
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static Vertx vertx;
  private static BlockingChecker checker;
  private static Blocker blocker;
  private static ChromeDriver driver;
  private static String base;

  @BeforeAll
  static void start() throws Exception {
    driver = Browsers.chromium(); // skips (outside CI) when Chromium is missing
    vertx = Vertx.vertx();
    checker = BlockingChecker.create(vertx, new BlockingCheckerOptions().setThresholdMs(100));
    get(checker.ready());
    get(vertx.eventBus().<JsonObject>consumer("console.flaky", m -> m.fail(500, "down")).completion());
    JsonObject timeout = new JsonObject().put("routes", new JsonArray().add(new JsonObject()
      .put("address", "console.flaky.guarded").put("target", "console.flaky").put("timeoutMs", 1_000)
      .put("circuitBreaker", new JsonObject().put("maxFailures", 2).put("resetTimeoutMs", 60_000))));
    get(vertx.deployVerticle(new TimeoutVerticle(), new DeploymentOptions().setConfig(timeout)));
    blocker = new Blocker();
    get(vertx.deployVerticle(blocker));
    HttpFrontVerticle front = new HttpFrontVerticle(new HttpFrontOptions().setPort(0), Map.of());
    get(vertx.deployVerticle(front));
    base = "http://127.0.0.1:" + front.actualPort();
    driver.get(base + "/console");
    waitFor(10_000).until(d -> "live".equals(d.findElement(By.id("status")).getText()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (vertx != null) {
      if (checker != null) {
        get(checker.close());
      }
      get(vertx.close());
    }
  }

  @Test
  @Order(1)
  @DisplayName("a blocked loop: shown blocked while it is, the incident with its culprit line within 2 s, a flame box for the culprit")
  void a_blocked_loop_shows_up_live() throws Exception {
    String loop = blocker.thread;
    long t0 = System.nanoTime();
    Future<Object> done = vertx.eventBus().request("console.block", new JsonObject().put("ms", 1_500),
      new DeliveryOptions().setSendTimeout(10_000)).map(m -> m.body());
    By blockedCard = By.cssSelector(".loop.blocked[data-loop='" + loop + "']");
    waitFor(2_000).until(d -> !d.findElements(blockedCard).isEmpty());
    assertThat(texts(".loop.blocked[data-loop='" + loop + "'] .state")).anyMatch(t -> t.startsWith("blocked "));
    String culprit = "ConsoleBrowserTest.java:" + STALL_LINE;
    waitFor(2_000).until(d -> texts("li.incident .culprit").stream().anyMatch(t -> t.contains(culprit)));
    long seenMs = (System.nanoTime() - t0) / 1_000_000;
    assertThat(seenMs).as("incident on the page after the block began").isLessThan(2_000);
    assertThat(done.isComplete()).as("the loop is still blocked while the page shows it").isFalse();
    get(done);
    waitFor(3_000).until(d -> d.findElements(blockedCard).isEmpty());
    By box = By.cssSelector(".flame-box.app[data-frame='" + STALL_FRAME + "']");
    waitFor(2_000).until(d -> !d.findElements(box).isEmpty());
    assertThat(texts("li.incident .culprit").get(0)).contains(culprit).contains("Blocker.stall");
  }

  @Test
  @Order(2)
  @DisplayName("a breaker transition shows up")
  void a_breaker_transition_shows_up() throws Exception {
    for (int i = 0; i < 2; i++) {
      Future<?> call = vertx.eventBus().request("console.flaky.guarded", new JsonObject());
      call.toCompletionStage().toCompletableFuture().handle((r, e) -> null).get(10, TimeUnit.SECONDS);
    }
    waitFor(2_000).until(d -> texts("#breaker-events li").stream()
      .anyMatch(t -> t.contains("console.flaky.guarded") && t.contains("OPEN")));
    waitFor(3_000).until(d -> d.findElements(By.cssSelector("#routes tr[data-route='console.flaky.guarded'] .br-OPEN")).size() == 1);
    // the route's p99 (ms), from its latency histogram: the fourth cell, a number once calls were made
    String p99 = driver.findElement(By.cssSelector("#routes tr[data-route='console.flaky.guarded'] td:nth-child(4)")).getText();
    assertThat(Double.parseDouble(p99)).isGreaterThanOrEqualTo(0.0);
    Path shot = Path.of("target", "console.png");
    Files.createDirectories(shot.getParent());
    Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), shot, StandardCopyOption.REPLACE_EXISTING);
    assertThat(Files.size(shot)).isGreaterThan(10_000);
    // the whole page too (for the README): a viewport as tall as the page, at most 2400 px
    long height = Math.min(2_400, ((Number) driver.executeScript("return document.documentElement.scrollHeight")).longValue());
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 1280, "height", height,
      "deviceScaleFactor", 1, "mobile", false));
    try {
      Path full = Path.of("target", "console-full.png");
      Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), full, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
    }
  }

  @Test
  @Order(3)
  @DisplayName("usable by keyboard: a flame frame filters the incidents, a summary expands the stack")
  void usable_by_keyboard() {
    By box = By.cssSelector(".flame-box[data-frame='" + STALL_FRAME + "']");
    driver.findElement(box).sendKeys(Keys.ENTER);
    waitFor(2_000).until(d -> d.findElement(By.id("f-frame")).isDisplayed());
    assertThat(driver.findElement(By.id("f-frame-name")).getText()).isEqualTo(STALL_FRAME);
    assertThat(driver.findElements(By.cssSelector("li.incident"))).isNotEmpty();
    WebElement summary = driver.findElement(By.cssSelector("li.incident summary"));
    summary.sendKeys(Keys.ENTER);
    waitFor(2_000).until(d -> d.findElement(By.cssSelector("li.incident details")).getAttribute("open") != null);
    assertThat(driver.findElement(By.cssSelector("li.incident pre")).getText()).contains("Blocker.stall(ConsoleBrowserTest.java:" + STALL_LINE + ")");
    driver.findElement(By.id("f-frame-clear")).sendKeys(Keys.ENTER);
    waitFor(2_000).until(d -> !d.findElement(By.id("f-frame")).isDisplayed());
  }

  @Test
  @Order(4)
  @DisplayName("works at 390 px wide: nothing wider than the viewport")
  void works_390_px_wide() {
    // a desktop window cannot be made that narrow: emulate a phone's viewport as DevTools does
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", Map.of("width", 390, "height", 800,
      "deviceScaleFactor", 1, "mobile", false));
    try {
      String widest = "return Array.from(document.querySelectorAll('body *'))"
        + ".filter(e => e.getBoundingClientRect().right > 390.5 && !e.closest('pre, .scroll, .flame'))"
        + ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 5)"
        + ".concat(['innerWidth ' + window.innerWidth, 'scrollWidth ' + document.documentElement.scrollWidth])";
      waitFor(2_000).withMessage(() -> "wider than 390 px: " + driver.executeScript(widest))
        .until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
          "return window.innerWidth === 390 && document.documentElement.scrollWidth <= window.innerWidth"));
      assertThat(driver.findElement(By.id("incidents-panel")).isDisplayed()).isTrue();
      assertThat(driver.findElement(By.id("flame-panel")).getRect().getWidth()).isLessThanOrEqualTo(390);
    } finally {
      driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
    }
  }

  @Test
  @Order(5)
  @DisplayName("the browser console has no errors")
  void no_browser_errors() {
    List<LogEntry> entries = driver.manage().logs().get(LogType.BROWSER).getAll();
    List<String> errors = entries.stream().filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
      .map(LogEntry::getMessage).collect(Collectors.toList());
    assertThat(errors).as("browser console errors").isEmpty();
  }

  private static int markedLine() {
    try {
      List<String> lines = Files.readAllLines(Path.of("src/test/java/dev/loopkit/console/ConsoleBrowserTest.java"));
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).contains("Thread.sleep(ms); // STALL_LINE")) {
          return i + 1;
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    throw new IllegalStateException("no STALL_LINE mark");
  }

  /** @return the text of every element matching {@code css}, read in one go (the page re-renders lists) */
  @SuppressWarnings("unchecked")
  private static List<String> texts(String css) {
    return (List<String>) driver.executeScript("return Array.from(document.querySelectorAll(arguments[0])).map(e => e.textContent)", css);
  }

  private static WebDriverWait waitFor(long ms) {
    WebDriverWait w = new WebDriverWait(driver, Duration.ofMillis(ms), Duration.ofMillis(25));
    return w;
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
