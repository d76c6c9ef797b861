package dev.hack.node.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.google.gson.JsonObject;
import dev.hack.node.gateway.GatewayFixture.Reply;
import dev.hack.node.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web terminal page served by the gateway, driven in a real headless Chromium at a phone's size
 * against a real node: token form, session list, typing into a shell through xterm.js, the
 * on-screen key bar, reconnecting, and the page's error messages.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them).
 * Selenium Manager never runs: the driver and the browser are given by path, so nothing is
 * downloaded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebTerminalTest {
  private static final Duration T = Duration.ofSeconds(20);
  private static final Path CHROMIUM =
      Path.of(System.getProperty("hack.test.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("webdriver.chrome.driver", "/usr/bin/chromedriver"));

  /** All the text in the attached terminal's buffer (scrollback included), one line per row. */
  private static final String TERMINAL_TEXT =
      "const t = window.hackTerm; if (!t) return null; const b = t.buffer.active; const out = [];"
          + " for (let i = 0; i < b.length; i++) { const l = b.getLine(i);"
          + " if (l) out.push(l.translateToString(true)); } return out.join('\\n');";

  @TempDir static Path dir;
  private final Path target = Path.of(System.getProperty("basedir", ".")).resolve("target");
  private GatewayFixture g;
  private ChromeDriverService service;
  private ChromeDriver browser;
  private WebDriverWait wait;

  @BeforeAll
  void start() throws Exception {
    if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
      fail(
          "WebTerminalTest drives a real headless Chromium, but "
              + (Files.isExecutable(CHROMIUM) ? CHROMEDRIVER : CHROMIUM)
              + " is missing: install it with `apt-get install -y chromium chromium-driver`"
              + " (.ci/run does), or point -Dhack.test.chromium and -Dwebdriver.chrome.driver at"
              + " a matching browser and driver");
    }
    g = new GatewayFixture(dir);
    Files.createDirectories(target);
    service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withLogFile(target.resolve("chromedriver.log").toFile())
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=390,844",
        "--user-data-dir=" + dir.resolve("chromium-profile"));
    // an iPhone's viewport (CSS pixels) with touch: a bare window cannot be narrower than 500px
    options.setExperimentalOption(
        "mobileEmulation",
        Map.of(
            "deviceMetrics",
            Map.of("width", 390, "height", 844, "pixelRatio", 3.0, "touch", true)));
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, T, Duration.ofMillis(50));
  }

  @AfterAll
  void stop() throws Exception {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (service != null) {
        service.stop();
      }
      if (g != null) {
        g.close();
      }
    }
  }

  @BeforeEach
  void freshPage() {
    browser.get(g.url + "/manifest.json"); // same origin, no app running: forget any token
    js("localStorage.clear(); return null;");
  }

  @AfterEach
  void noStreamLeftOpen() throws Exception {
    browser.get("about:blank");
    Poll.until(
        T,
        "the page's streams to close",
        () -> g.get("/v1/metrics", g.read).json().get("streams_active").getAsInt() == 0);
  }

  @Test
  void pastedWriteTokenAttachesTypesAndInterruptsWithTheKeyBar() throws Exception {
    Reply created = g.post("/v1/sessions", g.write, "{\"id\":\"web-shell\"}");
    assertThat(created.code()).as(created.body()).isEqualTo(200);
    long shellPid = created.json().getAsJsonObject("session").get("pid").getAsLong();

    browser.get(g.url + "/");
    visible("#token-input").sendKeys(g.write);
    click("#login-submit");
    WebElement item = visible("button.session[data-id='web-shell']");
    assertThat(js("return localStorage.getItem('hack.gateway.token');")).isEqualTo(g.write);
    assertThat(item.getText()).contains("web-shell", "running");
    item.click();
    attached("web-shell");
    Poll.until(T, "the prompt to be painted", () -> !terminalText().isBlank());

    type("echo web-$((6*7))" + Keys.ENTER);
    terminalShows("web-42");
    assertThat(js("return window.innerWidth;")).isEqualTo(390L);
    assertThat((Long) js("return window.hackTerm.cols;")).isBetween(30L, 60L); // fitted to a phone
    Poll.until(
        T,
        "the output in the session's log",
        () -> g.get("/v1/sessions/web-shell/logs?from=0", g.write).body().contains("web-42"));

    // the sticky on-screen Ctrl turns the next typed key into a control character
    type("sleep 100; echo after-$((2+3))" + Keys.ENTER);
    Poll.until(T, "sleep to start", () -> sleepUnder(shellPid));
    click("#key-ctrl");
    assertThat(visible("#key-ctrl").getAttribute("aria-pressed")).isEqualTo("true");
    type("c");
    Poll.until(T, "Ctrl-C to end sleep", () -> !sleepUnder(shellPid));
    assertThat(visible("#key-ctrl").getAttribute("aria-pressed")).isEqualTo("false");
    type("echo interrupted-$((3+4))" + Keys.ENTER);
    assertThat(terminalShows("interrupted-7")).contains("^C").doesNotContain("after-5");

    // the arrow key on the bar recalls the last command from the shell's history
    click("button[data-key='up']");
    type(String.valueOf(Keys.ENTER));
    Poll.until(
        T,
        "the recalled command to run again",
        () -> count(terminalText(), "interrupted-7") >= 2); // printed once per run

    Files.write(target.resolve("web-terminal.png"), browser.getScreenshotAs(OutputType.BYTES));

    // back detaches; the session keeps running
    click("#back");
    visible("button.session[data-id='web-shell']");
    Poll.until(T, "the page to detach", () -> session("web-shell").get("attached").getAsInt() == 0);
    assertThat(session("web-shell").get("status").getAsString()).isEqualTo("running");
    g.post("/v1/sessions/web-shell/stop", g.write, "");
  }

  @Test
  void droppedSocketReconnectsAndRepaintsTheScreen() throws Exception {
    g.post("/v1/sessions", g.write, "{\"id\":\"web-reconnect\"}");
    browser.get(g.url + "/#token=" + g.write + "&x=1");
    visible("button.session[data-id='web-reconnect']").click();
    attached("web-reconnect");
    type("echo before-$((5*5))" + Keys.ENTER);
    terminalShows("before-25");

    // text only this page has, then the socket drops under it
    js("window.hackTerm.write('\\r\\nLOCAL-ONLY\\r\\n'); return null;");
    terminalShows("LOCAL-ONLY");
    long opened = g.get("/v1/metrics", g.read).json().get("streams_opened").getAsLong();
    js("window.hackApp.current().ws.close(); return null;");
    Poll.until(
        T,
        "a new stream",
        () -> g.get("/v1/metrics", g.read).json().get("streams_opened").getAsLong() > opened);
    wait.until(ExpectedConditions.attributeToBe(By.id("conn"), "data-state", "connected"));
    Poll.until(
        T,
        "the screen to be repainted from the node",
        () -> {
          String text = terminalText();
          return text.contains("before-25") && !text.contains("LOCAL-ONLY");
        });

    // a session that exits ends the page's stream for good
    type("exit" + Keys.ENTER);
    wait.until(ExpectedConditions.attributeToBe(By.id("conn"), "data-state", "ended"));
    terminalShows("[session ended");
  }

  @Test
  void badTokenIsRefusedWithAReason() {
    browser.get(g.url + "/");
    visible("#token-input").sendKeys("hk_nope_notarealsecret");
    click("#login-submit");
    WebElement error = visible("#login-error");
    assertThat(error.getText()).contains("refused this token").contains("token-create");
    assertThat(visible("#login").isDisplayed()).isTrue();
    assertThat(js("return localStorage.getItem('hack.gateway.token');")).isNull();

    // an empty form says what to do instead of calling the node
    browser.findElement(By.id("token-input")).clear();
    click("#login-submit");
    wait.until(ExpectedConditions.textToBe(By.id("login-error"), "Paste a token first."));
  }

  @Test
  void tokenFromTheLinkFragmentIsStoredAndRemovedFromTheAddressBar() throws Exception {
    browser.get(g.url + "/#token=" + g.write);
    visible("#new-shell");
    assertThat(browser.getCurrentUrl()).doesNotContain("token").doesNotContain("#");
    assertThat(js("return localStorage.getItem('hack.gateway.token');")).isEqualTo(g.write);

    // reloading keeps the token; New shell starts a login shell and attaches to it
    browser.navigate().refresh();
    click("#new-shell");
    wait.until(ExpectedConditions.urlContains("#/s/"));
    String id = browser.findElement(By.id("term-title")).getText();
    attached(id);
    assertThat(session(id).get("type").getAsString()).isEqualTo("shell");
    type("echo new-$((8*8))" + Keys.ENTER);
    terminalShows("new-64");

    // forgetting the token brings the form back
    click("#back");
    click("#forget");
    visible("#token-input");
    assertThat(js("return localStorage.getItem('hack.gateway.token');")).isNull();
    g.post("/v1/sessions/" + id + "/stop", g.write, "");
  }

  @Test
  void readTokenIsToldItCanOnlyRead() throws Exception {
    g.post("/v1/sessions", g.write, "{\"id\":\"web-read\"}");
    browser.get(g.url + "/#token=" + g.read);
    assertThat(visible("#scope-note").getText()).contains("can only read", "--scope write");

    click("#new-shell");
    assertThat(visible("#list-error").getText()).contains("can only read", "--scope write");

    visible("button.session[data-id='web-read']").click();
    WebElement error = visible("#term-error");
    wait.until(ExpectedConditions.attributeToBe(By.id("conn"), "data-state", "error"));
    assertThat(error.getText()).contains("can only read", "token-create --scope write");
    g.post("/v1/sessions/web-read/stop", g.write, "");
  }

  // --- helpers ----------------------------------------------------------------------------

  private Object js(String script) {
    return ((JavascriptExecutor) browser).executeScript(script);
  }

  private WebElement visible(String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  private void click(String css) {
    wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector(css))).click();
  }

  /** Waits for the terminal page of session {@code id} with a live stream. */
  private void attached(String id) {
    wait.until(ExpectedConditions.textToBe(By.id("term-title"), id));
    wait.until(ExpectedConditions.attributeToBe(By.id("conn"), "data-state", "connected"));
    wait.until(
        ExpectedConditions.presenceOfElementLocated(By.cssSelector(".xterm-helper-textarea")));
  }

  /**
   * Types as a user would: key events into xterm.js's input element (an invisible textarea, so
   * WebDriver's element typing refuses it; keys go to the focused element instead).
   */
  private void type(String keys) {
    WebElement input = browser.findElement(By.cssSelector(".xterm-helper-textarea"));
    if (!input.equals(browser.switchTo().activeElement())) {
      js("window.hackTerm.focus(); return null;");
    }
    new Actions(browser).sendKeys(keys).perform();
  }

  private String terminalText() {
    Object text = js(TERMINAL_TEXT);
    return text == null ? "" : text.toString();
  }

  private String terminalShows(String text) throws Exception {
    try {
      return Poll.until(
          T,
          "the terminal to show " + text,
          () -> {
            String all = terminalText();
            return all.contains(text) ? all : null;
          });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; the terminal shows:\n" + terminalText(), e);
    }
  }

  private JsonObject session(String id) throws IOException {
    return g.get("/v1/sessions/" + id, g.read).json().getAsJsonObject("session");
  }

  private static boolean sleepUnder(long pid) {
    return ProcessHandle.of(pid)
        .map(p -> p.descendants().anyMatch(d -> d.info().command().orElse("").endsWith("/sleep")))
        .orElse(false);
  }

  private static int count(String haystack, String needle) {
    int n = 0;
    for (int i = haystack.indexOf(needle); i >= 0; i = haystack.indexOf(needle, i + 1)) {
      n++;
    }
    return n;
  }
}
