using System.Diagnostics;
using System.Globalization;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains;
using LiveStream.Grains.Notifications;
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
//   dotnet run -c Release --project bench/LiveStream.Bench.FanOut -- --followers 100000 --server "Host=...;Username=..."
// Extra --Key=Value arguments override configuration (e.g. --Streaming:Queue:QueueCount=16).
var followers = int.Parse(Argument("--followers") ?? "100000", CultureInfo.InvariantCulture);
var server = Argument("--server") ?? Environment.GetEnvironmentVariable("LIVESTREAM_TEST_POSTGRES")
    ?? throw new InvalidOperationException("Pass --server <PostgreSQL connection string> or set LIVESTREAM_TEST_POSTGRES.");
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
    builder.Services.AddSingleton(TimeProvider.System);
    builder.Services.AddSingleton(_ => new LiveStreamDataSources(NpgsqlDataSource.Create(connectionString)));
    builder.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
    // The session grain needs its media provider (local by default; nothing is started until a session goes live)
    // and its interaction store.
    builder.Services.AddSingleton<IInteractionStore, PostgresInteractionStore>();
    builder.Services.AddLiveStreamMedia(configuration);
    builder.Services.AddLiveStreamNotifications(configuration);
    builder.UseOrleans(silo => silo
        .UseLocalhostClustering()
        .AddAdoNetGrainStorage(GrainStorage.Name, o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; })
        .UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; })
        .AddLiveStreamQueueStreams(
            NotificationStreams.Provider,
            o => o.Bind(configuration.GetSection("Streaming:Queue")).Configure(q => q.ConnectionString = connectionString),
            s => s.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly)));
    using var host = builder.Build();
    await host.StartAsync();
    var grains = host.Services.GetRequiredService<IGrainFactory>();

    using var sampler = new PeakSampler();
    var liveId = $"bench-{Guid.NewGuid():N}";
    var watch = Stopwatch.StartNew();
    await grains.GetGrain<ILiveSessionGrain>(liveId)
        .ScheduleAsync(new SessionDefinition(liveId, mentorId, "course", "Benchmark session", DateTimeOffset.UtcNow.AddHours(3)));
    var scheduledAfter = watch.Elapsed;
    var fanOutDone = TimeSpan.Zero;
    var fanOut = grains.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(liveId, NotificationKind.Scheduled));
    long delivered = 0, pushed = 0;
    while (delivered < followers || pushed < followers)
    {
        await Task.Delay(250);
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

    var total = watch.Elapsed;
    var last = await ScalarTimestampAsync(connectionString, "SELECT max(sent_at) FROM push_deliveries");
    Console.WriteLine($"followers:               {followers:N0}");
    Console.WriteLine($"schedule call returned:  {scheduledAfter.TotalMilliseconds:0} ms");
    Console.WriteLine($"all jobs enqueued after: {fanOutDone.TotalSeconds:0.0} s");
    Console.WriteLine($"last delivery after:     {total.TotalSeconds:0.0} s (observed by 250 ms polling)");
    Console.WriteLine($"throughput:              {followers / total.TotalSeconds:N0} deliveries/s");
    Console.WriteLine($"peak working set:        {sampler.PeakWorkingSet / (1024 * 1024):N0} MiB");
    Console.WriteLine($"peak managed heap:       {sampler.PeakManaged / (1024 * 1024):N0} MiB");
    Console.WriteLine($"duplicates:              {await ScalarAsync(connectionString, "SELECT count(*) - count(DISTINCT mentee_id) FROM notifications")}");
    _ = last;
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
