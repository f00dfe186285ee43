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

    public static void AddLiveStreamPostgres(this IHostApplicationBuilder builder)
    {
        var primary = builder.Configuration.GetPrimaryConnectionString();
        var read = builder.Configuration.GetConnectionString(ReadConnectionName);
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateOnStart();

        builder.Services.AddSingleton(services => new LiveStreamDataSources(
            CreateDataSource(primary, "primary"),
            string.IsNullOrWhiteSpace(read) ? null : CreateDataSource(read, "read")));
        builder.Services.AddSingleton<IFollowStore, PostgresFollowStore>();
        builder.Services.AddSingleton<IInteractionStore, PostgresInteractionStore>();
        builder.Services.AddSingleton<ISessionIndexStore, PostgresSessionIndexStore>();
        builder.Services.AddSingleton<SchemaMigrator>();

        // Registered before Orleans so the schema exists before the silo touches its tables.
        builder.Services.AddHostedService<MigrateOnStartService>();
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
