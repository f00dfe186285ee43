using System.ComponentModel.DataAnnotations;
using System.Net;
using LiveStream.Grains;
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

    /// <summary>The address other silos and clients reach this silo at; empty lets Orleans pick the host's address.</summary>
    public string? AdvertisedIPAddress { get; set; }
}

public static class OrleansHostingExtensions
{
    private const string Invariant = "Npgsql";

    public static void AddLiveStreamOrleans(this IHostApplicationBuilder builder)
    {
        var role = builder.Configuration.GetRole();
        var connectionString = builder.Configuration.GetPrimaryConnectionString();
        var cluster = builder.Configuration.GetSection(OrleansClusterOptions.Section).Get<OrleansClusterOptions>() ?? new OrleansClusterOptions();
        Validator.ValidateObject(cluster, new ValidationContext(cluster), validateAllProperties: true);

        builder.Services.AddSingleton(TimeProvider.System);

        if (role.HostsGrains())
        {
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = cluster.ClusterId;
                    options.ServiceId = cluster.ServiceId;
                });
                ConfigureEndpoints(silo, cluster);
                silo.UseAdoNetClustering(options =>
                {
                    options.Invariant = Invariant;
                    options.ConnectionString = connectionString;
                });
                silo.AddAdoNetGrainStorage(GrainStorage.Name, options =>
                {
                    options.Invariant = Invariant;
                    options.ConnectionString = connectionString;
                });
                silo.UseAdoNetReminderService(options =>
                {
                    options.Invariant = Invariant;
                    options.ConnectionString = connectionString;
                });
                silo.AddActivityPropagation();
                silo.AddLiveStreamNotificationPipeline(builder.Configuration, connectionString);
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
                client.AddActivityPropagation();
                client.AddLiveStreamNotificationPipeline(builder.Configuration, connectionString);
            });
        }
    }

    private static void ConfigureEndpoints(ISiloBuilder silo, OrleansClusterOptions cluster)
    {
        if (string.IsNullOrWhiteSpace(cluster.AdvertisedIPAddress))
        {
            silo.ConfigureEndpoints(cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
            return;
        }

        if (!IPAddress.TryParse(cluster.AdvertisedIPAddress, out var address))
        {
            throw new InvalidOperationException($"Orleans:AdvertisedIPAddress '{cluster.AdvertisedIPAddress}' is not an IP address.");
        }

        silo.ConfigureEndpoints(address, cluster.SiloPort, cluster.GatewayPort, listenOnAnyHostAddress: true);
    }
}
