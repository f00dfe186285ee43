using System.Globalization;

namespace LiveStream.Bench;

/// <summary>The command line of one benchmark run; every wrk setting is the same for every scenario.</summary>
public sealed record BenchOptions
{
    public required string PostgresAdmin { get; init; }

    public required string RepositoryRoot { get; init; }

    /// <summary>The host under test; another build (e.g. of the main branch) can be measured with <c>--host</c>.</summary>
    public string HostAssembly => HostOverride ?? Path.Combine(RepositoryRoot, "src", "LiveStream.Host", "bin", "Release", "net10.0", "LiveStream.Host.dll");

    public string? HostOverride { get; init; }

    /// <summary>Sessions one mentor schedules and cancels in the history probe (see <see cref="HistoryProbe"/>).</summary>
    public int HistorySessions { get; init; } = 2400;

    public int Threads { get; init; } = 2;

    public int Connections { get; init; } = 64;

    public int DurationSeconds { get; init; } = 20;

    public int WarmupSeconds { get; init; } = 10;

    /// <summary>wrk's per-request timeout; a request slower than this counts as a socket timeout error.</summary>
    public int TimeoutSeconds { get; init; } = 2;

    public IReadOnlyList<Topology> Topologies { get; init; } = [Topology.All, Topology.Split];

    /// <summary>Only these scenario ids (all when empty).</summary>
    public IReadOnlyList<string> Scenarios { get; init; } = [];

    public int Mentees { get; init; } = 50;

    /// <summary>The fixed rates of the open-loop run, in percent of the closed-loop mixed maximum of the same topology.</summary>
    public IReadOnlyList<int> OpenLoopShares { get; init; } = [50, 80];

    /// <summary>Minutes of churn soak (<see cref="SoakRun"/>); 0 runs the scenarios instead.</summary>
    public int SoakMinutes { get; init; }

    /// <summary>Operations per second of the soak, fixed for the whole run.</summary>
    public int SoakRate { get; init; } = 200;

    /// <summary>Seconds per soak interval (a row of its table): 60 for the real run, shorter to prove it in a few minutes.</summary>
    public int SoakIntervalSeconds { get; init; } = 60;

    /// <summary>What the host holds alive (its RSS without dotnet-gcdump) may grow at most this many MiB per minute after the warm-up.</summary>
    public double SoakMemorySlope { get; init; } = 1.0;

    /// <summary>Connections of the open-loop driver: enough that a burst queues in the server, not in the driver.</summary>
    public int OpenLoopConnections { get; init; } = 256;

    public string Output { get; init; } = "docs/benchmarks.md";

    /// <summary>The capacity model written from the split topology's mixed run, relative to the repository root.</summary>
    public string CapacityOutput { get; init; } = "docs/capacity.md";

    /// <summary>Extra environment for the host processes, e.g. <c>DOTNET_PerfMapEnabled=1</c> to profile with perf.</summary>
    public IReadOnlyDictionary<string, string> HostEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The command line as the user typed it, written into the report (bench/run.sh passes it).</summary>
    public string? Command { get; init; }

    public string WrkFlags => $"-t{Threads} -c{Connections} -d{DurationSeconds}s --latency --timeout {TimeoutSeconds}s";

