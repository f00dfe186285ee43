using System.Text.Json;
using Microsoft.AspNetCore.Authorization;

namespace LiveStream.Host.Hosting;

/// <summary>One mapped route: its HTTP methods, its pattern, and whether it opts out of the sign-in requirement.</summary>
public sealed record RouteTableEntry(IReadOnlyList<string> Methods, string Pattern, bool AllowAnonymous);

/// <summary>
/// Development only: writes every route the app maps to the file named by <c>LiveStream:RouteTableFile</c> once
/// it has started, so the authorization matrix test checks the real route table, not a hand-kept list. A file
/// rather than an endpoint, so there is no extra route to protect.
/// </summary>
public static class RouteTableExport
{
    public const string SettingKey = "LiveStream:RouteTableFile";

    public static void ExportRouteTableWhenAsked(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment() || app.Configuration[SettingKey] is not { Length: > 0 } path)
        {
            return;
        }

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var entries = app.Services.GetRequiredService<EndpointDataSource>().Endpoints
                .OfType<RouteEndpoint>()
                .Select(endpoint => new RouteTableEntry(
                    endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? [],
                    endpoint.RoutePattern.RawText ?? string.Empty,
                    endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null))
                .ToList();
            File.WriteAllText(path, JsonSerializer.Serialize(entries, JsonSerializerOptions.Web));
        });
    }
}
