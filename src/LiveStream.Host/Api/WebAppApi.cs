using LiveStream.Abstractions.Reactions;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

/// <summary>Origins of web apps (served elsewhere) allowed to call the API; the app served at <c>/</c> needs none.</summary>
public sealed class CorsOriginOptions
{
    public const string Section = "Cors";

    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>An origin is scheme, host and optional port: no path, query or wildcard.</summary>
    public static bool IsOrigin(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && uri.Scheme is "http" or "https"
        && uri.GetLeftPart(UriPartial.Authority) == value.TrimEnd('/')
        && !value.Contains('*', StringComparison.Ordinal);
}

/// <summary>What the web app needs to know before signing in.</summary>
public sealed record WebAppConfigResponse(bool DevTokens, string? OidcAuthority, string? OidcClientId, string OidcRoleClaim, IReadOnlyList<string> ReactionKinds);

/// <summary>
/// The web app (mentee pages and mentor console): static files at <c>/</c>, its configuration, and CORS: media
/// files for any origin (access is controlled by the signed URL, as with MediaPackage), the API for configured origins.
/// </summary>
public static class WebAppApi
{
    public const string MediaCorsPolicy = "media";

    public static void AddLiveStreamWebApp(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CorsOriginOptions>()
            .BindConfiguration(CorsOriginOptions.Section)
            .Validate(options => options.AllowedOrigins.All(CorsOriginOptions.IsOrigin),
                "Cors:AllowedOrigins must hold origins such as https://app.example.com (scheme, host, optional port; no path or wildcard).")
            .ValidateOnStart();
        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<CorsOriginOptions>>((cors, origins) =>
            {
                cors.AddDefaultPolicy(policy => policy
                    .WithOrigins([.. origins.Value.AllowedOrigins.Select(origin => origin.TrimEnd('/'))])
                    .AllowAnyHeader().AllowAnyMethod().WithExposedHeaders("Location", "Retry-After"));
                cors.AddPolicy(MediaCorsPolicy, policy => policy.AllowAnyOrigin().WithMethods("GET", "HEAD").AllowAnyHeader()
                    .WithExposedHeaders("Content-Length", "Content-Range"));
            });
    }

    /// <summary>Before routing, so the static files are served without touching auth or the grains.</summary>
    public static void UseLiveStreamWebApp(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles(new StaticFileOptions
        {
            // The pages are small and change with each release; a revalidation is cheap.
            OnPrepareResponse = context => context.Context.Response.Headers.CacheControl = "no-cache",
        });
    }

    public static void MapWebAppApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/app/config", GetConfig).AllowAnonymous().WithTags("Web app").WithSummary("What the web app needs before signing in");
    }

    private static Ok<WebAppConfigResponse> GetConfig(IOptions<AuthOptions> auth)
    {
        var options = auth.Value;
        var oidc = string.IsNullOrWhiteSpace(options.Authority) ? null : options.Authority;
        return TypedResults.Ok(new WebAppConfigResponse(options.DevTokens.Enabled, oidc, oidc is null ? null : options.Audience, options.RoleClaim, ReactionKinds.All));
    }
}
