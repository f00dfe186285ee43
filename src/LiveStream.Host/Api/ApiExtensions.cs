using System.Text.Json;
using System.Text.Json.Serialization;
using LiveStream.Abstractions;
using LiveStream.Host.Auth;
using LiveStream.Host.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Scalar.AspNetCore;

namespace LiveStream.Host.Api;

public sealed class ApiOptions
{
    public const string Section = "Api";

    /// <summary>Serve <c>/openapi/v1.json</c> and the browsable reference at <c>/docs</c>.</summary>
    public bool EnableDocs { get; set; }
}

public static class ApiExtensions
{
    private const string DocsPath = "/docs";

    public static void AddLiveStreamApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.Section);
        builder.Services.AddLiveStreamHealthChecks(builder.Configuration.GetRole());
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Extensions["traceId"] = System.Diagnostics.Activity.Current?.Id ?? context.HttpContext.TraceIdentifier;

            // Kestrel's 413 and minimal APIs' 415 (a body that is not JSON) never reach ProblemExceptionHandler (the
            // status-code page writes the answer), so name the offending field here.
            var named = context.ProblemDetails.Extensions.ContainsKey("errors") ? null : context.ProblemDetails.Status switch
            {
                StatusCodes.Status413PayloadTooLarge => ProblemExceptionHandler.Problem(
                    StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The body exceeds {Limits.MaxRequestBodyBytes} bytes.", "body"),
                StatusCodes.Status415UnsupportedMediaType => ProblemExceptionHandler.Problem(
                    StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "The body must be application/json.", "body"),
                _ => null,
            };
            if (named is not null)
            {
                context.ProblemDetails.Title = named.Title;
                context.ProblemDetails.Detail = named.Detail;
                context.ProblemDetails.Extensions["errors"] = named.Extensions["errors"];
            }
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        // Kestrel refuses larger bodies with 413 before any handler reads them.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(options =>
        {
            options.Limits.MaxRequestBodySize = Limits.MaxRequestBodyBytes;
            options.AddServerHeader = false;
        });

        if (!builder.Configuration.GetRole().ServesApi())
        {
            return;
        }

        builder.AddLiveStreamAuth();
        builder.AddLiveStreamWebApp();
        builder.Services.AddSingleton<SessionFeedHub>();
        builder.Services.AddOptions<StreamLimitOptions>().BindConfiguration(StreamLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<StreamSlots>();
        builder.Services.AddSingleton<PlaybackAccess>();
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<InteractionRateLimits>();
        builder.Services.AddSingleton<InteractionBatcher>();
        builder.Services.AddOptions<HotViewOptions>().BindConfiguration(HotViewOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<HotViewCache>();
        builder.Services.AddOptions<PlayerOptions>().BindConfiguration(PlayerOptions.Section).ValidateOnStart();
        builder.Services.Configure<JsonOptions>(options => ConfigureJson(options.SerializerOptions));
        // Binding failures (malformed JSON, wrong types) become exceptions our handler turns into problem+json.
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(OpenApiContract.Configure);
    }

    public static void ConfigureJson(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
    }

    public static void MapLiveStreamApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        var keepTrailingSlash = app.Services.GetServices<TrailingSlashExemption>().Select(exemption => new PathString(exemption.Path)).Append(DocsPath).ToArray();
        app.Use((context, next) => TrimTrailingSlash(context, next, keepTrailingSlash));
        if (app.Configuration.GetRole().ServesApi())
        {
            app.UseLiveStreamWebApp();
        }

        app.UseRouting();

        app.MapHealthApi();

        if (!app.Configuration.GetRole().ServesApi())
        {
            return;
        }

        app.UseCors();
        app.UseAuthentication();
        app.UseAuthorization();

        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ApiOptions>>().Value.EnableDocs)
        {
            app.MapOpenApi().AllowAnonymous();
            app.MapScalarApiReference(DocsPath).AllowAnonymous();
        }

        app.MapAuthApi();
        app.MapMentorApi();
        app.MapMenteeApi();
        app.MapLiveSessionApi();
        app.MapLiveMediaApi();
        app.MapReactionApi();
        app.MapReactionTimelineApi();
        app.MapWebAppApi();
        app.MapPlayerApi();
    }

    /// <summary>DESIGN §3: trailing slashes are optional, so <c>/livestream/</c> and <c>/livestream</c> are one route.</summary>
    private static Task TrimTrailingSlash(HttpContext context, Func<Task> next, PathString[] keep)
    {
        var path = context.Request.Path.Value;
        // The API reference page (and the Orleans dashboard) need their trailing slash for relative asset URLs.
        if (path is { Length: > 1 } && path[^1] == '/' && !keep.Any(prefix => context.Request.Path.StartsWithSegments(prefix)))
        {
            context.Request.Path = new PathString(path.TrimEnd('/') is { Length: > 0 } trimmed ? trimmed : "/");
        }

        return next();
    }
}
