using Microsoft.Extensions.Configuration;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Registers a LiveStream queue stream provider (PostgreSQL table queue or SQS, chosen by
/// <see cref="QueueStreamOptions.Backend"/>). Silos and clients that share a provider name must use the
/// same options, or producers and pulling agents disagree about partitions. A process that hosts a silo
/// (roles <c>silo</c> and <c>all</c>) needs only the silo registration; its co-hosted client shares it.
/// </summary>
public static class QueueStreamHostingExtensions
{
    /// <summary>Adds the provider to a silo; <paramref name="configureStream"/> reaches the Orleans knobs (pub/sub, balancer, ...).</summary>
    public static ISiloBuilder AddLiveStreamQueueStreams(
        this ISiloBuilder builder,
        string name,
        Action<OptionsBuilder<QueueStreamOptions>> configureOptions,
        Action<ISiloPersistentStreamConfigurator>? configureStream = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configureOptions);
        var configurator = new SiloPersistentStreamConfigurator(
            name, configureServices => builder.ConfigureServices(configureServices), QueueStreamAdapterFactory.Create);
        configurator.ConfigureDelegate(services => AddOptions(services, name, configureOptions));
        configurator.ConfigureDelegate(AddDepthMonitor);
        // Registered before configureStream runs, so an explicit ConfigurePullingAgent there still wins.
        configurator.ConfigurePullingAgent(agent => agent.Configure<IOptionsMonitor<QueueStreamOptions>>((pulling, monitor) =>
        {
            var options = monitor.Get(name);
            pulling.GetQueueMsgsTimerPeriod = options.PollInterval;
            pulling.MaxEventDeliveryTime = options.DeliveryRetryWindow;
        }));
        configureStream?.Invoke(configurator);
        return builder;
    }

    /// <summary>Adds the provider to a silo with options bound from a configuration section (e.g. <c>Streaming:Queue</c>).</summary>
    public static ISiloBuilder AddLiveStreamQueueStreams(
        this ISiloBuilder builder,
        string name,
        IConfiguration configuration,
        Action<ISiloPersistentStreamConfigurator>? configureStream = null) =>
        builder.AddLiveStreamQueueStreams(name, options => options.Bind(configuration), configureStream);

    /// <summary>Adds the provider to a cluster client (producers only; pulling happens on silos).</summary>
    public static IClientBuilder AddLiveStreamQueueStreams(
        this IClientBuilder builder,
        string name,
        Action<OptionsBuilder<QueueStreamOptions>> configureOptions,
        Action<IClusterClientPersistentStreamConfigurator>? configureStream = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configureOptions);
        var configurator = new ClusterClientPersistentStreamConfigurator(name, builder, QueueStreamAdapterFactory.Create);
        configurator.ConfigureDelegate(services => AddOptions(services, name, configureOptions));
        configureStream?.Invoke(configurator);
        return builder;
    }

    /// <summary>Adds the provider to a cluster client with options bound from a configuration section.</summary>
    public static IClientBuilder AddLiveStreamQueueStreams(
        this IClientBuilder builder,
        string name,
        IConfiguration configuration,
        Action<IClusterClientPersistentStreamConfigurator>? configureStream = null) =>
        builder.AddLiveStreamQueueStreams(name, options => options.Bind(configuration), configureStream);

    /// <summary>Silos only: the pulling side is where a backlog matters and where the depth is sampled.</summary>
    private static void AddDepthMonitor(IServiceCollection services)
    {
        if (services.Any(service => service.ServiceType == typeof(QueueDepthMonitor)))
        {
            return;
        }

        services.AddLiveStreamMetrics();
        services.AddSingleton<QueueDepthMonitor>();
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<QueueDepthMonitor>());
    }

    private static void AddOptions(IServiceCollection services, string name, Action<OptionsBuilder<QueueStreamOptions>> configureOptions)
    {
        configureOptions(services.AddOptions<QueueStreamOptions>(name));
        // Orleans runs every IConfigurationValidator before the silo or client starts, so bad settings stop
        // the process with one readable message instead of failing at the first event.
        services.AddSingleton<IConfigurationValidator>(sp =>
            new QueueStreamOptionsValidator(sp.GetRequiredService<IOptionsMonitor<QueueStreamOptions>>().Get(name), name));
    }
}
