package dev.loopkit.console;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.util.List;
import java.util.Map;

/**
 * Headless Chromium for the console's browser tests, from the OS packages ({@code chromium},
 * {@code chromium-driver}); never downloaded. Missing: the test is skipped with one line saying how to install
 * it — unless {@code CI=true}, where the browser tests must run and a missing browser fails them.
 */
final class Browsers {

  static final String INSTALL = "apt-get install -y chromium chromium-driver";
  private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
  private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

  private Browsers() {
  }

  /** @return a headless Chromium with a 1280×800 window that records the page's console messages */
  static ChromeDriver chromium() {
    String browser = first(BROWSERS);
    String driver = first(DRIVERS);
    if (browser == null || driver == null) {
      String missing = "browser tests need Chromium and its driver (" + (browser == null ? "no chromium" : "no chromedriver")
        + " found): install them with `" + INSTALL + "`";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        throw new IllegalStateException(missing + " (CI=true: the browser tests must run)");
      }
      Assumptions.assumeTrue(false, "skipped: " + missing);
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(browser);
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--window-size=1280,800", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", "--metrics-recording-only");
    options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver))
      .usingAnyFreePort().build();
    return new ChromeDriver(service, options);
  }

  private static String first(List<String> paths) {
    for (String p : paths) {
      if (new File(p).canExecute()) {
        return p;
      }
    }
    return null;
  }
}
