using LiveStream.Grains;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
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
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAdoNetGrainStorage(GrainStorage.Name, options =>
            {
                options.Invariant = "Npgsql";
                options.ConnectionString = connectionString;
            });
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(_ => new LiveStreamDataSources(NpgsqlDataSource.Create(connectionString)));
            silo.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
            silo.Services.AddLiveStreamMedia(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
            silo.UseInMemoryReminderService();
        });
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
