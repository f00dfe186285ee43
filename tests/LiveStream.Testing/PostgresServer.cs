using System.Diagnostics;
using Npgsql;

namespace LiveStream.Testing;

/// <summary>
/// A PostgreSQL server of a test's own (scripts/postgres.sh on a free port, data under .local/), for tests that
/// stop, freeze or replicate the database and so cannot share the suite's server.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private PostgresServer(string directory, int port, string connectionString)
    {
        Directory = directory;
        Port = port;
        ConnectionString = connectionString;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>The server's <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    public static async Task<PostgresServer> StartAsync()
    {
        var directory = Path.Combine(RepositoryRoot, ".local", "test-pg", Guid.NewGuid().ToString("N")[..12]);
        var port = FreePorts.Next();
        var connectionString = await RunScriptAsync("start", directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PostgresServer(directory, port, connectionString.Trim());
    }

    /// <summary>A streaming replica of this server (pg_basebackup), caught up when this returns.</summary>
    public async Task<PostgresServer> StartReplicaAsync()
    {
        var directory = Directory + "-replica";
        var port = FreePorts.Next();
        var connectionString = await RunScriptAsync(
            "replica", directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture), Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new PostgresServer(directory, port, connectionString.Trim());
    }

    /// <summary>A new database on this server, migrated like production.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"ls_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
        await new LiveStream.Infrastructure.Postgres.SchemaMigrator(Microsoft.Extensions.Logging.Abstractions.NullLogger<LiveStream.Infrastructure.Postgres.SchemaMigrator>.Instance)
            .MigrateAsync(connectionString);
        return connectionString;
    }

    /// <summary>The same database name on this server (a replica has the primary's databases).</summary>
    public string ConnectionStringFor(string database) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Database = new NpgsqlConnectionStringBuilder(database).Database }.ConnectionString;

    public Task StopAsync() => RunScriptAsync("stop", Directory);

    /// <summary>SIGSTOP of every server process: connections stay open and nothing answers (a hung database).</summary>
    public Task FreezeAsync() => RunScriptAsync("freeze", Directory);

    public Task ThawAsync() => RunScriptAsync("thaw", Directory);

    public Task StartAgainAsync() => RunScriptAsync("start", Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public async ValueTask DisposeAsync()
    {
        await RunScriptAsync("stop", Directory, "immediate");
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static async Task<string> RunScriptAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot, "scripts", "postgres.sh"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run scripts/postgres.sh.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"postgres.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }

    private static string RepositoryRoot { get; } = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(HostProcess.HostAssemblyPath))))))!;
}
