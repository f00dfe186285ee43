using LiveStream.Infrastructure.Telemetry;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LiveStream.Host.Hosting;

public static class ObservabilityExtensions
{
    public static void AddLiveStreamObservability(this IHostApplicationBuilder builder)
    {
        // JSON logs outside development so CloudWatch / any collector gets fields, not prose.
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            });
        }

        var role = builder.Configuration.GetRole();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("livestream", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId)
                .AddAttributes([new("livestream.role", role.ToString().ToLowerInvariant())]))
            .WithTracing(tracing => tracing
                .AddSource(LiveStreamTelemetry.SourceName)
                .AddSource("Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime")
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics => metrics
                .AddMeter(LiveStreamTelemetry.MeterName, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation());

        // The standard OTEL_EXPORTER_OTLP_* variables choose the collector; nothing is exported without one.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
    }
}
