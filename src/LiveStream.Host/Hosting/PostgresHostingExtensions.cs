using System.ComponentModel.DataAnnotations;
using LiveStream.Infrastructure.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LiveStream.Host.Hosting;

public sealed class DatabaseOptions
{
    public const string Section = "Database";

    /// <summary>Apply <c>sql/</c> before the silo starts. Safe from every task at once (advisory lock).</summary>
    public bool MigrateOnStart { get; set; }

    /// <summary>
    /// Seconds to open a connection. A stopped server refuses at once; a hung one (failover, partition) accepts
    /// TCP and never answers, and only this bounds the wait. Locally and within a VPC a connection opens in ms.
    /// </summary>
    [Range(1, 30)]
    public int ConnectTimeoutSeconds { get; set; } = 2;

    /// <summary>Seconds a query may run before it is abandoned (clustering, reminders, queue, our stores).</summary>
    [Range(1, 60)]
    public int CommandTimeoutSeconds { get; set; } = 2;

    /// <summary>
    /// Seconds a grain state read or write may take. It runs inside the grain's turn, so it bounds how long a hung
    /// database can hold every other call to that grain, reads from memory included (1 s, then the circuit opens).
    /// </summary>
    [Range(1, 60)]
    public int StorageCommandTimeoutSeconds { get; set; } = 1;

    /// <summary>
    /// Statements each pooled connection keeps prepared once used twice (Npgsql auto-prepare): the hot ones (a
    /// session's reaction flush, the queue's poll) then skip PostgreSQL's parse and plan, which measured 0.1 ms of a
    /// 0.65 ms flush and 0.3 ms of a 0.35 ms poll. 0 turns it off, for a pooler that cannot keep prepared statements
    /// across transactions (PgBouncer in transaction mode; RDS Proxy would pin every connection).
    /// </summary>
    [Range(0, 256)]
    public int MaxAutoPrepare { get; set; } = 32;
}

public static class PostgresHostingExtensions
{
    public const string PrimaryConnectionName = "Postgres";
    public const string ReadConnectionName = "PostgresRead";

    public static string GetPrimaryConnectionString(this IConfiguration configuration) =>
        configuration.GetConnectionString(PrimaryConnectionName) is { Length: > 0 } value
            ? value
            : throw new OptionsValidationException(PrimaryConnectionName, typeof(DatabaseOptions),
                [$"ConnectionStrings:{PrimaryConnectionName} is required (env ConnectionStrings__{PrimaryConnectionName})."]);

    /// <summary>The primary connection string with this service's settings (see <see cref="WithServiceSettings"/>).</summary>
    public static string GetServiceConnectionString(this IConfiguration configuration, bool forGrainStorage = false)
    {
        var options = configuration.GetDatabaseOptions();
        return WithServiceSettings(
            configuration.GetPrimaryConnectionString(),
            options,
            forGrainStorage ? options.StorageCommandTimeoutSeconds : options.CommandTimeoutSeconds);
    }

    /// <summary>
    /// Every connection string the service builds (clustering, grain storage, reminders, the queue, our stores)
    /// gets short connect and command timeouts, so a down or hung database is an error in seconds, never a hang.
    /// A timed-out command's connection is dropped without waiting for the server to confirm the cancel (it would
    /// not answer either). With several hosts (<c>Host=a,b</c>, RDS's writer and reader or our primary and replica)
    /// the target is the primary and a host's role is rechecked every second, so a promotion is followed within
    /// about a second of it, the way RDS's DNS flip is followed. Hot statements stay prepared per connection
    /// (<see cref="DatabaseOptions.MaxAutoPrepare"/>).
    /// </summary>
    public static string WithServiceSettings(string connectionString, DatabaseOptions options, int commandTimeoutSeconds)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = options.ConnectTimeoutSeconds,
            CommandTimeout = commandTimeoutSeconds,
            CancellationTimeout = -1,
            TcpKeepAlive = true,
            MaxAutoPrepare = options.MaxAutoPrepare,
            AutoPrepareMinUsages = 2,
        };
        if (builder.Host?.Contains(',', StringComparison.Ordinal) == true)
        {
            builder.TargetSessionAttributes ??= "primary";
            builder.HostRecheckSeconds = 1;
        }

        return builder.ConnectionString;
    }

    private static DatabaseOptions GetDatabaseOptions(this IConfiguration configuration)
    {
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);
        return options;
    }

    public static void AddLiveStreamPostgres(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetDatabaseOptions();
        var primary = builder.Configuration.GetServiceConnectionString();
        ReserveThreadsForHungDatabase();
        var read = builder.Configuration.GetConnectionString(ReadConnectionName);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.AddSingleton(services => new LiveStreamDataSources(
            CreateDataSource(primary, "primary"),
            string.IsNullOrWhiteSpace(read)
                ? null
                : CreateDataSource(WithServiceSettings(read, options, options.CommandTimeoutSeconds), "read")));
        builder.Services.AddSingleton(services => services.GetRequiredService<LiveStreamDataSources>().Circuit);
        builder.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
        builder.Services.AddSingleton<IInteractionStore, PostgresInteractionStore>();
        builder.Services.AddSingleton<ISessionIndexStore, PostgresSessionIndexStore>();
        builder.Services.AddSingleton<SchemaMigrator>();

        // Registered before Orleans so the schema exists before the silo touches its tables.
        builder.Services.AddHostedService<MigrateOnStartService>();
    }

    /// <summary>
    /// When a command times out, Npgsql sends PostgreSQL a cancel request synchronously, on the thread-pool thread
    /// that observed the timeout; against a hung server (SIGSTOP, failover, partition) that blocks the thread for the
    /// connect and TLS/GSS negotiation timeouts, seconds each. Every command in flight when the server hung does this
    /// once (ours, and Orleans' clustering, reminder and queue queries), and the thread pool adds threads only about
    /// once a second: measured, silos' pools stalled 1-2 s and answers waited up to 7.5 s. Threads up to the minimum
    /// are created without that delay, so a burst of blocked cancels does not starve grain turns. Idle threads retire.
    /// </summary>
    private static void ReserveThreadsForHungDatabase()
    {
        const int minimumWorkers = 64;
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        if (workers < minimumWorkers)
        {
            ThreadPool.SetMinThreads(minimumWorkers, completionPorts);
        }
    }

    private static NpgsqlDataSource CreateDataSource(string connectionString, string name)
    {
        var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = $"livestream-{name}" };
        return dataSource.Build();
    }
}

internal sealed class MigrateOnStartService(SchemaMigrator migrator, IConfiguration configuration, Microsoft.Extensions.Options.IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStart)
        {
            await migrator.MigrateAsync(configuration.GetPrimaryConnectionString(), cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
