using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using LiveStream.Testing;
using Microsoft.Playwright;

namespace LiveStream.Web.Tests;

/// <summary>
/// One LiveStream process (role <c>all</c>) with its own nginx RTMP ingest, and Debian's Chromium driven by Playwright
/// (never a downloaded browser), shared by the browser tests. Every page a test opens records its console errors.
/// </summary>
public sealed class WebFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private TestDatabase? _database;
    private NginxRtmp? _nginx;
    private HostProcess? _host;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public HostProcess Host => _host ?? throw new InvalidOperationException("Fixture not started.");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Fixture not started.");

    public string BaseUrl => Host.BaseAddress.ToString().TrimEnd('/');

    /// <summary>Where the README's screenshots live.</summary>
    public static string ScreenshotDirectory => Path.Combine(NginxRtmp.RepositoryRoot, "docs", "img");

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing; scripts/ensure-deps.sh test installs it (apt package chromium).");
        }

        _database = await TestDatabase.CreateAsync();
        var httpPort = FreePorts.Next();
        var secret = Guid.NewGuid().ToString("N");
        _nginx = await NginxRtmp.StartAsync($"http://127.0.0.1:{httpPort}/internal/media/{secret}");
        _host = await HostProcess.StartAsync(new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            HttpPort = httpPort,
            Settings = _nginx.HostSettings(httpPort, secret),
            // The browser tests share the box with Chromium and ffmpeg; a loaded CI box starts the silo slowly.
            ReadyTimeout = TimeSpan.FromMinutes(3),
        });
        // Expectations poll for a condition; on a loaded 2-core CI box a page's first answers can take longer than
        // Playwright's 5 s default, which would fail a test that is only slow.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
        });
    }

    /// <summary>A fresh browser context (its own sign-in) at <paramref name="width"/> px, recording console errors.</summary>
    public Task<TrackedPage> OpenAsync(int width) => OpenAsync(width, BaseUrl);

    /// <summary>As <see cref="OpenAsync(int)"/>, on another host's web app.</summary>
    public async Task<TrackedPage> OpenAsync(int width, string baseUrl)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = width < 600 ? 844 : 900 },
            BaseURL = baseUrl,
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var page = await context.NewPageAsync();
        return new TrackedPage(page, width);
    }

    /// <summary>A dev token for checks the test makes through the API itself (e.g. waiting for a state).</summary>
    public async Task<string> TokenAsync(string userId, string role)
    {
        using var http = Host.CreateClient();
        using var response = await http.PostAsJsonAsync("/auth/dev-token", new { userId, role });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>GETs an API resource as <paramref name="token"/>'s user.</summary>
    public async Task<JsonElement> GetAsync(string path, string token)
    {
        using var http = Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (_nginx is not null)
        {
            await _nginx.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>A page whose console errors and uncaught exceptions are kept, so a test can require there were none.</summary>
public sealed class TrackedPage : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentBag<string> _expectedRejections = [];

    public TrackedPage(IPage page, int width)
    {
        Page = page;
        Width = width;
        page.Console += (_, message) =>
        {
            // Chromium logs every 4xx answer as a console error; only those a test provoked on purpose are allowed.
            if (message.Type == "error" && !(message.Text.StartsWith("Failed to load resource", StringComparison.Ordinal)
                && _expectedRejections.Any(path => message.Location.Contains(path, StringComparison.Ordinal))))
            {
                _errors.Enqueue($"console: {message.Text} ({message.Location})");
            }
        };
        page.PageError += (_, error) => _errors.Enqueue($"uncaught: {error}");
    }

    public IPage Page { get; }

    public int Width { get; }

    public IReadOnlyCollection<string> Errors => _errors;

    /// <summary>The test sends bad input to <paramref name="path"/> on purpose: its 4xx answer is not a page error.</summary>
    public void ExpectRejection(string path) => _expectedRejections.Add(path);

    /// <summary>Nothing is wider than the viewport (no sideways scrolling on a phone) and the console stayed clean.</summary>
    public async Task AssertFitsAndCleanAsync(string what)
    {
        var overflow = await Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"{what} at {Width} px is {overflow} px wider than the viewport.");
        Assert.True(_errors.IsEmpty, $"{what} at {Width} px logged errors:\n{string.Join('\n', _errors)}");
    }

    public async ValueTask DisposeAsync() => await Page.Context.CloseAsync();
}

[CollectionDefinition(Name)]
public sealed class WebCollection : ICollectionFixture<WebFixture>
{
    public const string Name = "web";
}

public static class Ids
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..Math.Min(64, prefix.Length + 13)];
}
