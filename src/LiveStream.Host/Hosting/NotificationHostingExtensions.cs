using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Streaming;
using Microsoft.Extensions.Options;
using Orleans.Hosting;

namespace LiveStream.Host.Hosting;

/// <summary>
/// The notification pipeline's hosting: the queue stream provider of section <c>Streaming:Queue</c> (PostgreSQL
/// table queue by default, SQS with <c>Streaming:Queue:Backend=Sqs</c>) and, on silos, the notification services.
/// </summary>
public static class NotificationHostingExtensions
{
    public const string QueueSection = "Streaming:Queue";

    /// <summary>Silo side: the provider (pulling agents live here) and the fan-out / delivery services.</summary>
    public static ISiloBuilder AddLiveStreamNotificationPipeline(this ISiloBuilder silo, IConfiguration configuration, string connectionString)
    {
        silo.Services.AddLiveStreamNotifications(configuration);
        // Jobs go to implicitly subscribed mentee grains only, so no pub/sub store is needed.
        return silo.AddLiveStreamQueueStreams(
            NotificationStreams.Provider,
            options => ConfigureQueue(options, configuration, connectionString),
            stream => stream.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly));
    }

    /// <summary>Client side (role <c>api</c>): the same provider and options, for producers.</summary>
    public static IClientBuilder AddLiveStreamNotificationPipeline(this IClientBuilder client, IConfiguration configuration, string connectionString) =>
        client.AddLiveStreamQueueStreams(
            NotificationStreams.Provider,
            options => ConfigureQueue(options, configuration, connectionString),
            stream => stream.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly));

    private static void ConfigureQueue(OptionsBuilder<QueueStreamOptions> options, IConfiguration configuration, string connectionString) =>
        options.Bind(configuration.GetSection(QueueSection)).PostConfigure(queue =>
        {
            // The table queue lives in the application database unless a separate one is configured.
            if (string.IsNullOrWhiteSpace(queue.ConnectionString))
            {
                queue.ConnectionString = connectionString;
            }
        });
}
