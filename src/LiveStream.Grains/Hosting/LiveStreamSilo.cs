using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Streaming;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace LiveStream.Grains.Hosting;

/// <summary>
/// The one silo configuration of LiveStream, used by the host, the grain tests' silo and the fan-out bench: grain
/// storage and reminders in PostgreSQL (ADO.NET) behind the database circuit, the notification services and the
/// queue stream provider of section <see cref="QueueSection"/>. Callers add only what differs: the host its
/// clustering, endpoints and call retries; a test its clustering, test-sized settings and fault injection.
/// The services the grains call (data sources, stores, media provider) are registered by each process.
/// </summary>
public static class LiveStreamSilo
{
    public const string QueueSection = "Streaming:Queue";

    private const string Invariant = "Npgsql";

    /// <param name="connectionString">The application database: reminders and the table queue (unless <see cref="QueueSection"/> names another).</param>
    /// <param name="storageConnectionString">Grain state, when it uses other timeouts than the rest (the host's); the application database otherwise.</param>
    public static ISiloBuilder AddLiveStreamSilo(this ISiloBuilder silo, IConfiguration configuration, string connectionString, string? storageConnectionString = null)
    {
        silo.Services.TryAddSingleton(TimeProvider.System);
        silo.Services.TryAddSingleton(services => services.GetRequiredService<LiveStreamDataSources>().Circuit);
        silo.AddCircuitBreakingGrainStorage(storageConnectionString ?? connectionString);
        silo.UseAdoNetReminderService(options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.AddActivityPropagation();
        silo.AddIncomingGrainCallFilter<DatabaseFaultCallFilter>();
        silo.Services.AddLiveStreamNotifications(configuration);

        // Jobs go to implicitly subscribed mentee grains only, so no pub/sub store is needed.
        return silo.AddLiveStreamQueueStreams(
            NotificationStreams.Provider,
            options => ConfigureQueue(options, configuration, connectionString),
            stream =>
            {
                stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly);
                stream.ConfigurePullingAgent(agent => agent.Configure(pulling => pulling.StreamInactivityPeriod = ChunkStreamInactivity));
            });
    }

    /// <summary>
    /// How long the pulling agent keeps an idle stream's consumer state. Every fan-out chunk has a stream of its own
    /// that carries one batch, so with Orleans' default (30 minutes) that state grows with every notification sent in
    /// the last half hour (two streams per scheduled and cancelled session in the churn soak). A stream whose consumer
    /// is still busy is never dropped, and a late redelivery on a dropped one only resolves its implicit consumer again.
    /// </summary>
    public static readonly TimeSpan ChunkStreamInactivity = TimeSpan.FromMinutes(2);

    /// <summary>The queue's options, on silos and on clients (producers) alike.</summary>
    public static void ConfigureQueue(OptionsBuilder<QueueStreamOptions> options, IConfiguration configuration, string connectionString) =>
        options.Bind(configuration.GetSection(QueueSection)).PostConfigure(queue =>
        {
            // The table queue lives in the application database unless a separate one is configured.
            if (string.IsNullOrWhiteSpace(queue.ConnectionString))
            {
                queue.ConnectionString = connectionString;
            }
        });

    /// <summary>
    /// The ADO.NET grain storage registered under a name of its own and exposed as <see cref="GrainStorage.Name"/>
    /// through <see cref="CircuitBreakingGrainStorage"/>. Rows do not record the provider name, so existing state is
    /// read as before.
    /// </summary>
    private static void AddCircuitBreakingGrainStorage(this ISiloBuilder silo, string connectionString)
    {
        const string inner = GrainStorage.Name + "-adonet";
        silo.AddAdoNetGrainStorage(inner, options =>
        {
            options.Invariant = Invariant;
            options.ConnectionString = connectionString;
        });
        silo.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(GrainStorage.Name, (services, _) => new CircuitBreakingGrainStorage(
            services.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(inner),
            services.GetRequiredService<DatabaseCircuit>(),
            services.GetRequiredService<ILogger<CircuitBreakingGrainStorage>>()));
    }
}
