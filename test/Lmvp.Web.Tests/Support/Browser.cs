using System.Collections.ObjectModel;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Lmvp.Web.Tests.Support;

/// <summary>Headless Debian Chromium driven through the system chromedriver (no browser or driver is downloaded).</summary>
/// <remarks>
/// Every page gets, before its own scripts could run, a trap that records calls to <c>alert</c>, <c>confirm</c> and
/// <c>prompt</c> (installed over the DevTools protocol, so the page's Content-Security-Policy does not stop it):
/// <see cref="ScriptAlerts"/> then says whether anything on the page ran.
/// </remarks>
internal sealed class Browser : IDisposable
{
    public const string ChromiumVariable = "LMVP_CHROMIUM";
    public const string ChromeDriverVariable = "LMVP_CHROMEDRIVER";

    private const string AlertTrap = """
        window.__lmvpAlerts = [];
        for (const name of ['alert', 'confirm', 'prompt']) {
          window[name] = (message) => { window.__lmvpAlerts.push(name + ':' + String(message)); return null; };
        }
        """;

    private readonly string _profile;

    private Browser(ChromeDriver driver, string baseUrl, string profile, string downloads)
    {
        Driver = driver;
        BaseUrl = baseUrl;
        _profile = profile;
        DownloadDirectory = downloads;
    }

    public ChromeDriver Driver { get; }

    public string BaseUrl { get; }

    public string DownloadDirectory { get; }

    /// <summary>Where screenshots go: bin/.../screenshots next to the test assembly.</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static Browser Start(string baseUrl)
    {
        var chromium = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } c ? c : "/usr/bin/chromium";
        var chromedriver = Environment.GetEnvironmentVariable(ChromeDriverVariable) is { Length: > 0 } d ? d : "/usr/bin/chromedriver";
        if (!File.Exists(chromium) || !File.Exists(chromedriver))
        {
            Assert.Fail($"The browser tests need Chromium at {chromium} and chromedriver at {chromedriver} "
                + "(Debian: apt-get install chromium chromium-driver; .ci/run installs them).");
        }

        var profile = Directory.CreateTempSubdirectory("lmvp-chromium-").FullName;
        var downloads = Directory.CreateDirectory(Path.Combine(profile, "downloads")).FullName;
        var options = new ChromeOptions { BinaryLocation = chromium, UnhandledPromptBehavior = UnhandledPromptBehavior.Ignore };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--force-device-scale-factor=1",
            "--window-size=1400,900", "--lang=en-US", $"--user-data-dir={Path.Combine(profile, "user-data")}");
        options.AddUserProfilePreference("download.default_directory", downloads);
        options.AddUserProfilePreference("download.prompt_for_download", false);
        options.AddUserProfilePreference("safebrowsing.enabled", false);
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(chromedriver)!, Path.GetFileName(chromedriver));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        driver.Manage().Timeouts().PageLoad = TimeSpan.FromSeconds(30);
        driver.ExecuteCdpCommand("Page.addScriptToEvaluateOnNewDocument", new Dictionary<string, object?> { ["source"] = AlertTrap });
        driver.ExecuteCdpCommand("Browser.setDownloadBehavior", new Dictionary<string, object?>
        {
            ["behavior"] = "allow",
            ["downloadPath"] = downloads,
        });
        return new Browser(driver, baseUrl, profile, downloads);
    }

    /// <summary>Opens a path of the server (e.g. "/repos/alice/model").</summary>
    public void Open(string path) => Driver.Navigate().GoToUrl(BaseUrl + path);

    /// <summary>The path and query of the current page.</summary>
    public string Location => new Uri(Driver.Url).PathAndQuery;

    /// <summary>Chooses the option with <paramref name="value"/> in the select box <paramref name="css"/>.</summary>
    public void Select(string css, string value) => Find(css).FindElement(By.CssSelector($"option[value='{value}']")).Click();

    public IWebElement Find(string css) => Driver.FindElement(By.CssSelector(css));

    public ReadOnlyCollection<IWebElement> FindAll(string css) => Driver.FindElements(By.CssSelector(css));

    public string BodyText => Find("body").Text;

    /// <summary>Clicks something that loads another page (a link, a submit button) and waits until that page has loaded.</summary>
    public void ClickToNavigate(IWebElement element)
    {
        var old = Find("html");
        element.Click();
        WaitFor(() =>
        {
            try
            {
                _ = old.Enabled;
                return false;
            }
            catch (StaleElementReferenceException)
            {
                return true;
            }
            catch (UnknownErrorException e) when (e.Message.Contains("does not belong to the document", StringComparison.Ordinal))
            {
                // Chromium's other way of saying the old page is gone, when the check races the navigation.
                return true;
            }
        }, "the next page to load");
        WaitFor(() => Equals(Driver.ExecuteScript("return document.readyState;"), "complete"), "the page to finish loading");
    }

    /// <summary>Signs in through the sign-in form, starting from a clean cookie jar.</summary>
    public void SignIn(string user, string password)
    {
        SignOutByForgetting();
        Open("/signin");
        Find("#username").SendKeys(user);
        Find("#password").SendKeys(password);
        ClickToNavigate(Find("#signin"));
        Location.Should().NotStartWith("/signin", "signing in as {0} should succeed", user);
    }

    /// <summary>Drops every cookie of the site (as a new browser would be).</summary>
    public void SignOutByForgetting()
    {
        if (!Driver.Url.StartsWith(BaseUrl, StringComparison.Ordinal))
        {
            Open("/static/icon.svg");
        }

        Driver.Manage().Cookies.DeleteAllCookies();
    }

    /// <summary>Calls made to alert/confirm/prompt by the current page, plus a dialog left open if there is one.</summary>
    public IReadOnlyList<string> ScriptAlerts()
    {
        var alerts = new List<string>();
        try
        {
            alerts.Add("dialog:" + Driver.SwitchTo().Alert().Text);
        }
        catch (NoAlertPresentException)
        {
        }

        if (Driver.ExecuteScript("return window.__lmvpAlerts || null;") is IReadOnlyCollection<object> trapped)
        {
            alerts.AddRange(trapped.Select(o => o?.ToString() ?? ""));
        }

        return alerts;
    }

    public void WaitFor(Func<bool> condition, string what, double seconds = 10)
    {
        var wait = new WebDriverWait(Driver, TimeSpan.FromSeconds(seconds)) { PollingInterval = TimeSpan.FromMilliseconds(50) };
        try
        {
            wait.Until(_ => condition());
        }
        catch (WebDriverTimeoutException)
        {
            Assert.Fail($"Timed out waiting for {what}; at {Driver.Url}");
        }
    }

    /// <summary>Saves a PNG of the window as bin/.../screenshots/NAME.png and attaches it to the test.</summary>
    public string Screenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = System.IO.Path.Combine(ScreenshotDirectory, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        TestContext.AddTestAttachment(path, name);
        return path;
    }

    /// <summary>Saves a PNG of the whole page (not only the window), resizing the window to the page's height for the shot.</summary>
    public string FullPageScreenshot(string name, int maxHeight = 2400)
    {
        var height = Convert.ToInt32(Driver.ExecuteScript("return Math.ceil(document.documentElement.scrollHeight);"), System.Globalization.CultureInfo.InvariantCulture);
        var original = Driver.Manage().Window.Size;
        Driver.Manage().Window.Size = new System.Drawing.Size(original.Width, Math.Clamp(height + 100, original.Height, maxHeight));
        try
        {
            return Screenshot(name);
        }
        finally
        {
            Driver.Manage().Window.Size = original;
        }
    }

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
