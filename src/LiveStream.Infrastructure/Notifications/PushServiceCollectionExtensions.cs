using LiveStream.Infrastructure.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Notifications;

public static class PushServiceCollectionExtensions
{
    /// <summary>
    /// Registers the notification store, the push registry and the push provider chosen by
    /// <c>Notifications:Push:Provider</c> (SNS also brings the AWS clients of section <c>Aws</c>).
    /// Needs <see cref="Postgres.LiveStreamDataSources"/>.
    /// </summary>
    public static IServiceCollection AddLiveStreamPush(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(PushOptions.Section);
        services.AddOptions<PushOptions>()
            .Bind(section)
            .Validate(options => options.Validate().Count == 0, "Notifications:Push is misconfigured: " + string.Join(" ", section.Get<PushOptions>()?.Validate() ?? []))
            .ValidateOnStart();
        services.AddSingleton<NotificationStore>();
        services.AddSingleton<PushDeviceRegistry>();

        var provider = section.Get<PushOptions>()?.Provider ?? PushProviderKind.Inbox;
        if (provider == PushProviderKind.Sns)
        {
            services.AddLiveStreamAws(configuration);
            services.AddSingleton<IPushProvider, SnsPushProvider>();
        }
        else
        {
            services.AddSingleton<IPushProvider, InboxPushProvider>();
        }

        return services;
    }
}
