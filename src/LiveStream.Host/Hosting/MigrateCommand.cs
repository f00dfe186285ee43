using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Host.Hosting;

/// <summary><c>LiveStream.Host migrate</c>: applies <c>sql/</c> to the configured database and exits.</summary>
public static class MigrateCommand
{
    public static bool IsMigrateCommand(this IHostApplicationBuilder builder, string[] args) =>
        args.Length > 0 && string.Equals(args[0], "migrate", StringComparison.OrdinalIgnoreCase);

    public static async Task<int> RunMigrateCommandAsync(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchemaMigrator>();
        using var host = ((WebApplicationBuilder)builder).Build();
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LiveStream.Migrate");
        try
        {
            var applied = await host.Services.GetRequiredService<SchemaMigrator>()
                .MigrateAsync(builder.Configuration.GetPrimaryConnectionString());
            logger.LogInformation("Migration finished; {Count} script(s) applied", applied.Count);
            return 0;
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException)
        {
            logger.LogCritical(exception, "Migration failed");
            return 1;
        }
    }
}
