using LiveStream.Infrastructure.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

public static class MediaServiceCollectionExtensions
{
    /// <summary>Binds <c>Media</c> and registers the configured provider; options are validated when the host starts.</summary>
    public static IServiceCollection AddLiveStreamMedia(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MediaOptions>().Bind(configuration.GetSection(MediaOptions.Section))
            .Validate(options => !MediaOptions.Validate(options).Any(), "Media:NoInputTimeout, ReconnectGrace, MaxDuration, NoShowTimeout, RecordingTimeout, RetryDelay and StopTimeout must be positive.")
            .Validate(options => IsProvider(options.Provider, LocalMediaProvider.ProviderName) || IsProvider(options.Provider, AwsMediaProvider.ProviderName), "Media:Provider must be 'local' or 'aws'.")
            .ValidateOnStart();
        services.AddOptions<LocalMediaOptions>().Bind(configuration.GetSection(LocalMediaOptions.Section))
            .Validate(
                options => Uri.TryCreate(options.IngestUrl, UriKind.Absolute, out _) && Uri.TryCreate(options.ControlUrl, UriKind.Absolute, out _)
                    && Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out _) && options.Directory.Length > 0,
                "Media:Local:IngestUrl, ControlUrl and PublicBaseUrl must be absolute URLs and Media:Local:Directory must be set.")
            .Validate(
                options => options.CallbackSecret.Length is 0 or >= LocalMediaOptions.MinimumCallbackSecretLength,
                $"Media:Local:CallbackSecret must be at least {LocalMediaOptions.MinimumCallbackSecretLength} characters (or empty to turn the nginx callback off).")
            .ValidateOnStart();
        var aws = IsProvider(configuration[$"{MediaOptions.Section}:Provider"], AwsMediaProvider.ProviderName);
        services.AddOptions<PlaybackOptions>().Bind(configuration.GetSection(PlaybackOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PlaybackOptions>>(new PlaybackOptions.Validator(aws));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<MediaTokens>();
        services.AddSingleton<IPlaybackUrlSigner>(provider => aws
            ? new CloudFrontPlaybackUrlSigner(provider.GetRequiredService<IOptions<PlaybackOptions>>())
            : new LocalPlaybackUrlSigner(provider.GetRequiredService<MediaTokens>()));
        services.AddHttpClient(LocalMediaProvider.ProviderName, client => client.Timeout = TimeSpan.FromSeconds(5));
        services.AddSingleton<LocalMediaProvider>();
        services.AddSingleton<IMediaProvider>(provider =>
            IsProvider(provider.GetRequiredService<IOptions<MediaOptions>>().Value.Provider, AwsMediaProvider.ProviderName)
                ? provider.GetRequiredService<AwsMediaProvider>()
                : provider.GetRequiredService<LocalMediaProvider>());

        if (aws)
        {
            services.AddLiveStreamAws(configuration);
            services.AddOptions<AwsMediaOptions>().Bind(configuration.GetSection(AwsMediaOptions.Section))
                .Validate(
                    options => options.MediaLiveRoleArn.Length > 0 && options.HarvestRoleArn.Length > 0 && options.RecordingsBucket.Length > 0
                        && options.RecordingsBaseUrl.Length > 0 && options.AllowedCidrs.Length > 0 && options.StartoverWindow > TimeSpan.Zero,
                    "Media:Aws needs MediaLiveRoleArn, HarvestRoleArn, RecordingsBucket, RecordingsBaseUrl, AllowedCidrs and a positive StartoverWindow.")
                .Validate(
                    options => options.SweepInterval > TimeSpan.Zero && options.SweepFirstAfter >= TimeSpan.Zero && options.SweepGrace >= TimeSpan.Zero,
                    "Media:Aws:SweepInterval must be positive, SweepFirstAfter and SweepGrace not negative.")
                .Validate(options => !options.UseInputAlerts || options.InputAlertTypes.Length > 0, "Media:Aws:InputAlertTypes must name at least one alert type while UseInputAlerts is on.")
                .ValidateOnStart();
            services.AddSingleton<AwsMediaProvider>();
            services.AddSingleton<AwsMediaSweeper>();
            services.AddHttpClient(AwsMediaProvider.PlaybackProbeClient, client => client.Timeout = TimeSpan.FromSeconds(3));
        }
        return services;
    }

    /// <summary>
    /// The media events queue listener (AWS: S3 recordings and MediaLive alerts) and the sweeper of stray AWS
    /// resources. Only processes that host grains register them: the API role's task role may not receive from the
    /// queue nor list or delete media resources, and both are grain work anyway.
    /// </summary>
    public static IServiceCollection AddLiveStreamMediaEvents(this IServiceCollection services, IConfiguration configuration)
    {
        if (IsProvider(configuration[$"{MediaOptions.Section}:Provider"], AwsMediaProvider.ProviderName))
        {
            services.AddHostedService<RecordingEventListener>();
            services.AddHostedService<MediaSweeperStarter>();
        }

        return services;
    }

    // Deployments spell it "Aws" (deploy/cloudformation), local configuration "aws".
    private static bool IsProvider(string? configured, string name) => string.Equals(configured, name, StringComparison.OrdinalIgnoreCase);
}
