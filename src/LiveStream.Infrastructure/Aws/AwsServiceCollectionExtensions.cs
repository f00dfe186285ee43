using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Aws;

public static class AwsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="MediaLiveClient"/>, <see cref="MediaPackageClient"/> and <see cref="SnsClient"/> with
    /// their shared <see cref="AwsClientCore"/> (a typed HttpClient from IHttpClientFactory), and binds
    /// <see cref="AwsOptions"/> from the configuration section <c>Aws</c>.
    /// </summary>
    public static IServiceCollection AddLiveStreamAws(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<AwsOptions>()
            .Bind(configuration.GetSection(AwsOptions.SectionName))
            .Validate(o => o.ServiceUrl is null || o.ServiceUrl.IsAbsoluteUri, "Aws:ServiceUrl must be an absolute URL.")
            .Validate(o => string.IsNullOrWhiteSpace(o.AccessKey) == string.IsNullOrWhiteSpace(o.SecretKey),
                "Aws:AccessKey and Aws:SecretKey go together.")
            .Validate(o => o.MaxErrorRetry >= 0 && o.RetryBaseDelay >= TimeSpan.Zero && o.RetryMaxDelay >= o.RetryBaseDelay,
                "Aws retry settings must be non-negative, with RetryMaxDelay >= RetryBaseDelay.")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new AwsCredentialsSource(sp.GetRequiredService<IOptions<AwsOptions>>()));
        services.AddHttpClient<AwsClientCore>();
        services.TryAddTransient<MediaLiveClient>();
        services.TryAddTransient<MediaPackageClient>();
        services.TryAddTransient<SnsClient>();
        return services;
    }
}
