using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Messaging;
using Orleans.Runtime;
using Orleans.Storage;

namespace LiveStream.Infrastructure.Tests.Postgres;

/// <summary>
/// The real Orleans 10 ADO.NET providers (clustering, grain storage, reminders) running in two silos and a client
/// against the schema of sql/. If a statement, a parameter or a result column of our scripts disagrees with what
/// the providers expect, these tests fail.
/// </summary>
public sealed class OrleansClusterTests(OrleansClusterFixture cluster) : IClassFixture<OrleansClusterFixture>
{
    private static readonly TimeSpan ReminderTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Every_silo_of_the_cluster_is_registered_as_active_with_its_gateway()
    {
        // Arrange
        var expected = new[] { cluster.SiloA, cluster.SiloB }
            .Select(s => $"127.0.0.1:{s.SiloPort} gateway {s.GatewayPort} {s.Name} status 3")
            .Order(StringComparer.Ordinal);

        // Act
        var rows = await ReadStringsAsync("""
            SELECT host(address) || ':' || port || ' gateway ' || proxy_port || ' ' || silo_name || ' status ' || status
            FROM orleans_membership
            WHERE deployment_id = @cluster AND silo_name IN ('silo-a', 'silo-b')
            """);
        var version = await cluster.Database.ScalarAsync<int>(
            "SELECT version FROM orleans_membership_version WHERE deployment_id = @cluster", ("cluster", cluster.ClusterId));

        // Assert: each silo inserted itself and then moved itself to Active, each step a version bump.
        Assert.Equal(expected, rows.Order(StringComparer.Ordinal));
        Assert.True(version >= 4, $"membership version {version} is lower than two inserts and two activations");
    }

    [Fact]
    public async Task A_client_discovers_both_gateways_from_the_membership_table_and_reaches_grains()
    {
        // Arrange
        var gatewayProvider = cluster.ClientHost.Services.GetRequiredService<IGatewayListProvider>();
        var grain = cluster.Client.GetGrain<IStateProbeGrain>($"client-{Guid.NewGuid():N}");

        // Act
        var gateways = await gatewayProvider.GetGateways();
        var snapshot = await grain.ReadAsync();

        // Assert
        Assert.Equal(
            new[] { cluster.SiloA.GatewayPort, cluster.SiloB.GatewayPort }.Order(),
            gateways.Select(uri => uri.Port).Order());
        Assert.All(gateways, uri => Assert.Equal("127.0.0.1", uri.Host));
        Assert.False(snapshot.RecordExists);
    }

    [Fact]
    public async Task Grain_state_survives_deactivation()
    {
        // Arrange
        var key = $"survivor-{Guid.NewGuid():N}";
        var grain = cluster.Client.GetGrain<IStateProbeGrain>(key);
        var written = await grain.WriteAsync("hello from the first activation");

        // Act
        await grain.DeactivateAsync();
        var reread = await ReadFromNewActivationAsync(grain, written.ActivationId);

        // Assert
        Assert.Equal("hello from the first activation", reread.Value);
        Assert.True(reread.RecordExists);
        Assert.Equal("1", written.ETag);
        Assert.Equal("1", reread.ETag);
        Assert.Equal(1, await CountStateRowsAsync(StateProbeGrain.StateName, key, "payload_binary IS NOT NULL AND version = 1"));
    }

    [Fact]
    public async Task Every_write_moves_the_etag_by_one()
    {
        // Arrange
        var grain = cluster.Client.GetGrain<IStateProbeGrain>($"writer-{Guid.NewGuid():N}");

        // Act
        var etags = new List<string?>();
        foreach (var value in new[] { "a", "b", "c" })
        {
            etags.Add((await grain.WriteAsync(value)).ETag);
        }

        // Assert
        Assert.Equal(["1", "2", "3"], etags);
    }

