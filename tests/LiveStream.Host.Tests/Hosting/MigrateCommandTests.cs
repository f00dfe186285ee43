using System.Diagnostics;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>`migrate` runs from every task at start, so two at once must both succeed and apply each script once.</summary>
public sealed class MigrateCommandTests
{
    [Fact]
    public async Task Two_migrate_processes_at_once_and_a_third_later_leave_each_script_applied_once()
    {
        // Arrange
        await using var database = await TestDatabase.CreateAsync(migrate: false);

        // Act
        var concurrent = await Task.WhenAll(RunMigrateAsync(database.ConnectionString), RunMigrateAsync(database.ConnectionString));
        var again = await RunMigrateAsync(database.ConnectionString);

        // Assert
        Assert.All(concurrent.Append(again), result => Assert.True(result.ExitCode == 0, result.Output));
        var scripts = LiveStream.Infrastructure.Postgres.SchemaMigrator.EmbeddedScripts.Count;
        Assert.Equal(scripts, await database.ScalarAsync<long>("SELECT count(*) FROM livestream_schema_history"));
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM orleansquery WHERE querykey = 'WriteToStorageKey'"));
        Assert.Contains("0 script(s) applied", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_without_a_reachable_database_fails_with_a_nonzero_exit()
    {
        var result = await RunMigrateAsync("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=2");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Migration failed", result.Output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunMigrateAsync(string connectionString)
    {
        var start = new ProcessStartInfo("dotnet", [HostProcess.HostAssemblyPath, "migrate"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ConnectionStrings__Postgres"] = connectionString;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
