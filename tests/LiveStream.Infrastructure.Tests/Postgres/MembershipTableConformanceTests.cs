using System.Data;
using System.Net;
using LiveStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.Runtime.Membership;
using Orleans.Runtime.MembershipService;

namespace LiveStream.Infrastructure.Tests.Postgres;

/// <summary>
/// Drives the real ADO.NET membership table and gateway list provider of Orleans directly against our clustering
/// script, without a silo, so that each protocol rule can be checked in isolation (and quickly). The silo-level
/// tests in <see cref="OrleansClusterTests"/> prove the same statements under a running cluster.
/// </summary>
public sealed class MembershipTableConformanceTests : IAsyncLifetime
{
    private const string Invariant = "Npgsql";
    private static readonly DateTime Now = TruncateToMilliseconds(DateTime.UtcNow);

    private TestDatabase _database = null!;

    public async Task InitializeAsync() => _database = await TestDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Initialising_the_table_twice_creates_one_version_row_for_the_cluster()
    {
        // Arrange
        var first = await OpenTableAsync("cluster-a");

        // Act
        var second = await OpenTableAsync("cluster-a");
        var data = await second.ReadAllAsync();

        // Assert
        Assert.Empty(data.Members);
        Assert.Equal(0, data.Version.Version);
        Assert.Equal(1, await _database.ScalarAsync<int>("SELECT count(*) FROM orleans_membership_version"));
        Assert.Empty((await first.ReadAllAsync()).Members);
    }

    [Fact]
    public async Task An_inserted_silo_reads_back_field_by_field_and_moves_the_table_version()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var entry = Entry(11111, SiloStatus.Joining, Now.AddMinutes(-1), Now);
        var version = (await table.ReadAllAsync()).Version;

        // Act
        var inserted = await table.InsertRowAsync(entry, version.Next());
        var row = await table.ReadRowAsync(entry.SiloAddress);

