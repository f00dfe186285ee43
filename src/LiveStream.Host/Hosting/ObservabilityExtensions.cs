using System.Globalization;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Dashboard;

namespace LiveStream.Host.Hosting;

public static class ObservabilityExtensions
{
    public const string RoleAttribute = "livestream.role";
    public const string SiloAddressAttribute = "orleans.silo.address";
    public const string ClusterIdAttribute = "orleans.cluster.id";

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

        // Request start/finish lines carry the raw path, and the media callback's path carries its secret; traces
        // (with the path redacted) record requests instead. Added after the configuration's rules, so it wins over them.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", level => level >= LogLevel.Warning);

        var role = builder.Configuration.GetRole();
        var observability = ObservabilityOptions.From(builder.Configuration);
        builder.Services.AddOptions<ObservabilityOptions>()
            .BindConfiguration(ObservabilityOptions.Section)
            .Validate(options => options.Validate().Count == 0, "Observability is misconfigured.")
            .ValidateOnStart();
        builder.Services.AddLiveStreamMetrics();
        builder.Services.Configure<LiveStreamMetricsOptions>(options =>
        {
            options.Sessions = role.HostsGrains();
            options.Viewers = role.ServesApi();
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource
                .AddService("livestream", serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
                .AddAttributes(
                [
                    new(RoleAttribute, role.ToString().ToLowerInvariant()),
                    new("host.name", Environment.MachineName),
                    new("process.pid", Environment.ProcessId),
                    new(ClusterIdAttribute, builder.Configuration["Orleans:ClusterId"] ?? "livestream"),
                ])
                .AddDetector(services => new SiloResourceDetector(services)))
            .WithTracing(tracing => tracing
                .AddSource(LiveStreamTelemetry.SourceName)
                .AddSource("Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime")
                .AddAspNetCoreInstrumentation(options =>
                {
                    options.Filter = context => !context.Request.Path.StartsWithSegments("/health");
                    options.EnrichWithHttpRequest = (activity, request) =>
                    {
                        if (LiveStream.Host.Api.LiveMediaApi.RedactCallbackPath(request.Path) is { } redacted)
                        {
                            activity.SetTag("url.path", redacted);
                        }
                    };
                })
                .AddHttpClientInstrumentation()
                .AddNpgsql())
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(LiveStreamTelemetry.MeterName, "Microsoft.Orleans")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation();
                foreach (var instrument in LiveStreamMetrics.PerSessionInstruments)
                {
                    metrics.AddView(instrument, new MetricStreamConfiguration { CardinalityLimit = observability.SessionSeriesLimit });
                }

                if (observability.Prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter(options =>
                    {
                        options.ScrapeEndpointPath = observability.Prometheus.Path;
                        // Every series says which process and role it came from, not only target_info.
                        options.ResourceConstantLabels = key => key is RoleAttribute or "service.instance.id";
                    });
                }
            });