    public const string Usage = """
        usage: LiveStream.Bench [options]            run every scenario and write the report
               LiveStream.Bench capacity [--check]   regenerate docs/capacity.md from bench/capacity-inputs.json and the
                                                    measurement embedded in it (--check: fail when it is stale)
               LiveStream.Bench driver-check --rate N[,N...] [--duration s] [--warmup s]
                                                    the open-loop driver against bare Kestrel alone: its own cost per rate
               LiveStream.Bench baseline --port N    (internal) the bare Kestrel endpoint
        options:
          --postgres <conn>      admin connection string of a PostgreSQL 15 server (or LIVESTREAM_BENCH_POSTGRES)
          --repo <dir>           repository root (default: found above the current directory)
          --threads <n>          wrk -t (default 2)
          --connections <n>      wrk -c (default 64)
          --duration <s>         seconds measured per scenario (default 20)
          --warmup <s>           seconds of discarded load before each scenario (default 10)
          --timeout <s>          wrk --timeout (default 2)
          --topologies <list>    all,split (default both)
          --scenarios <list>     scenario ids to run (default all)
          --mentees <n>          mentees seeded (default 50)
          --open-loop <list>     fixed rates of the open-loop mixed run, percent of the closed-loop maximum (default 50,80;
                                 runs when --scenarios is not given or names `open-loop`, which also runs `mixed`)
          --open-loop-connections <n>  connections of the open-loop driver (default 256)
          --soak <minutes>       instead of the scenarios: the churn soak for that long, per topology; writes the
                                 soak section of the report only
          --soak-rate <n>        soak operations per second, fixed (default 200)
          --soak-interval <s>    seconds per soak interval (default 60; e.g. 20 for a short proof run)
          --soak-memory-slope <x> MiB/min of live-heap growth after the warm-up still called flat (default 1.0; the
                                 RSS slope when dotnet-gcdump is missing)
          --output <file>        report path, relative to the repository root (default docs/benchmarks.md)
          --capacity <file>      capacity model written when the run measures split + mixed (default docs/capacity.md)
          --command <text>       the command line to print in the report
          --history <n>          sessions scheduled + cancelled by one mentor in the history probe (default 2400;
                                 runs when --scenarios is not given or names `history`)
          --host <dll>           the LiveStream.Host.dll to measure (default: this repository's Release build)
          --host-env <list>      extra KEY=VALUE,... for the host processes (e.g. DOTNET_PerfMapEnabled=1)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.\n{Usage}");
            }

            values[args[i][2..]] = args[++i];
        }

        var known = new[] { "postgres", "repo", "threads", "connections", "duration", "warmup", "timeout", "topologies", "scenarios", "mentees", "output", "command", "host-env", "history", "host", "open-loop", "open-loop-connections", "soak", "soak-rate", "soak-interval", "soak-memory-slope", "capacity" };
        if (values.Keys.FirstOrDefault(key => !known.Contains(key)) is { } unknown)
        {
            throw new ArgumentException($"Unknown option --{unknown}.\n{Usage}");
        }

        var postgres = values.GetValueOrDefault("postgres") ?? Environment.GetEnvironmentVariable("LIVESTREAM_BENCH_POSTGRES");
        if (string.IsNullOrWhiteSpace(postgres))
        {
            throw new ArgumentException($"No PostgreSQL server: pass --postgres or set LIVESTREAM_BENCH_POSTGRES (bench/run.sh starts one).\n{Usage}");
        }

        var defaults = new BenchOptions { PostgresAdmin = postgres, RepositoryRoot = "" };
        return defaults with
        {
            RepositoryRoot = Path.GetFullPath(values.GetValueOrDefault("repo") ?? FindRepositoryRoot()),
            Threads = Int(values, "threads", defaults.Threads),
            Connections = Int(values, "connections", defaults.Connections),
            DurationSeconds = Int(values, "duration", defaults.DurationSeconds),
            WarmupSeconds = Int(values, "warmup", defaults.WarmupSeconds),
            TimeoutSeconds = Int(values, "timeout", defaults.TimeoutSeconds),
            Topologies = values.TryGetValue("topologies", out var topologies) ? [.. List(topologies).Select(TopologyNames.Parse)] : defaults.Topologies,
            Scenarios = values.TryGetValue("scenarios", out var scenarios) ? List(scenarios) : defaults.Scenarios,
            Mentees = Int(values, "mentees", defaults.Mentees),
            OpenLoopShares = values.TryGetValue("open-loop", out var shares)
                ? [.. List(shares).Select(share => int.TryParse(share, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 200 ? value
                    : throw new ArgumentException($"--open-loop wants percentages (1-200), not '{share}'."))]
                : defaults.OpenLoopShares,
            OpenLoopConnections = Int(values, "open-loop-connections", defaults.OpenLoopConnections),
            SoakMinutes = Int(values, "soak", 0),
            SoakRate = Int(values, "soak-rate", defaults.SoakRate),
            SoakIntervalSeconds = Int(values, "soak-interval", defaults.SoakIntervalSeconds),
            SoakMemorySlope = values.TryGetValue("soak-memory-slope", out var slope)
                ? double.TryParse(slope, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) && parsed > 0 ? parsed
                    : throw new ArgumentException($"--soak-memory-slope must be a positive number of MiB/min, not '{slope}'.")
                : defaults.SoakMemorySlope,
            Output = values.GetValueOrDefault("output") ?? defaults.Output,
            Command = values.GetValueOrDefault("command"),
            CapacityOutput = values.GetValueOrDefault("capacity") ?? defaults.CapacityOutput,
            HistorySessions = Int(values, "history", defaults.HistorySessions),
            HostOverride = values.TryGetValue("host", out var host) ? Path.GetFullPath(host) : null,
            HostEnvironment = values.TryGetValue("host-env", out var hostEnvironment)
                ? List(hostEnvironment).Select(pair => pair.Split('=', 2)).ToDictionary(
                    pair => pair[0], pair => pair.Length == 2 ? pair[1] : throw new ArgumentException($"--host-env wants KEY=VALUE, not '{pair[0]}'."))
                : defaults.HostEnvironment,
        };
    }

    private static int Int(Dictionary<string, string> values, string key, int fallback) =>
        !values.TryGetValue(key, out var text) ? fallback
        : int.TryParse(text.TrimEnd('s'), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
        : throw new ArgumentException($"--{key} must be a positive whole number, not '{text}'.");

    private static string[] List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "LiveStream.sln")))
                {
                    return directory.FullName;
                }
            }
        }

        throw new ArgumentException("Could not find LiveStream.sln above the current directory; pass --repo.");
    }
}

/// <summary>How the LiveStream host is laid out for a pass.</summary>
public enum Topology
{
    /// <summary>One process, role <c>all</c> (silo + API).</summary>
    All,

    /// <summary>One <c>api</c> process (Orleans client) and one <c>silo</c> process on the same box.</summary>
    Split,
}

public static class TopologyNames
{
    public static string Name(this Topology topology) => topology.ToString().ToLowerInvariant();

    public static Topology Parse(string text) => text switch
    {
        "all" => Topology.All,
        "split" => Topology.Split,
        _ => throw new ArgumentException($"Unknown topology '{text}' (all, split)."),
    };
}
