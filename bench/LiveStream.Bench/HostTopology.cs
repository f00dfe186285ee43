using System.Globalization;
using System.Security.Cryptography;

namespace LiveStream.Bench;

/// <summary>
/// The real LiveStream host (the Release build output) on a fresh database, laid out as one <c>all</c> process or
/// as an <c>api</c> process in front of a <c>silo</c> process. Development environment for dev tokens, logging at
/// Warning so console output does not dominate, schema applied with the executable's own <c>migrate</c> command.
/// </summary>
public sealed class HostTopology : IAsyncDisposable
{
    // Generous: on a shared box other builds can starve a starting host for minutes.
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(5);

    private readonly List<ChildProcess> _processes = [];

    private HostTopology(Topology topology, string signingKey)
    {
        Topology = topology;
        SigningKey = signingKey;
    }

    public Topology Topology { get; }

    public string SigningKey { get; }

    /// <summary>Where HTTP requests go: the <c>all</c> process or the <c>api</c> process.</summary>
    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The host processes, front end first (for the CPU split).</summary>
    public IReadOnlyList<ChildProcess> Processes => _processes;

    /// <summary>Where the hosts keep local media; the seeder writes the first segment nginx would write there.</summary>
    public static readonly string MediaDirectory = Path.Combine(Path.GetTempPath(), "livestream-bench-media");

    /// <summary>The secret path of the ingest callback the seed uses to take its session live, as nginx-rtmp would.</summary>
    public const string CallbackSecret = "bench-ingest-callback-path-secret-0001";

    /// <summary>The settings every host process gets, besides role and ports (reported in benchmarks.md).</summary>
    public static IReadOnlyDictionary<string, string> CommonSettings { get; } = new Dictionary<string, string>
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["DOTNET_ENVIRONMENT"] = "Development",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Database__MigrateOnStart"] = "false",
        ["Orleans__AdvertisedIPAddress"] = "127.0.0.1",
        ["Media__Local__CallbackSecret"] = CallbackSecret,
        ["Media__Local__Directory"] = MediaDirectory,
        // wrk sends as fast as the server answers, a few dozen users thousands of taps a second: the per-user
        // budgets (10 reactions/s, 20 comments/min by default) would turn the run into a 429 benchmark.
        ["RateLimits__ReactionsPerSecond"] = "100000",
        ["RateLimits__ReactionBurst"] = "100000",
        ["RateLimits__CommentsPerMinute"] = "100000",
        ["RateLimits__CommentBurst"] = "100000",
        ["RateLimits__SchedulesPerHour"] = "100000",
        ["RateLimits__ScheduleBurst"] = "100000",
        // The churn soak schedules dozens of sessions a second for one mentor and opens hundreds of feeds for 50
        // mentees: the upcoming-session quota (50) and the per-user feed cap (5) would answer 409 and 429.
        ["RateLimits__MaxUpcomingSessions"] = "100000",
        ["StreamLimits__MaxStreamsPerUser"] = "1000",
    };

    public static async Task<HostTopology> StartAsync(BenchOptions options, Topology topology, BenchDatabase database)
    {
        if (!File.Exists(options.HostAssembly))
        {
            throw new InvalidOperationException($"{options.HostAssembly} is missing: build it first (dotnet build LiveStream.sln -c Release).");
        }

        var signingKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var host = new HostTopology(topology, signingKey);
        var clusterId = $"bench-{Guid.NewGuid():N}";
        var workingDirectory = Path.GetDirectoryName(options.HostAssembly)!;
        var environment = new Dictionary<string, string>(CommonSettings)
        {
            ["ConnectionStrings__Postgres"] = database.ConnectionString,
            ["Auth__DevTokens__SigningKey"] = signingKey,
            ["Orleans__ClusterId"] = clusterId,
        };
        foreach (var (key, value) in options.HostEnvironment)
        {
            environment[key] = value;
        }

        await ChildProcess.RunToCompletionAsync("migrate", "dotnet", [options.HostAssembly, "migrate"], environment, workingDirectory);

        try
        {
            if (topology == Topology.All)
            {
                host.BaseAddress = await host.StartRoleAsync("all", options.HostAssembly, environment, workingDirectory);
            }
            else
            {
                // The silo first: the API process is an Orleans client and is ready once it reaches a gateway.
                await host.StartRoleAsync("silo", options.HostAssembly, environment, workingDirectory);
                host.BaseAddress = await host.StartRoleAsync("api", options.HostAssembly, environment, workingDirectory);
                host._processes.Reverse();
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    private async Task<Uri> StartRoleAsync(string role, string assembly, Dictionary<string, string> common, string workingDirectory)
    {
        var httpPort = ChildProcess.FreePort();
        var environment = new Dictionary<string, string>(common)
        {
            ["LiveStream__Role"] = role,
            ["Orleans__SiloPort"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = ChildProcess.FreePort().ToString(CultureInfo.InvariantCulture),
        };
        var process = ChildProcess.Start($"host {role}", "dotnet", [assembly, "--urls", $"http://127.0.0.1:{httpPort}"], environment, workingDirectory);
        _processes.Add(process);
        var baseAddress = new Uri($"http://127.0.0.1:{httpPort}/");
        await process.WaitUntilAnswersAsync(new Uri(baseAddress, "health/ready"), ReadyTimeout);
        return baseAddress;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }
    }
}
