using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LiveStream.Infrastructure.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The business instruments (<see cref="LiveStreamMetrics"/>), once per process whoever asks first.</summary>
    public static IServiceCollection AddLiveStreamMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<LiveStreamMetrics>();
        return services;
    }
}
