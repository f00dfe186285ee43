using System.Text.Json;
using LiveStream.Abstractions;
using LiveStream.Host.Hosting;
using LiveStream.Infrastructure.Postgres;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace LiveStream.Host.Api;

/// <summary>
/// Liveness (the process answers; never PostgreSQL, so an outage never restarts a task) and readiness (cluster
/// joined) for the ALB. PostgreSQL is reported under readiness as Degraded, which still answers 200: a database
/// failover affects every task alike, and taking them all out of the target group (or letting ECS replace them,
/// when new tasks need the database to find their gateways) would turn a 60 s blip into a full outage. Requests
/// that need the database answer 503 + Retry-After meanwhile; see docs/operations.md.
/// </summary>
public static class HealthApi
{
    private const string Ready = "ready";

    public static void AddLiveStreamHealthChecks(this IServiceCollection services, HostRole role)
    {
        var checks = services.AddHealthChecks()
            .AddCheck<PostgresHealthCheck>("postgres", tags: [Ready]);
        if (role.HostsGrains())
        {
            checks.AddCheck<SiloMembershipHealthCheck>("cluster", tags: [Ready]);
        }
        else
        {
            checks.AddCheck<ClusterClientHealthCheck>("cluster", tags: [Ready]);
        }
    }

    public static void MapHealthApi(this IEndpointRouteBuilder app)
    {
        var health = app.MapGroup("/health").WithTags("Health").AllowAnonymous();
        health.MapHealthChecks("/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        health.MapHealthChecks("/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains(Ready), ResponseWriter = WriteAsync });
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(
                entry => entry.Key,
                entry => new { status = entry.Value.Status.ToString(), description = entry.Value.Description }),
        });
    }
}

internal sealed class PostgresHealthCheck(LiveStreamDataSources dataSources) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = dataSources.Primary.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy("PostgreSQL answers.");
        }
        catch (Exception exception) when (exception is Npgsql.NpgsqlException or OperationCanceledException or TimeoutException or DatabaseUnavailableException)
        {
            return HealthCheckResult.Degraded("PostgreSQL does not answer; requests that need it answer 503 until it does.");
        }
    }
}

internal sealed class SiloMembershipHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy("This silo is an active cluster member.")
            : HealthCheckResult.Unhealthy($"This silo is {status}."));
    }
}

internal sealed class ClusterClientHealthCheck(IClusterClient client) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
            return hosts.Count > 0
                ? HealthCheckResult.Healthy($"{hosts.Count} active silo(s) reachable.")
                : HealthCheckResult.Unhealthy("No active silo.");
        }
        catch (Exception exception) when (exception is OrleansException or TimeoutException or OperationCanceledException or SiloUnavailableException)
        {
            return HealthCheckResult.Unhealthy("The cluster is not reachable.", exception);
        }
    }
}
