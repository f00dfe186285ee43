using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LiveStream.Infrastructure.Telemetry;

/// <summary>The application's own trace source and meter; the host exports both.</summary>
public static class LiveStreamTelemetry
{
    public const string SourceName = "LiveStream";
    public const string MeterName = "LiveStream";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(MeterName);
}
