using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using LiveStream.Host.Auth;
using LiveStream.Infrastructure.Media;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public sealed record IngestResponse(string Url, string StreamKey);

/// <summary>
/// The media side of a session: ingest details, start/stop, the signed media files of the local pipeline, and the
/// callback nginx-rtmp calls when a publisher connects or leaves.
/// </summary>
public static partial class LiveMediaApi
{
    public static void MapLiveMediaApi(this IEndpointRouteBuilder app)
    {
        var commands = app.MapGroup("/livestream/{liveId}").WithTags("Live sessions").AddEndpointFilter(Validation.RouteIdsAsync);
        commands.MapGet("/ingest", GetIngestAsync).WithSummary("Where the owning mentor's encoder publishes (RTMP URL and secret stream key)");
        commands.MapPost("/start", StartAsync).WithSummary("Start the session's media channel (idempotent; 409 once the session is over)");
        commands.MapPost("/stop", StopAsync).WithSummary("Stop broadcasting; the recording follows (idempotent; 409 before start)");

        // Private playback: no bearer token (players fetch media themselves), but the signed token in the path, so
        // the segments a player resolves against the playlist URL carry it as well. Bad or expired token: 403.
        var files = app.MapGroup($"/{MediaPaths.Root}/{{token}}/{{liveId}}").WithTags("Media").AllowAnonymous().RequireCors(WebAppApi.MediaCorsPolicy)
            .AddEndpointFilter(Validation.RouteIdsAsync).AddEndpointFilter(MediaTokenAsync);
        files.MapGet("/live/{file}", GetLiveFile).WithSummary("Live HLS playlist and segments of the local pipeline (signed URL from the session detail)");
        files.MapGet("/" + MediaPaths.RecordingName, GetRecording).WithSummary("The session's recording (MP4) from the local pipeline (signed URL from the session detail)");

        // nginx-rtmp's on_publish / on_publish_done: from nginx on this machine only (loopback), behind a secret path
        // segment that traces redact (RedactCallbackPath); the stream key check in the session grain is the gate either
        // way. Hidden from the public API description.
        var callbacks = app.MapGroup(CallbackPrefix + "/{secret}").AllowAnonymous().ExcludeFromDescription().AddEndpointFilter(LoopbackOnlyAsync);
        callbacks.MapPost("/publish", OnPublishAsync);
        callbacks.MapPost("/publish-done", OnPublishDoneAsync);
    }

    private static async Task<Results<Ok<IngestResponse>, ProblemHttpResult>> GetIngestAsync(string liveId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (Caller(user) is not { } mentorId)
        {
            return NotOwner();
        }

        var ingest = await grains.GetGrain<ILiveSessionGrain>(liveId).GetIngestAsync(mentorId);
        return TypedResults.Ok(new IngestResponse(ingest.Url, ingest.StreamKey));
    }

    private static Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> StartAsync(
        string liveId, ClaimsPrincipal user, IGrainFactory grains, PlaybackAccess playback, HotViewCache views) =>
        CommandAsync(user, grains, playback, views, (session, mentorId) => session.GetGrain<ILiveSessionGrain>(liveId).StartAsync(mentorId));

    private static Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> StopAsync(
        string liveId, ClaimsPrincipal user, IGrainFactory grains, PlaybackAccess playback, HotViewCache views) =>
        CommandAsync(user, grains, playback, views, (session, mentorId) => session.GetGrain<ILiveSessionGrain>(liveId).StopAsync(mentorId));

    /// <summary>
    /// The one ownership idiom: the caller's mentor id goes into the grain command, which refuses another mentor
    /// (403) or an unknown session (404); the mentor's profile is read alongside, not before.
    /// </summary>
    internal static async Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> CommandAsync(
        ClaimsPrincipal user, IGrainFactory grains, PlaybackAccess playback, HotViewCache views, Func<IGrainFactory, string, Task<SessionSnapshot>> command)
    {
        if (Caller(user) is not { } mentorId)
        {
            return NotOwner();
        }

        var mentorTask = grains.GetGrain<IMentorGrain>(mentorId).GetAsync();
        var session = await command(grains, mentorId);
        // The author sees their own change at once in this process (other processes within HotViews:MaxStaleness).
        views.ForgetSession(session.LiveId);
        return TypedResults.Ok(SessionDetailResponse.From(await playback.ForViewerAsync(session, user), await mentorTask));
    }

    private static string? Caller(ClaimsPrincipal user) => user.IsMentor() ? user.Id() : null;

    private static ProblemHttpResult NotOwner() => Validation.Forbidden("Only the mentor who owns this session can do this.");

