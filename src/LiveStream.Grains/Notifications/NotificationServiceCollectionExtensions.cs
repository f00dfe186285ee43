using LiveStream.Infrastructure.Notifications;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LiveStream.Grains.Notifications;

public static class NotificationServiceCollectionExtensions
{
    /// <summary>
    /// Everything the notification grains need on a silo: options of section <c>Notifications</c> (validated at
    /// start), the session outbox, delivery, the store and the configured push provider. The queue stream
    /// provider (<c>Streaming:Queue</c>) and reminders are registered by the host.
    /// </summary>
    public static IServiceCollection AddLiveStreamNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(NotificationOptions.Section);
        services.AddOptions<NotificationOptions>()
            .Bind(section)
            .Validate(options => options.Validate().Count == 0, "Notifications is misconfigured: " + string.Join(" ", section.Get<NotificationOptions>()?.Validate() ?? []))
            .ValidateOnStart();
        services.AddSingleton<SessionEventOutbox>();
        services.AddLiveStreamMetrics();
        services.AddSingleton<NotificationDelivery>();
        services.AddLiveStreamPush(configuration);
        return services;
    }
}
