using System.Diagnostics;
using System.Globalization;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains;
using LiveStream.Grains.Hosting;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Orleans.Configuration;

// Fan-out benchmark (docs/benchmarks.md): one silo with the production notification pipeline on the PostgreSQL
// table queue and the local inbox; a mentor with N followers (one device each, seeded with COPY) schedules a
// session; measured: time from scheduling until the last follower's notification and push are recorded, and
// the process's peak memory.
//   dotnet run -c Release --project bench/LiveStream.Bench.FanOut -- --followers 100000 --server "Host=...;Username=..." [--postgres-data <dir>/data]
// Extra --Key=Value arguments override configuration (e.g. --Streaming:Queue:QueueCount=16).
var followers = int.Parse(Argument("--followers") ?? "100000", CultureInfo.InvariantCulture);
var server = Argument("--server") ?? Environment.GetEnvironmentVariable("LIVESTREAM_TEST_POSTGRES")
    ?? throw new InvalidOperationException("Pass --server <PostgreSQL connection string> or set LIVESTREAM_TEST_POSTGRES.");
// Optional: the server's data directory (scripts/postgres.sh keeps it in <dir>/data), to report PostgreSQL's CPU.
var postgresData = Argument("--postgres-data");
var database = $"ls_bench_{Guid.NewGuid():N}";
await ExecuteAsync(server, $"CREATE DATABASE \"{database}\"");
var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database, MaxPoolSize = 100 }.ConnectionString;
try
{
    await new SchemaMigrator(NullLogger<SchemaMigrator>.Instance).MigrateAsync(connectionString);
    const string mentorId = "bench-mentor";
    var seed = Stopwatch.StartNew();
    await SeedAsync(connectionString, mentorId, followers);
    Console.WriteLine($"seeded {followers:N0} followers with one device each in {seed.Elapsed.TotalSeconds:0.0} s");

    var settings = new Dictionary<string, string?>
    {
        ["Streaming:Queue:QueueCount"] = "8",
        ["Streaming:Queue:BatchSize"] = "256",
        ["Streaming:Queue:PollInterval"] = "00:00:00.050",
    };
    foreach (var arg in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=', StringComparison.Ordinal)))
    {
        var (key, value) = (arg[2..arg.IndexOf('=', StringComparison.Ordinal)], arg[(arg.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        settings[key] = value;
    }

    var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
    builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddSingleton(_ => new LiveStreamDataSources(NpgsqlDataSource.Create(connectionString)));
    builder.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
    // The session grain needs its media provider (local by default; nothing is started until a session goes live)
    // and its interaction store.
    builder.Services.AddSingleton<IInteractionStore, PostgresInteractionStore>();
    builder.Services.AddSingleton<ISessionIndexStore, PostgresSessionIndexStore>();
    builder.Services.AddLiveStreamMedia(configuration);
    builder.UseOrleans(silo => silo.UseLocalhostClustering().AddLiveStreamSilo(configuration, connectionString));
    using var host = builder.Build();
    await host.StartAsync();
    var grains = host.Services.GetRequiredService<IGrainFactory>();

    using var sampler = new PeakSampler();
    var liveId = $"bench-{Guid.NewGuid():N}";
    var processCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var postgresCpuBefore = PostgresCpu.Seconds(postgresData);
    var scheduledAt = DateTimeOffset.UtcNow;
    var watch = Stopwatch.StartNew();
    await grains.GetGrain<ILiveSessionGrain>(liveId)
        .ScheduleAsync(new SessionDefinition(liveId, mentorId, "course", "Benchmark session", DateTimeOffset.UtcNow.AddHours(3)));
    var scheduledAfter = watch.Elapsed;
    var fanOutDone = TimeSpan.Zero;
    var fanOut = grains.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(liveId, NotificationKind.Scheduled));
    long delivered = 0, pushed = 0;
    while (delivered < followers || pushed < followers)
    {
        // Counting 100,000 rows costs PostgreSQL CPU, so the poll only notices the end; the end itself is read
        // from the rows' own timestamps below.
        await Task.Delay(1000);
        if (fanOutDone == TimeSpan.Zero && (await fanOut.GetProgressAsync()).Completed)
        {
            fanOutDone = watch.Elapsed;
        }

        delivered = await ScalarAsync(connectionString, $"SELECT count(*) FROM notifications WHERE live_id = '{liveId}'");
        pushed = await ScalarAsync(connectionString, "SELECT count(*) FROM push_deliveries WHERE status = 'sent'");
        if (watch.Elapsed > TimeSpan.FromMinutes(10))
        {
            throw new TimeoutException($"only {delivered:N0} of {followers:N0} delivered after 10 minutes");
        }
    }

    var observed = watch.Elapsed;
    var processCpu = Process.GetCurrentProcess().TotalProcessorTime - processCpuBefore;
    var postgresCpu = PostgresCpu.Seconds(postgresData) - postgresCpuBefore;
    // sent_at is now() of the delivering statement's transaction, i.e. when that chunk's write started (it
    // commits a few milliseconds later); same machine, same clock as scheduledAt.
    var last = await ScalarTimestampAsync(connectionString, "SELECT max(sent_at) FROM push_deliveries") ?? throw new InvalidOperationException("no delivery recorded");
    Console.WriteLine($"followers:               {followers:N0}");
    Console.WriteLine($"schedule call returned:  {scheduledAfter.TotalMilliseconds:0} ms");
    Console.WriteLine($"all chunks enqueued:     {fanOutDone.TotalSeconds:0.0} s (observed by 1 s polling)");
    Console.WriteLine($"last delivery after:     {(last - scheduledAt).TotalSeconds:0.0} s (newest push record; polling saw the end at {observed.TotalSeconds:0.0} s)");
    Console.WriteLine($"throughput:              {followers / (last - scheduledAt).TotalSeconds:N0} deliveries/s");
    Console.WriteLine($"peak working set:        {sampler.PeakWorkingSet / (1024 * 1024):N0} MiB");
    Console.WriteLine($"peak managed heap:       {sampler.PeakManaged / (1024 * 1024):N0} MiB");
    Console.WriteLine($"CPU of this process:     {processCpu.TotalSeconds:0.0} s (silo + polling, schedule to end)");
    Console.WriteLine(postgresCpu is { } pg
        ? $"CPU of PostgreSQL:       {pg:0.0} s (postmaster and all backends, schedule to end)"
        : "CPU of PostgreSQL:       not measured (pass --postgres-data <data directory> of a local server)");
    Console.WriteLine($"duplicates:              {await ScalarAsync(connectionString, "SELECT count(*) - count(DISTINCT mentee_id) FROM notifications")}");
    await host.StopAsync();
}
finally
{
    NpgsqlConnection.ClearAllPools();
    await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
}

return 0;

string? Argument(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

static async Task SeedAsync(string connectionString, string mentorId, int count)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using (var follows = await connection.BeginBinaryImportAsync("COPY follows (mentor_id, mentee_id) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            await follows.StartRowAsync();
            await follows.WriteAsync(mentorId, NpgsqlDbType.Varchar);
            await follows.WriteAsync(MenteeId(i), NpgsqlDbType.Varchar);
        }

        await follows.CompleteAsync();
    }

    await using (var devices = await connection.BeginBinaryImportAsync("COPY push_devices (mentee_id, device_id, platform, token) FROM STDIN (FORMAT BINARY)"))
    {
        for (var i = 0; i < count; i++)
        {
            await devices.StartRowAsync();
            await devices.WriteAsync(MenteeId(i), NpgsqlDbType.Varchar);
            await devices.WriteAsync("phone", NpgsqlDbType.Varchar);
            await devices.WriteAsync("fcm", NpgsqlDbType.Varchar);
            await devices.WriteAsync($"token-{i}", NpgsqlDbType.Text);
        }

        await devices.CompleteAsync();
    }

    await using var analyze = new NpgsqlCommand("ANALYZE", connection);
    await analyze.ExecuteNonQueryAsync();
}

static string MenteeId(int i) => string.Create(CultureInfo.InvariantCulture, $"mentee-{i:D7}");

static async Task ExecuteAsync(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    await command.ExecuteNonQueryAsync();
}

static async Task<long> ScalarAsync(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return (long)(await command.ExecuteScalarAsync())!;
}

static async Task<DateTimeOffset?> ScalarTimestampAsync(string connectionString, string sql)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(sql, connection);
    return await command.ExecuteScalarAsync() is DateTime value ? new DateTimeOffset(value, TimeSpan.Zero) : null;
}

/// <summary>
/// CPU seconds a local PostgreSQL server has used: its postmaster (including the backends it has reaped) plus its
/// live child processes, read from /proc. Linux only; null without a data directory.
/// </summary>
internal static class PostgresCpu
{
    private const double TicksPerSecond = 100; // USER_HZ on Linux

    public static double? Seconds(string? dataDirectory)
    {
        if (dataDirectory is null)
        {
            return null;
        }

        var postmaster = int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var ticks = Ticks(postmaster, withReapedChildren: true);
        foreach (var task in Directory.GetDirectories($"/proc/{postmaster}/task"))
        {
            foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                ticks += Ticks(int.Parse(child, CultureInfo.InvariantCulture), withReapedChildren: false);
            }
        }

        return ticks / TicksPerSecond;
    }

    private static long Ticks(int pid, bool withReapedChildren)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return 0; // exited meanwhile; the postmaster's reaped-children figure has it
        }

        // Fields after "(comm)": state is field 3, utime 14, stime 15, cutime 16, cstime 17.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var own = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return withReapedChildren ? own + long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture) : own;
    }
}

/// <summary>Samples the process's working set and managed heap every 100 ms and keeps the peaks.</summary>
internal sealed class PeakSampler : IDisposable
{
    private readonly Timer _timer;

    public PeakSampler() => _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));

    public long PeakWorkingSet { get; private set; }

    public long PeakManaged { get; private set; }

    public void Dispose()
    {
        _timer.Dispose();
        Sample();
    }

    private void Sample()
    {
        using var process = Process.GetCurrentProcess();
        PeakWorkingSet = Math.Max(PeakWorkingSet, process.WorkingSet64);
        PeakManaged = Math.Max(PeakManaged, GC.GetTotalMemory(forceFullCollection: false));
    }
}