        // Assert
        Assert.True(inserted);
        Assert.Equal(1, row.Version.Version);
        var (read, etag) = Assert.Single(row.Members);
        Assert.Equal("1", etag);
        Assert.Equal(entry.SiloAddress, read.SiloAddress);
        Assert.Equal(entry.SiloName, read.SiloName);
        Assert.Equal(entry.HostName, read.HostName);
        Assert.Equal(SiloStatus.Joining, read.Status);
        Assert.Equal(entry.ProxyPort, read.ProxyPort);
        Assert.Equal(entry.StartTime, read.StartTime);
        Assert.Equal(entry.IAmAliveTime, read.IAmAliveTime);
        Assert.Equal(DateTimeKind.Utc, read.StartTime.Kind);
        Assert.True(read.SuspectTimes is null or { Count: 0 });
    }

    [Fact]
    public async Task Reading_an_unknown_silo_still_returns_the_table_version()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        await table.InsertRowAsync(Entry(11111, SiloStatus.Active, Now, Now), (await table.ReadAllAsync()).Version.Next());

        // Act
        var row = await table.ReadRowAsync(Entry(22222, SiloStatus.Active, Now, Now).SiloAddress);

        // Assert
        Assert.Empty(row.Members);
        Assert.Equal(1, row.Version.Version);
    }

    [Fact]
    public async Task Writes_based_on_a_stale_table_version_are_rejected_and_change_nothing()
    {
        // Arrange: two silos read version 0; the first one's insert wins.
        var table = await OpenTableAsync("cluster-a");
        var stale = (await table.ReadAllAsync()).Version;
        var winner = Entry(11111, SiloStatus.Joining, Now, Now);
        var loser = Entry(22222, SiloStatus.Joining, Now, Now);
        Assert.True(await table.InsertRowAsync(winner, stale.Next()));
        var winnerUpdate = Entry(11111, SiloStatus.Active, Now, Now);

        // Act
        var insertedLoser = await table.InsertRowAsync(loser, stale.Next());
        var updatedWinner = await table.UpdateRowAsync(winnerUpdate, stale.VersionEtag, stale.Next());

        // Assert
        Assert.False(insertedLoser);
        Assert.False(updatedWinner);
        var data = await table.ReadAllAsync();
        Assert.Equal(1, data.Version.Version);
        var (only, _) = Assert.Single(data.Members);
        Assert.Equal(winner.SiloAddress, only.SiloAddress);
        Assert.Equal(SiloStatus.Joining, only.Status);
    }

    [Fact]
    public async Task Inserting_the_same_silo_twice_fails_without_moving_the_table_version()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var entry = Entry(11111, SiloStatus.Joining, Now, Now);
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        var current = (await table.ReadAllAsync()).Version;

        // Act
        var again = await table.InsertRowAsync(entry, current.Next());

        // Assert
        Assert.False(again);
        Assert.Equal(current.Version, (await table.ReadAllAsync()).Version.Version);
    }

    [Fact]
    public async Task Updating_status_and_suspicion_votes_round_trips_them_and_moves_the_table_version()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var entry = Entry(11111, SiloStatus.Active, Now.AddMinutes(-5), Now.AddMinutes(-1));
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        var (read, etag) = Assert.Single((await table.ReadAllAsync()).Members);
        var voter = SiloAddress.New(IPAddress.Parse("10.0.0.7"), 30000, 42);
        read.Status = SiloStatus.Dead;
        read.SuspectTimes = [Tuple.Create(voter, Now.AddSeconds(-3)), Tuple.Create(read.SiloAddress, Now)];
        var version = (await table.ReadAllAsync()).Version;

        // Act
        var updated = await table.UpdateRowAsync(read, etag, version.Next());

        // Assert
        Assert.True(updated);
        var data = await table.ReadAllAsync();
        Assert.Equal(version.Version + 1, data.Version.Version);
        var (after, _) = Assert.Single(data.Members);
        Assert.Equal(SiloStatus.Dead, after.Status);
        Assert.NotNull(after.SuspectTimes);
        Assert.Equal(read.SuspectTimes.Select(v => (v.Item1, v.Item2)), after.SuspectTimes.Select(v => (v.Item1, v.Item2)));
    }

    [Fact]
    public async Task Heartbeats_leave_the_table_version_alone_and_never_move_back_in_time()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var entry = Entry(11111, SiloStatus.Active, Now.AddMinutes(-5), Now.AddMinutes(-5));
        Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        var (staleCopy, staleEtag) = Assert.Single((await table.ReadAllAsync()).Members);
        var versionBefore = (await table.ReadAllAsync()).Version;

        // Act: a fresh heartbeat, then a late one, then another silo's vote carrying the old heartbeat it read.
        entry.IAmAliveTime = Now;
        await table.UpdateIAmAliveAsync(entry);
        entry.IAmAliveTime = Now.AddMinutes(-2);
        await table.UpdateIAmAliveAsync(entry);
        var afterHeartbeats = await table.ReadAllAsync();
        staleCopy.SuspectTimes = [Tuple.Create(SiloAddress.New(IPAddress.Loopback, 22222, 7), Now)];
        var voted = await table.UpdateRowAsync(staleCopy, staleEtag, afterHeartbeats.Version.Next());

        // Assert
        Assert.Equal(versionBefore.Version, afterHeartbeats.Version.Version);
        Assert.Equal(Now, Assert.Single(afterHeartbeats.Members).Item1.IAmAliveTime);
        Assert.True(voted);
        Assert.Equal(Now, Assert.Single((await table.ReadAllAsync()).Members).Item1.IAmAliveTime);
    }

    [Fact]
    public async Task Gateways_are_the_active_silos_that_opened_a_proxy_port()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var gateway = Entry(11111, SiloStatus.Active, Now, Now);
        var noProxy = Entry(11112, SiloStatus.Active, Now, Now, proxyPort: 0);
        var joining = Entry(11113, SiloStatus.Joining, Now, Now);
        var dead = Entry(11114, SiloStatus.Dead, Now, Now);
        foreach (var entry in new[] { gateway, noProxy, joining, dead })
        {
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
        }

        var otherCluster = await OpenTableAsync("cluster-b");
        Assert.True(await otherCluster.InsertRowAsync(Entry(11115, SiloStatus.Active, Now, Now), (await otherCluster.ReadAllAsync()).Version.Next()));
        var provider = new AdoNetGatewayListProvider(
            NullLogger<AdoNetGatewayListProvider>.Instance,
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new AdoNetClusteringClientOptions { Invariant = Invariant, ConnectionString = _database.ConnectionString }),
            Options.Create(new GatewayOptions()),
            Options.Create(new ClusterOptions { ClusterId = "cluster-a", ServiceId = "service" }));
        await provider.InitializeGatewayListProviderAsync();

        // Act
        var gateways = await provider.GetGateways();

        // Assert
        var expected = SiloAddress.New(gateway.SiloAddress.Endpoint.Address, gateway.ProxyPort, gateway.SiloAddress.Generation).ToGatewayUri();
        Assert.Equal(expected, Assert.Single(gateways));
    }

    [Fact]
    public async Task Cleanup_removes_only_dead_silos_whose_last_sign_of_life_is_older_than_the_cut_off()
    {
        // Arrange
        var table = await OpenTableAsync("cluster-a");
        var old = Now.AddHours(-3);
        var deadQuiet = Entry(11111, SiloStatus.Dead, old, old);
        var deadVotedLongAgo = Entry(11112, SiloStatus.Dead, old, old, votedAt: old);
        var deadVotedJustNow = Entry(11113, SiloStatus.Dead, old, old, votedAt: Now);
        var deadRecentHeartbeat = Entry(11114, SiloStatus.Dead, old, Now);
        var activeButSilent = Entry(11115, SiloStatus.Active, old, old);
        await InsertAllAsync(table, deadQuiet, deadVotedLongAgo, deadVotedJustNow, deadRecentHeartbeat, activeButSilent);
        var versionBefore = (await table.ReadAllAsync()).Version.Version;

        // Act
        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(Now.AddHours(-1)));

        // Assert
        var data = await table.ReadAllAsync();
        Assert.Equal(
            new[] { deadVotedJustNow, deadRecentHeartbeat, activeButSilent }.Select(e => e.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal),
            data.Members.Select(m => m.Item1.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal));
        Assert.Equal(versionBefore, data.Version.Version);
    }

    [Fact]
    public async Task Without_the_per_row_cleanup_key_cleanup_falls_back_to_the_bulk_statement()
    {
        // Arrange: an installation that registered only the key the provider requires.
        await _database.ScalarAsync<int>("DELETE FROM orleansquery WHERE querykey = 'CleanupDefunctSiloEntryKey'");
        var table = await OpenTableAsync("cluster-a");
        var old = Now.AddHours(-3);
        var deadQuiet = Entry(11111, SiloStatus.Dead, old, old);
        var deadVoted = Entry(11112, SiloStatus.Dead, old, old, votedAt: old);
        var deadRecentHeartbeat = Entry(11113, SiloStatus.Dead, old, Now);
        var activeButSilent = Entry(11114, SiloStatus.Active, old, old);
        await InsertAllAsync(table, deadQuiet, deadVoted, deadRecentHeartbeat, activeButSilent);

        // Act
        await table.CleanupDefunctSiloEntriesAsync(new DateTimeOffset(Now.AddHours(-1)));

        // Assert: votes cannot be dated in SQL, so the bulk statement keeps voted rows rather than guess.
        var remaining = (await table.ReadAllAsync()).Members.Select(m => m.Item1.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal);
        Assert.Equal(
            new[] { deadVoted, deadRecentHeartbeat, activeButSilent }.Select(e => e.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal),
            remaining);
    }

    [Fact]
    public async Task Per_row_cleanup_keeps_a_row_that_changed_after_it_was_read()
    {
        // Arrange: the provider read a dead row, then another silo added a vote before the delete ran.
        var table = await OpenTableAsync("cluster-a");
        var old = Now.AddHours(-3);
        var dead = Entry(11111, SiloStatus.Dead, old, old);
        await InsertAllAsync(table, dead);
        var cleanup = await _database.ScalarAsync<string>("SELECT querytext FROM orleansquery WHERE querykey = 'CleanupDefunctSiloEntryKey'");
        await _database.ScalarAsync<int>("UPDATE orleans_membership SET suspect_times = 'changed'");

        // Act: the statement as the provider issues it, with the values it read before the change; then with the
        // row's current values, which shows the statement does delete a row that is still as read.
        var deletedStale = await ExecuteAsProviderAsync(cleanup!, dead, suspectTimes: null);
        var remainingAfterStale = await _database.ScalarAsync<int>("SELECT count(*) FROM orleans_membership");
        var deletedCurrent = await ExecuteAsProviderAsync(cleanup!, dead, suspectTimes: "changed");

        // Assert
        Assert.Equal(0, deletedStale);
        Assert.Equal(1, remainingAfterStale);
        Assert.Equal(1, deletedCurrent);
    }

    [Fact]
    public async Task Deleting_a_cluster_removes_its_silos_and_version_but_no_other_cluster()
    {
        // Arrange
        var doomed = await OpenTableAsync("cluster-a");
        var kept = await OpenTableAsync("cluster-b");
        await InsertAllAsync(doomed, Entry(11111, SiloStatus.Active, Now, Now));
        await InsertAllAsync(kept, Entry(11111, SiloStatus.Active, Now, Now));

        // Act
        await doomed.DeleteMembershipTableEntriesAsync("cluster-a");

        // Assert
        Assert.Equal(0, await _database.ScalarAsync<int>("SELECT count(*) FROM orleans_membership WHERE deployment_id = 'cluster-a'"));
        Assert.Equal(0, await _database.ScalarAsync<int>("SELECT count(*) FROM orleans_membership_version WHERE deployment_id = 'cluster-a'"));
        Assert.Single((await kept.ReadAllAsync()).Members);
    }

    private async Task<AdoNetClusteringTable> OpenTableAsync(string clusterId)
    {
        var table = new AdoNetClusteringTable(
            new ServiceCollection().BuildServiceProvider(),
            Options.Create(new ClusterOptions { ClusterId = clusterId, ServiceId = "service" }),
            Options.Create(new AdoNetClusteringSiloOptions { Invariant = Invariant, ConnectionString = _database.ConnectionString }),
            NullLogger<AdoNetClusteringTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true);
        return table;
    }

    private static async Task InsertAllAsync(AdoNetClusteringTable table, params MembershipEntry[] entries)
    {
        foreach (var entry in entries)
        {
            Assert.True(await table.InsertRowAsync(entry, (await table.ReadAllAsync()).Version.Next()));
            if (entry.SuspectTimes is { Count: > 0 })
            {
                // Votes are never part of an insert; the protocol adds them with an update.
                var (_, etag) = (await table.ReadRowAsync(entry.SiloAddress)).Members.Single();
                Assert.True(await table.UpdateRowAsync(entry, etag, (await table.ReadAllAsync()).Version.Next()));
            }
        }
    }

    // Mirrors how the provider binds the per-row cleanup parameters for Npgsql (DbType.DateTime for the times).
    private async Task<int> ExecuteAsProviderAsync(string sql, MembershipEntry entry, string? suspectTimes)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        void Add(string name, object? value, DbType type)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            parameter.DbType = type;
            command.Parameters.Add(parameter);
        }

        Add("DeploymentId", "cluster-a", DbType.String);
        Add("Address", entry.SiloAddress.Endpoint.Address.ToString(), DbType.AnsiString);
        Add("Port", entry.SiloAddress.Endpoint.Port, DbType.Int32);
        Add("Generation", entry.SiloAddress.Generation, DbType.Int32);
        Add("SuspectTimes", suspectTimes, DbType.String);
        Add("StartTime", entry.StartTime, DbType.DateTime);
        Add("IAmAliveTime", entry.IAmAliveTime, DbType.DateTime);
        return await command.ExecuteNonQueryAsync();
    }

    private static MembershipEntry Entry(int port, SiloStatus status, DateTime startTime, DateTime iAmAliveTime, int? proxyPort = null, DateTime? votedAt = null) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Loopback, port, 1_000 + port),
        SiloName = $"silo-{port}",
        HostName = "test-host",
        Status = status,
        ProxyPort = proxyPort ?? port + 10_000,
        StartTime = startTime,
        IAmAliveTime = iAmAliveTime,
        SuspectTimes = votedAt is { } at ? [Tuple.Create(SiloAddress.New(IPAddress.Loopback, 40000, 1), at)] : null,
    };

    private static DateTime TruncateToMilliseconds(DateTime value) =>
        new(value.Ticks - value.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
}