    [Fact]
    public async Task A_second_writer_holding_an_outdated_etag_is_rejected()
    {
        // Arrange: two writers read the same version of a state (as after a split-brain double activation).
        var storage = Storage(OrleansClusterFixture.StorageName);
        var grainId = GrainId.Create("etag-probe", Guid.NewGuid().ToString("N"));
        var seed = new GrainState<ProbeState>(new ProbeState { Value = "seed" });
        await storage.WriteStateAsync(StateProbeGrain.StateName, grainId, seed);
        var first = await ReadAsync(storage, grainId);
        var second = await ReadAsync(storage, grainId);
        first.State = new ProbeState { Value = "first" };
        await storage.WriteStateAsync(StateProbeGrain.StateName, grainId, first);
        second.State = new ProbeState { Value = "second" };

        // Act
        var conflict = await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateProbeGrain.StateName, grainId, second));

        // Assert
        Assert.Equal("first", (await ReadAsync(storage, grainId)).State?.Value);
        Assert.Equal("2", first.ETag);
        Assert.Contains("Version conflict", conflict.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_one_of_two_first_writes_of_the_same_state_succeeds()
    {
        // Arrange: neither writer has seen a row, so both try to create it.
        var storage = Storage(OrleansClusterFixture.StorageName);
        var grainId = GrainId.Create("first-write-probe", Guid.NewGuid().ToString("N"));
        var winner = new GrainState<ProbeState>(new ProbeState { Value = "winner" });
        var loser = new GrainState<ProbeState>(new ProbeState { Value = "loser" });
        await storage.WriteStateAsync(StateProbeGrain.StateName, grainId, winner);

        // Act
        await Assert.ThrowsAsync<InconsistentStateException>(
            () => storage.WriteStateAsync(StateProbeGrain.StateName, grainId, loser));

        // Assert
        var stored = await ReadAsync(storage, grainId);
        Assert.Equal("winner", stored.State?.Value);
        Assert.Equal("1", stored.ETag);
    }

    [Fact]
    public async Task Clearing_state_resets_it_and_keeps_stale_writers_out()
    {
        // Arrange
        var key = $"cleared-{Guid.NewGuid():N}";
        var grain = cluster.Client.GetGrain<IStateProbeGrain>(key);
        var written = await grain.WriteAsync("soon gone");

        // Act
        var cleared = await grain.ClearAsync();
        await grain.DeactivateAsync();
        var reread = await ReadFromNewActivationAsync(grain, written.ActivationId);

        // Assert: the row stays with no payload and a new version, so an ETag from before the clear conflicts.
        Assert.Null(cleared.Value);
        Assert.False(cleared.RecordExists);
        Assert.Equal("2", cleared.ETag);
        Assert.Null(reread.Value);
        Assert.False(reread.RecordExists);
        Assert.Equal("2", reread.ETag);
        Assert.Equal(1, await CountStateRowsAsync(StateProbeGrain.StateName, key, "payload_binary IS NULL AND version = 2"));
        var stale = new GrainState<ProbeState>(new ProbeState { Value = "stale" }, written.ETag);
        await Assert.ThrowsAsync<InconsistentStateException>(
            () => Storage(OrleansClusterFixture.StorageName).WriteStateAsync(StateProbeGrain.StateName, GrainId.Create("stateprobe", key), stale));
    }

    [Fact]
    public async Task Clearing_state_with_delete_on_clear_removes_the_row_and_starts_versions_afresh()
    {
        // Arrange
        var key = $"deleted-{Guid.NewGuid():N}";
        var grain = cluster.Client.GetGrain<IDeletingStateProbeGrain>(key);
        await grain.WriteAsync("first life");
        await grain.WriteAsync("still first life");

        // Act
        var cleared = await grain.ClearAsync();
        var rowsAfterClear = await CountStateRowsAsync(DeletingStateProbeGrain.StateName, key, "true");
        var rewritten = await grain.WriteAsync("second life");

        // Assert
        Assert.Null(cleared.ETag);
        Assert.False(cleared.RecordExists);
        Assert.Equal(0, rowsAfterClear);
        Assert.Equal("1", rewritten.ETag);
    }

    [Fact]
    public async Task States_of_guid_integer_string_and_compound_keys_are_stored_apart()
    {
        // Arrange: keys that share numeric parts, and keys that differ only by having an extension.
        var storage = Storage(OrleansClusterFixture.StorageName);
        var guid = Guid.NewGuid();
        var number = Random.Shared.NextInt64(1, long.MaxValue);
        var ids = new[]
        {
            GrainId.Create(GrainType.Create("key-probe"), GrainIdKeyExtensions.CreateGuidKey(guid)),
            GrainId.Create(GrainType.Create("key-probe"), GrainIdKeyExtensions.CreateGuidKey(guid, "ext")),
            GrainId.Create(GrainType.Create("key-probe"), GrainIdKeyExtensions.CreateIntegerKey(number)),
            GrainId.Create(GrainType.Create("key-probe"), GrainIdKeyExtensions.CreateIntegerKey(number, "ext")),
            GrainId.Create("key-probe", $"text-{number}"),
        };

        // Act
        foreach (var id in ids)
        {
            await storage.WriteStateAsync(StateProbeGrain.StateName, id, new GrainState<ProbeState>(new ProbeState { Value = id.ToString() }));
        }

        var read = new List<string?>();
        foreach (var id in ids)
        {
            read.Add((await ReadAsync(storage, id)).State?.Value);
        }

        // Assert
        Assert.Equal(ids.Select(id => id.ToString()), read);
        var guidBytes = guid.ToByteArray();
        Assert.Equal(5, await cluster.Database.ScalarAsync<int>(
            """
            SELECT count(*) FROM orleans_storage
            WHERE service_id = @service AND grain_type = @state
              AND ((grain_id_n0 = @n0 AND grain_id_n1 = @n1) OR (grain_id_n0 = 0 AND grain_id_n1 = @number) OR grain_id_extension = @text)
            """,
            ("service", cluster.ServiceId), ("state", StateProbeGrain.StateName),
            ("n0", BitConverter.ToInt64(guidBytes, 0)), ("n1", BitConverter.ToInt64(guidBytes, 8)),
            ("number", number), ("text", $"text-{number}")));
    }

    [Fact]
    public async Task A_reminder_registers_fires_is_listed_and_unregisters()
    {
        // Arrange
        var key = $"reminder-{Guid.NewGuid():N}";
        var grain = cluster.Client.GetGrain<IReminderProbeGrain>(key);

        // Act: registration
        await grain.RegisterAsync("wake-up", dueTime: TimeSpan.FromSeconds(1), period: TimeSpan.FromMinutes(1));
        var listed = await grain.ListAsync();
        var rowsRegistered = await CountReminderRowsAsync(key);
        // Act: firing
        await ReminderFirings.WaitAsync(key, "wake-up", ReminderTimeout);
        // Act: unregistration
        await grain.UnregisterAsync("wake-up");
        var listedAfter = await grain.ListAsync();
        var rowsAfter = await CountReminderRowsAsync(key);

        // Assert
        Assert.Equal(["wake-up"], listed);
        Assert.Equal(1, rowsRegistered);
        Assert.Empty(listedAfter);
        Assert.Equal(0, rowsAfter);
    }

    [Fact]
    public async Task The_reminder_table_reads_by_grain_by_name_and_by_ring_range()
    {
        // Arrange: rows written through the provider; the silos' reminder services are not told about them.
        var table = cluster.SiloAHost.Services.GetRequiredService<IReminderTable>();
        var ids = Enumerable.Range(0, 3).Select(_ => GrainId.Create("reminderprobe", $"ring-{Guid.NewGuid():N}")).ToList();
        foreach (var id in ids)
        {
            var etag = await table.UpsertRow(new ReminderEntry
            {
                GrainId = id,
                ReminderName = "ring",
                StartAt = DateTime.UtcNow.AddDays(1),
                Period = TimeSpan.FromDays(1),
            });
            Assert.Equal("1", etag);
        }

        var target = ids[1];
        var hash = target.GetUniformHashCode();

        // Act
        var byGrain = await table.ReadRows(target);
        var byName = await table.ReadRow(target, "ring");
        var missing = await table.ReadRow(target, "no-such-reminder");
        var justTarget = await table.ReadRows(hash - 1, hash);     // (h-1, h]: one point, either query variant
        var allButTarget = await table.ReadRows(hash, hash - 1);   // (h, h-1]: the rest of the ring
        var wholeRing = await table.ReadRows(hash, hash);          // begin == end: the whole ring

        // Assert
        Assert.Equal(target, Assert.Single(byGrain.Reminders).GrainId);
        Assert.NotNull(byName);
        Assert.Equal("1", byName.ETag);
        Assert.Equal(TimeSpan.FromDays(1), byName.Period);
        Assert.Null(missing);
        Assert.Contains(justTarget.Reminders, r => r.GrainId == target);
        Assert.DoesNotContain(justTarget.Reminders, r => ids.Contains(r.GrainId) && r.GrainId != target);
        Assert.DoesNotContain(allButTarget.Reminders, r => r.GrainId == target);
        Assert.Equal(2, allButTarget.Reminders.Count(r => ids.Contains(r.GrainId)));
        Assert.Equal(3, wholeRing.Reminders.Count(r => ids.Contains(r.GrainId)));
    }

    [Fact]
    public async Task Removing_a_reminder_needs_its_current_etag()
    {
        // Arrange
        var table = cluster.SiloAHost.Services.GetRequiredService<IReminderTable>();
        var id = GrainId.Create("reminderprobe", $"etag-{Guid.NewGuid():N}");
        var entry = new ReminderEntry { GrainId = id, ReminderName = "etag", StartAt = DateTime.UtcNow.AddDays(1), Period = TimeSpan.FromDays(1) };
        var firstEtag = await table.UpsertRow(entry);
        var secondEtag = await table.UpsertRow(entry);

        // Act
        var removedWithStale = await table.RemoveRow(id, "etag", firstEtag!);
        var removedWithCurrent = await table.RemoveRow(id, "etag", secondEtag!);

        // Assert
        Assert.Equal("2", secondEtag);
        Assert.False(removedWithStale);
        Assert.True(removedWithCurrent);
        Assert.Null(await table.ReadRow(id, "etag"));
    }

    [Fact]
    public async Task A_silo_that_joins_later_becomes_active_and_is_marked_dead_when_it_leaves()
    {
        // Arrange
        var endpoints = SiloEndpoints.Allocate("silo-c");
        var silo = await cluster.StartSiloAsync(endpoints);
        var statusWhileRunning = await StatusOfAsync(endpoints);

        // Act
        await OrleansClusterFixture.StopAsync(silo);

        // Assert: a graceful stop writes its own row as Dead through UpdateMembershipKey; the others stay Active.
        Assert.Equal(3, statusWhileRunning);
        Assert.Equal(6, await StatusOfAsync(endpoints));
        Assert.Equal(3, await StatusOfAsync(cluster.SiloA));
        Assert.Equal(3, await StatusOfAsync(cluster.SiloB));
    }

    private IGrainStorage Storage(string name) => cluster.SiloAHost.Services.GetRequiredKeyedService<IGrainStorage>(name);

    private static async Task<GrainState<ProbeState>> ReadAsync(IGrainStorage storage, GrainId grainId)
    {
        var state = new GrainState<ProbeState>(new ProbeState());
        await storage.ReadStateAsync(StateProbeGrain.StateName, grainId, state);
        return state;
    }

    // The call after DeactivateOnIdle may still reach the old activation; retry until a new one answers.
    private static async Task<ProbeSnapshot> ReadFromNewActivationAsync(IStateProbeGrain grain, Guid oldActivation)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var snapshot = await grain.ReadAsync();
            if (snapshot.ActivationId != oldActivation)
            {
                return snapshot;
            }

            Assert.True(DateTime.UtcNow < deadline, "the grain was not deactivated");
            await Task.Delay(50);
        }
    }

    private Task<int> CountStateRowsAsync(string stateName, string key, string condition) =>
        cluster.Database.ScalarAsync<int>(
            $"SELECT count(*) FROM orleans_storage WHERE service_id = @service AND grain_type = @state AND grain_id_extension = @key AND {condition}",
            ("service", cluster.ServiceId), ("state", stateName), ("key", key));

    private Task<int> StatusOfAsync(SiloEndpoints silo) =>
        cluster.Database.ScalarAsync<int>(
            "SELECT status FROM orleans_membership WHERE deployment_id = @cluster AND port = @port",
            ("cluster", cluster.ClusterId), ("port", silo.SiloPort));

    private Task<int> CountReminderRowsAsync(string key) =>
        cluster.Database.ScalarAsync<int>(
            "SELECT count(*) FROM orleans_reminders WHERE service_id = @service AND grain_id = @grain",
            ("service", cluster.ServiceId), ("grain", $"reminderprobe/{key}"));

    private async Task<List<string>> ReadStringsAsync(string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(cluster.Database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("cluster", cluster.ClusterId);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
