using System.ComponentModel.DataAnnotations;
using System.Net;
using LiveStream.Grains.Hosting;
using LiveStream.Infrastructure.Postgres;
using Orleans.Configuration;

namespace LiveStream.Host.Hosting;

public sealed class OrleansClusterOptions
{
    public const string Section = "Orleans";

    [Required]
    public string ClusterId { get; set; } = "livestream";

    [Required]
    public string ServiceId { get; set; } = "livestream";

    [Range(1, 65535)]
    public int SiloPort { get; set; } = 11111;

    [Range(1, 65535)]
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// The address other silos and clients reach this silo at, and the only one its silo and gateway ports listen on;
    /// empty: the ECS task's IP, else loopback (a silo nobody else on the network can call).
    /// </summary>
    public string? AdvertisedIPAddress { get; set; }

    /// <summary>
    /// How long SIGTERM may take: grains deactivate with their state written and the silo leaves the
    /// cluster. Keep it under the ECS stop timeout (30 s by default), after which ECS sends SIGKILL.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);
}

public static class OrleansHostingExtensions
{
    private const string Invariant = "Npgsql";

    public static void AddLiveStreamOrleans(this IHostApplicationBuilder builder)
    {
        var role = builder.Configuration.GetRole();
        var connectionString = builder.Configuration.GetServiceConnectionString();
        var storageConnectionString = builder.Configuration.GetServiceConnectionString(forGrainStorage: true);
        var cluster = builder.Configuration.GetSection(OrleansClusterOptions.Section).Get<OrleansClusterOptions>() ?? new OrleansClusterOptions();
        Validator.ValidateObject(cluster, new ValidationContext(cluster), validateAllProperties: true);

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = cluster.ShutdownTimeout);
        builder.AddClusterResilienceOptions();

        if (role.HostsGrains())
        {
            var address = ResolveAdvertisedAddress(cluster, builder.Configuration) ?? IPAddress.Loopback;
            builder.Properties[typeof(SiloListeners)] = new SiloListeners(new IPEndPoint(address, cluster.SiloPort), new IPEndPoint(address, cluster.GatewayPort));
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = cluster.ClusterId;
                    options.ServiceId = cluster.ServiceId;
                });
                silo.ConfigureEndpoints(address, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: false);
                silo.ConfigureMembership(builder.Configuration);
                silo.UseAdoNetClustering(options =>
                {
                    options.Invariant = Invariant;
                    options.ConnectionString = connectionString;
                });
                silo.AddLiveStreamSilo(builder.Configuration, connectionString, storageConnectionString);
                silo.AddOutgoingGrainCallFilter<RetryIdempotentCallsFilter>();
                silo.Services.AddSingleton<Grains.ISiloDepartureCheck, SiloDepartureCheck>();
            });
        }
        else
        {
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = cluster.ClusterId;
                    options.ServiceId = cluster.ServiceId;
                });
                client.UseAdoNetClustering(options =>
                {
                    options.Invariant = Invariant;
                    options.ConnectionString = connectionString;
                });
                client.ConfigureGateways(builder.Configuration);
                client.AddActivityPropagation();
                client.Services.AddSingleton<SiloLossSignal>();
                client.Services.AddSingleton<IClusterConnectionStatusObserver>(services => services.GetRequiredService<SiloLossSignal>());
                client.AddOutgoingGrainCallFilter<RetryIdempotentCallsFilter>();
                client.AddLiveStreamNotificationPipeline(builder.Configuration, connectionString);
            });
        }
    }

    /// <summary>Configured address first; on ECS the task's private IP; otherwise Orleans picks the host's.</summary>
    private static IPAddress? ResolveAdvertisedAddress(OrleansClusterOptions cluster, IConfiguration configuration)
    {
        if (!string.IsNullOrWhiteSpace(cluster.AdvertisedIPAddress))
        {
            return IPAddress.TryParse(cluster.AdvertisedIPAddress, out var configured)
                ? configured
                : throw new InvalidOperationException($"Orleans:AdvertisedIPAddress '{cluster.AdvertisedIPAddress}' is not an IP address.");
        }

        // Start-up runs once, before the host exists, so a blocking wait here costs nothing at run time.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return EcsTaskMetadata.GetTaskAddressAsync(configuration[EcsTaskMetadata.EndpointVariable], http).GetAwaiter().GetResult();
    }
}
