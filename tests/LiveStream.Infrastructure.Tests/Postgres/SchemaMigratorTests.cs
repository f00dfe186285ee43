using System.Text.RegularExpressions;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace LiveStream.Infrastructure.Tests.Postgres;

public sealed class SchemaMigratorTests
{
    // Every key the 10.x clustering, persistence and reminder providers look up (CleanupDefunctSiloEntryKey and
    // DeleteStorageKey are optional to the providers, but ours ships them).
    internal static readonly string[] OrleansQueryKeys =
    [
        "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
        "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey",
        "UpdateIAmAlivetimeKey", "UpdateMembershipKey",
        "ClearStorageKey", "DeleteStorageKey", "ReadFromStorageKey", "WriteToStorageKey",
        "DeleteReminderRowKey", "DeleteReminderRowsKey", "ReadRangeRows1Key", "ReadRangeRows2Key", "ReadReminderRowKey",
        "ReadReminderRowsKey", "UpsertReminderRowKey",
    ];

    private static SchemaMigrator NewMigrator() => new(NullLogger<SchemaMigrator>.Instance);

    [Fact]
    public async Task Running_the_migrator_twice_applies_nothing_the_second_time()
    {
        // Arrange
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        var migrator = NewMigrator();

        // Act
        var first = await migrator.MigrateAsync(database.ConnectionString);
        var second = await migrator.MigrateAsync(database.ConnectionString);

        // Assert
        Assert.Equal(SchemaMigrator.EmbeddedScripts.Select(s => s.Name), first);
        Assert.Empty(second);
        Assert.Equal(SchemaMigrator.EmbeddedScripts.Count, await database.ScalarAsync<int>("SELECT count(*) FROM livestream_schema_history"));
        Assert.Equal(OrleansQueryKeys.Order(StringComparer.Ordinal), await ReadQueryKeysAsync(database));
    }

    [Fact]
    public async Task Concurrent_migrators_on_a_fresh_database_apply_every_script_exactly_once()
    {
        // Arrange
        await using var database = await TestDatabase.CreateAsync(migrate: false);
        using var start = new ManualResetEventSlim(false);
        Task<IReadOnlyList<string>> Run() => Task.Run(async () =>
        {
            start.Wait();
            return await NewMigrator().MigrateAsync(database.ConnectionString);
        });
        var a = Run();
        var b = Run();

        // Act
        start.Set();
        var results = await Task.WhenAll(a, b);

        // Assert: the advisory lock lets one process do everything and the other find nothing left.
        var all = SchemaMigrator.EmbeddedScripts.Select(s => s.Name).ToList();
        Assert.Equal(all, results[0].Concat(results[1]).Order(StringComparer.Ordinal));
        Assert.Empty(results[0].Intersect(results[1]));
        Assert.Equal(all.Count, await database.ScalarAsync<int>("SELECT count(DISTINCT version) FROM livestream_schema_history"));
        Assert.Equal(all.Count, await database.ScalarAsync<int>("SELECT count(*) FROM livestream_schema_history"));
        Assert.Equal(OrleansQueryKeys.Length, await database.ScalarAsync<int>("SELECT count(*) FROM orleansquery"));
    }

    [Fact]
    public async Task An_applied_script_whose_text_changed_is_refused()
    {
        // Arrange: pretend 0002 was applied from a different text than the one shipped now.
        await using var database = await TestDatabase.CreateAsync();
        await database.ScalarAsync<int>(
            "UPDATE livestream_schema_history SET checksum = 'DEADBEEF' WHERE version = '0002'");

        // Act
        var error = await Assert.ThrowsAsync<InvalidOperationException>(
            () => NewMigrator().MigrateAsync(database.ConnectionString));

        // Assert
        Assert.Contains("0002_orleans_clustering.sql", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Orleans_scripts_leave_transaction_control_to_the_migrator()
    {
        // Arrange: statement-level transaction control, not PL/pgSQL block BEGIN/END (which carry no semicolon).
        var transactionControl = new Regex(@"^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END)\s*;", RegexOptions.IgnoreCase | RegexOptions.Multiline);

        // Act
        var offenders = SchemaMigrator.EmbeddedScripts
            .Where(s => s.Name.Contains("_orleans_", StringComparison.Ordinal) && transactionControl.IsMatch(RemovePlpgsqlBodies(s.Sql)))
            .Select(s => s.Name)
            .ToList();

        // Assert
        Assert.Equal(4, SchemaMigrator.EmbeddedScripts.Count(s => s.Name.Contains("_orleans_", StringComparison.Ordinal)));
        Assert.Empty(offenders);
    }

    private static string RemovePlpgsqlBodies(string sql) => Regex.Replace(sql, @"\$fn\$.*?\$fn\$", string.Empty, RegexOptions.Singleline);

    private static async Task<List<string>> ReadQueryKeysAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT querykey FROM orleansquery ORDER BY querykey COLLATE \"C\"", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new List<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }
}
