using System.Globalization;

namespace LiveStream.Bench.Chaos;

/// <summary>Command line of the chaos run; every value has a default that fits this 2-core box.</summary>
public sealed record ChaosOptions
{
    public required string Scenario { get; init; }

    public required IReadOnlyList<Uri> Apis { get; init; }

    public required string Postgres { get; init; }

    public required string CallbackSecret { get; init; }

    /// <summary>silo name (as scripts/cluster.sh knows it) → its Orleans silo port.</summary>
    public required IReadOnlyDictionary<string, int> Silos { get; init; }

    /// <summary>The cluster's Media:Local:Directory, where the seed writes the first HLS segment of each session.</summary>
    public required string MediaDirectory { get; init; }

    public string ClusterScript { get; init; } = "scripts/cluster.sh";

    public string ClusterId { get; init; } = "local-cluster";

    public int Mentors { get; init; } = 12;

    public int Mentees { get; init; } = 120;

    public int Workers { get; init; } = 16;

    /// <summary>Target requests per second over all workers (paced, not open-ended, so the box is not saturated).</summary>
    public int Rate { get; init; } = 150;

    public int WarmupSeconds { get; init; } = 15;

    public int AfterSeconds { get; init; } = 40;

    /// <summary>Rolling restart: pause after a restarted silo is ready before the next one goes.</summary>
    public int SettleSeconds { get; init; } = 5;

    public string OutputDirectory { get; init; } = ".local/cluster";

    /// <summary>Database scenarios: how long PostgreSQL stays stopped, killed or frozen.</summary>
    public int DownSeconds { get; init; } = 30;

    public static ChaosOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected --name value pairs, got '{args[i]}'.");
            }

            values[args[i][2..]] = args[++i];
        }

        string Get(string name, string? environment = null) =>
            values.TryGetValue(name, out var value) ? value
            : environment is not null && Environment.GetEnvironmentVariable(environment) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : throw new ArgumentException($"--{name} is required{(environment is null ? "" : $" (or {environment})")}.");
        int Int(string name, int fallback) => values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        var scenario = Get("scenario");
        if (scenario is not ("kill" or "rolling" or "steady" or "db-stop" or "db-kill" or "db-freeze" or "db-failover"))
        {
            throw new ArgumentException("--scenario must be kill, rolling, steady, db-stop, db-kill, db-freeze or db-failover.");
        }

        var defaults = new ChaosOptions { Scenario = scenario, Apis = [], Postgres = "", CallbackSecret = "", MediaDirectory = "", Silos = new Dictionary<string, int>() };
        return defaults with
        {
            Apis = [.. Get("apis", "CLUSTER_API_URLS").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(url => new Uri(url))],
            Postgres = Get("postgres", "CLUSTER_POSTGRES"),
            CallbackSecret = Get("callback-secret", "CLUSTER_CALLBACK_SECRET"),
            Silos = Get("silos", "CLUSTER_SILOS").Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(pair => pair.Split('='))
                .ToDictionary(pair => pair[0], pair => int.Parse(pair[1], CultureInfo.InvariantCulture)),
            MediaDirectory = Get("media-directory", "CLUSTER_MEDIA_DIRECTORY"),
            ClusterScript = values.GetValueOrDefault("cluster-script", defaults.ClusterScript),
            ClusterId = values.GetValueOrDefault("cluster-id", Environment.GetEnvironmentVariable("CLUSTER_ID") ?? defaults.ClusterId),
            Mentors = Int("mentors", defaults.Mentors),
            Mentees = Int("mentees", defaults.Mentees),
            Workers = Int("workers", defaults.Workers),
            Rate = Int("rate", defaults.Rate),
            WarmupSeconds = Int("warmup", defaults.WarmupSeconds),
            AfterSeconds = Int("after", defaults.AfterSeconds),
            SettleSeconds = Int("settle", defaults.SettleSeconds),
            OutputDirectory = values.GetValueOrDefault("output", defaults.OutputDirectory),
            DownSeconds = Int("down", defaults.DownSeconds),
        };
    }
}
