using LiveStream.Abstractions.Sessions;
using LiveStream.Testing;
using Orleans.TestingHost;

namespace LiveStream.Grains.Tests;

/// <summary>
/// An Orleans test cluster whose grains persist to a fresh PostgreSQL database through the real ADO.NET
/// storage provider and our schema, so "survives deactivation" means "was written to PostgreSQL".
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private TestDatabase? _database;
    private InProcessTestCluster? _cluster;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("Fixture not started.");

    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("Fixture not started.");

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var connectionString = _database.ConnectionString;
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureSilo((_, silo) => TestSilo.Configure(silo, connectionString));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

public static class Ids
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}

/// <summary>The mentor's commands as the owner sends them (the grain checks the caller's mentor id).</summary>
public static class OwnerCommands
{
    public static async Task<SessionSnapshot> StartAsync(this ILiveSessionGrain session) => await session.StartAsync(await OwnerAsync(session));

    public static async Task<SessionSnapshot> StopAsync(this ILiveSessionGrain session) => await session.StopAsync(await OwnerAsync(session));

    public static async Task<SessionSnapshot> CancelAsync(this ILiveSessionGrain session) => await session.CancelAsync(await OwnerAsync(session));

    public static async Task<SessionIngest> GetIngestAsync(this ILiveSessionGrain session) => await session.GetIngestAsync(await OwnerAsync(session));

    private static async Task<string> OwnerAsync(ILiveSessionGrain session) => (await session.GetAsync())?.MentorId ?? "nobody";
}

/// <summary>What nginx writes once a publisher's first segment is out: the probe turns the session live on it.</summary>
public static class PublishedMedia
{
    public static void WriteFirstSegment(string liveId)
    {
        var directory = Path.Combine(TestSilo.MediaDirectory, "hls", liveId);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "index.m3u8"), "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.000,\n0.ts\n");
    }
}