    private static async ValueTask<object?> MediaTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var route = context.HttpContext.Request.RouteValues;
        var tokens = context.HttpContext.RequestServices.GetRequiredService<MediaTokens>();
        return route["token"] is string token && route["liveId"] is string liveId && tokens.IsValid(token, liveId)
            ? await next(context)
            : TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "The media URL is invalid or has expired; fetch the session again for a fresh one.");
    }

    /// <param name="token">The signed media token; MediaTokenAsync checks it before the handler runs (named here for the API description).</param>
    private static Results<PhysicalFileHttpResult, NotFound> GetLiveFile(string token, string liveId, string file, HttpContext context, IOptions<LocalMediaOptions> options)
    {
        _ = token;
        var match = LiveFileName().Match(file);
        var path = Path.Combine(MediaPaths.HlsDirectory(Path.GetFullPath(options.Value.Directory), liveId), file);
        if (!match.Success || !File.Exists(path))
        {
            return TypedResults.NotFound();
        }

        var playlist = match.Groups["ext"].Value == "m3u8";

        // The playlist changes every segment; a segment never changes once listed. Private: the URL is a credential
        // that expires, so shared caches must not keep answering it.
        context.Response.Headers.CacheControl = playlist ? "private, max-age=1" : "private, max-age=31536000, immutable";
        return TypedResults.PhysicalFile(path, playlist ? "application/vnd.apple.mpegurl" : "video/mp2t", enableRangeProcessing: !playlist);
    }

    /// <param name="token">The signed media token, checked by MediaTokenAsync (named here for the API description).</param>
    private static Results<PhysicalFileHttpResult, NotFound> GetRecording(string token, string liveId, HttpContext context, IOptions<LocalMediaOptions> options)
    {
        _ = token;
        var path = MediaPaths.Recording(Path.GetFullPath(options.Value.Directory), liveId);
        if (!File.Exists(path))
        {
            return TypedResults.NotFound();
        }

        // Written once, atomically (renamed into place), when the session ends.
        context.Response.Headers.CacheControl = "private, max-age=31536000, immutable";
        return TypedResults.PhysicalFile(path, "video/mp4", enableRangeProcessing: true);
    }

    private static async Task<IResult> OnPublishAsync(
        string secret, HttpRequest request, IGrainFactory grains, HotViewCache views, IOptions<LocalMediaOptions> options, ILoggerFactory loggers)
    {
        if (!SecretMatches(secret, options.Value.CallbackSecret))
        {
            return TypedResults.NotFound();
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var key = form["name"].ToString();
        var connectionId = form["clientid"].ToString();
        var separator = key.IndexOf('.', StringComparison.Ordinal);
        var liveId = separator > 0 ? key[..separator] : string.Empty;
        if (!Limits.IsValidId(liveId) || connectionId.Length == 0)
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        var accepted = await grains.GetGrain<ILiveSessionGrain>(liveId).AuthorizePublishAsync(new PublishAttempt(key, connectionId));
        // The session may have gone live: this process's viewers see it with their next read.
        views.ForgetSession(liveId);
        if (!accepted)
        {
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        // A 3xx renames the stream for nginx-rtmp: HLS and the recording are written under the live id, so the
        // secret key never appears in a playback URL or file name.
        loggers.CreateLogger(typeof(LiveMediaApi)).LogInformation("Accepted publisher {ConnectionId} for session {LiveId}", connectionId, liveId);
        return TypedResults.Redirect(liveId);
    }

    private static async Task<IResult> OnPublishDoneAsync(
        string secret, HttpRequest request, IGrainFactory grains, HotViewCache views, IOptions<LocalMediaOptions> options)
    {
        if (!SecretMatches(secret, options.Value.CallbackSecret))
        {
            return TypedResults.NotFound();
        }

        var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        var name = form["name"].ToString();
        var connectionId = form["clientid"].ToString();

        // After the rename nginx may report either the key or the live id.
        var separator = name.IndexOf('.', StringComparison.Ordinal);
        var liveId = separator > 0 ? name[..separator] : name;
        if (Limits.IsValidId(liveId) && connectionId.Length > 0)
        {
            await grains.GetGrain<ILiveSessionGrain>(liveId).PublishEndedAsync(connectionId);
            views.ForgetSession(liveId);
        }

        return TypedResults.NoContent();
    }

    /// <summary>Where nginx-rtmp's callbacks arrive; the next path segment is the secret.</summary>
    public const string CallbackPrefix = "/internal/media";

    /// <summary>What traces record as the path of a callback request, so the secret never reaches a collector.</summary>
    public static string? RedactCallbackPath(PathString path) =>
        path.StartsWithSegments(CallbackPrefix, out var rest) && rest.HasValue
            ? $"{CallbackPrefix}/[redacted]{rest.Value![(rest.Value!.IndexOf('/', 1) is var end and > 0 ? end : rest.Value!.Length)..]}"
            : null;

    private static ValueTask<object?> LoopbackOnlyAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
        context.HttpContext.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote)
            ? next(context)
            : ValueTask.FromResult<object?>(TypedResults.NotFound());

    private static bool SecretMatches(string given, string expected) =>
        expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\.(?<ext>m3u8|ts)\z", RegexOptions.CultureInvariant)]
    private static partial Regex LiveFileName();
}
