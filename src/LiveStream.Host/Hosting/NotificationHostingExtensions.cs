using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Hosting;
using LiveStream.Infrastructure.Streaming;
using Orleans.Hosting;

namespace LiveStream.Host.Hosting;

/// <summary>
/// The notification pipeline on API-only processes: the queue stream provider of section <c>Streaming:Queue</c>
/// (PostgreSQL table queue by default, SQS with <c>Streaming:Queue:Backend=Sqs</c>). Silos get it with the rest of
/// their configuration from <see cref="LiveStreamSilo.AddLiveStreamSilo"/>.
/// </summary>
public static class NotificationHostingExtensions
{
    /// <summary>Client side (role <c>api</c>): the silos' provider and options (<see cref="LiveStreamSilo"/>), for producers.</summary>
    public static IClientBuilder AddLiveStreamNotificationPipeline(this IClientBuilder client, IConfiguration configuration, string connectionString) =>
        client.AddLiveStreamQueueStreams(
            NotificationStreams.Provider,
            options => LiveStreamSilo.ConfigureQueue(options, configuration, connectionString),
            stream => stream.ConfigureStreamPubSub(Orleans.Streams.StreamPubSubType.ImplicitOnly));
}
