using LiveStream.Abstractions.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime;

namespace LiveStream.Bench.Chaos;

/// <summary>Asks the cluster (as an Orleans client, through the management grain) which silo hosts each session grain.</summary>
public sealed class Placement : IAsyncDisposable
{
    private readonly IHost _host;

    private Placement(IHost host) => _host = host;

    public static async Task<Placement> ConnectAsync(ChaosOptions options)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(cluster =>
            {
                cluster.ClusterId = options.ClusterId;
                cluster.ServiceId = "livestream";
            });
            client.UseAdoNetClustering(clustering =>
            {
                clustering.Invariant = "Npgsql";
                clustering.ConnectionString = options.Postgres;
            });
            client.Configure<GatewayOptions>(gateway => gateway.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
        });
        var host = builder.Build();
        await host.StartAsync();
        return new Placement(host);
    }

    /// <summary>liveId → silo port, for the sessions that are active now.</summary>
    public async Task<Dictionary<string, int>> LocateAsync(IEnumerable<string> liveIds)
    {
        var grains = _host.Services.GetRequiredService<IClusterClient>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var located = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var liveId in liveIds)
        {
            var silo = await management.GetActivationAddress(grains.GetGrain<ILiveSessionGrain>(liveId));
            if (silo is not null)
            {
                located[liveId] = silo.Endpoint.Port;
            }
        }

        return located;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}