        // The standard OTEL_EXPORTER_OTLP_* variables choose the collector; nothing is exported without one. Traces
        // and metrics only: logs go to stdout (CloudWatch Logs through the awslogs driver), and exporting them too
        // would export the exporter's own HTTP logs in a loop.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.WithTracing(tracing => tracing.AddOtlpExporter()).WithMetrics(metrics => metrics.AddOtlpExporter());
            builder.Logging.AddFilter("System.Net.Http.HttpClient.Otlp", LogLevel.Warning);
        }

        // Both answer anonymously: outside Development they must be on their own port, one the load balancer does not forward.
        if (!builder.Environment.IsDevelopment()
            && new[] { (Name: nameof(ObservabilityOptions.Prometheus), Options: observability.Prometheus), (Name: nameof(ObservabilityOptions.Dashboard), Options: observability.Dashboard) }
                .Where(endpoint => endpoint.Options is { Enabled: true, Port: null }).Select(endpoint => endpoint.Name).ToList() is { Count: > 0 } exposed)
        {
            throw new Microsoft.Extensions.Options.OptionsValidationException(
                ObservabilityOptions.Section,
                typeof(ObservabilityOptions),
                [.. exposed.Select(name => $"{ObservabilityOptions.Section}:{name}:Port is required outside Development: the endpoint is anonymous and must not be served on the main HTTP port.")]);
        }

        if (observability.Dashboard.Enabled && role.HostsGrains())
        {
            // The live trace stream and grain state views show user data; the dashboard keeps only the aggregates.
            builder.UseOrleans(silo => silo.AddDashboard(options => options.HideTrace = true));
            builder.Services.AddSingleton(new TrailingSlashExemption(observability.Dashboard.Path));
        }

        ListenOn(builder.Configuration, role.HostsGrains() ? [observability.Prometheus, observability.Dashboard] : [observability.Prometheus]);
    }

    /// <summary>
    /// Scrape endpoint and dashboard. Call before the API pipeline: both answer anonymously, so an operator
    /// protects them by port (<see cref="ObservabilityEndpointOptions.Port"/>), not by token.
    /// </summary>
    public static void UseLiveStreamObservability(this WebApplication app)
    {
        var options = ObservabilityOptions.From(app.Configuration);
        if (options.Prometheus is { Enabled: true } prometheus)
        {
            app.UseOpenTelemetryPrometheusScrapingEndpoint(context =>
                context.Request.Path.Equals(prometheus.Path, StringComparison.OrdinalIgnoreCase) && OnPort(context, prometheus.Port));
        }

        if (options.Dashboard is { Enabled: true } dashboard && app.Configuration.GetRole().HostsGrains())
        {
            app.MapOrleansDashboard(dashboard.Path)
                .AllowAnonymous()
                .AddEndpointFilter(async (context, next) =>
                    OnPort(context.HttpContext, dashboard.Port) && !ShowsUserData(context.HttpContext.Request.Path, dashboard.Path) ? await next(context) : TypedResults.NotFound());
        }
    }

    private static bool OnPort(HttpContext context, int? port) => port is null || context.Connection.LocalPort == port;

    private static bool ShowsUserData(PathString path, string dashboardPath) =>
        path.StartsWithSegments(dashboardPath, StringComparison.OrdinalIgnoreCase, out var rest)
        && (rest.StartsWithSegments("/GrainState", StringComparison.OrdinalIgnoreCase) || rest.StartsWithSegments("/Trace", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Adds the endpoints' own ports to the listening addresses, on the same interface as the main one, keeping
    /// whatever chose the main port (<c>--urls</c>, <c>ASPNETCORE_URLS</c>, <c>ASPNETCORE_HTTP_PORTS</c>).
    /// </summary>
    private static void ListenOn(IConfiguration configuration, IEnumerable<ObservabilityEndpointOptions> endpoints)
    {
        var ports = endpoints.Where(endpoint => endpoint is { Enabled: true, Port: not null }).Select(endpoint => endpoint.Port!.Value).Distinct().ToList();
        if (ports.Count == 0)
        {
            return;
        }

        var urls = configuration["urls"];
        if (string.IsNullOrWhiteSpace(urls))
        {
            var httpPorts = configuration["http_ports"];
            urls = string.IsNullOrWhiteSpace(httpPorts)
                ? "http://localhost:5000"
                : string.Join(';', httpPorts.Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(port => $"http://*:{port}"));
        }

        var addresses = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(BindingAddress.Parse).ToList();
        var host = addresses[0].Host;
        var extra = ports.Where(port => addresses.All(address => address.Port != port)).Select(port => $"http://{host}:{port}");
        configuration["urls"] = string.Join(';', urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Concat(extra));
    }

    /// <summary>Which silo a process is: its address (with generation) joins the resource of roles that host grains.</summary>
    private sealed class SiloResourceDetector(IServiceProvider services) : IResourceDetector
    {
        public Resource Detect() =>
            services.GetService<Orleans.Runtime.ILocalSiloDetails>() is { } silo
                ? new Resource([new(SiloAddressAttribute, silo.SiloAddress.ToParsableString())])
                : Resource.Empty;
    }
}

/// <summary>A path whose trailing slash matters (an app that resolves relative asset URLs against it).</summary>
public sealed record TrailingSlashExemption(string Path);
