using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Host.Hosting;

/// <summary>
/// One-shot commands of the executable, run instead of the server:
/// <c>migrate</c> applies <c>sql/</c>; <c>healthcheck</c> probes this container's own liveness endpoint
/// (the runtime image has no curl, and ECS/Docker health checks need a command).
/// </summary>
public static class Commands
{
    public static async Task<int?> TryRunCommandAsync(this WebApplicationBuilder builder, string[] args)
    {
        var command = args.Length > 0 ? args[0].ToLowerInvariant() : null;
        return command switch
        {
            "migrate" => await MigrateAsync(builder),
            "healthcheck" => await HealthCheckAsync(builder.Configuration),
            _ => null,
        };
    }

    private static async Task<int> MigrateAsync(WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SchemaMigrator>();
        using var host = builder.Build();
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

    private static async Task<int> HealthCheckAsync(IConfiguration configuration)
    {
        var port = configuration["ASPNETCORE_HTTP_PORTS"]?.Split(';', ',')[0] ?? configuration["LiveStream:HttpPort"] ?? "8080";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/health/live"));
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return 1;
        }
    }
}
