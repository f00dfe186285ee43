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
/// The media side of a session: ingest details, start/stop, the public media files of the local pipeline, and the
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

        // DESIGN §3: media files are public, like the CloudFront URLs of production.
        var files = app.MapGroup("/media/{liveId}").WithTags("Media").AllowAnonymous().AddEndpointFilter(Validation.RouteIdsAsync);
        files.MapGet("/live/{file}", GetLiveFile).WithSummary("Live HLS playlist and segments of the local pipeline");
        files.MapGet("/" + MediaPaths.RecordingName, GetRecording).WithSummary("The session's recording (MP4) from the local pipeline");

        // nginx-rtmp's on_publish / on_publish_done. The secret path segment keeps outsiders out; the stream key
        // check in the session grain is the gate either way. Hidden from the public API description.
        var callbacks = app.MapGroup("/internal/media/{secret}").AllowAnonymous().ExcludeFromDescription();
        callbacks.MapPost("/publish", OnPublishAsync);
        callbacks.MapPost("/publish-done", OnPublishDoneAsync);
    }

    private static async Task<Results<Ok<IngestResponse>, ProblemHttpResult>> GetIngestAsync(string liveId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var (session, problem) = await OwnedSessionAsync(liveId, user, grains);
        if (problem is not null)
        {
            return problem;
        }

        var ingest = await session!.GetIngestAsync();
        return TypedResults.Ok(new IngestResponse(ingest.Url, ingest.StreamKey));
    }

    private static async Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> StartAsync(string liveId, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views)
    {
        var (session, problem) = await OwnedSessionAsync(liveId, user, grains);
        if (problem is not null)
        {
            return problem;
        }

        var changed = await session!.StartAsync();
        views.ForgetSession(liveId);
        return await DetailAsync(changed, grains);
    }

    private static async Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> StopAsync(string liveId, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views)
    {
        var (session, problem) = await OwnedSessionAsync(liveId, user, grains);
        if (problem is not null)
        {
            return problem;
        }

        var changed = await session!.StopAsync();
        views.ForgetSession(liveId);
        return await DetailAsync(changed, grains);
    }

    private static Results<PhysicalFileHttpResult, NotFound> GetLiveFile(string liveId, string file, HttpContext context, IOptions<LocalMediaOptions> options)
    {
        var match = LiveFileName().Match(file);
        var path = Path.Combine(MediaPaths.HlsDirectory(Path.GetFullPath(options.Value.Directory), liveId), file);
        if (!match.Success || !File.Exists(path))
        {
            return TypedResults.NotFound();
        }

        var playlist = match.Groups["ext"].Value == "m3u8";

        // The playlist changes every segment; a segment never changes once listed.
        context.Response.Headers.CacheControl = playlist ? "public, max-age=1" : "public, max-age=31536000, immutable";
        return TypedResults.PhysicalFile(path, playlist ? "application/vnd.apple.mpegurl" : "video/mp2t", enableRangeProcessing: !playlist);
    }

    private static Results<PhysicalFileHttpResult, NotFound> GetRecording(string liveId, HttpContext context, IOptions<LocalMediaOptions> options)
    {
        var path = MediaPaths.Recording(Path.GetFullPath(options.Value.Directory), liveId);
        if (!File.Exists(path))
        {
            return TypedResults.NotFound();
        }

        // Written once, atomically (renamed into place), when the session ends.
        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
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

    private static bool SecretMatches(string given, string expected) =>
        expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    private static async Task<(ILiveSessionGrain? Session, ProblemHttpResult? Problem)> OwnedSessionAsync(string liveId, ClaimsPrincipal user, IGrainFactory grains)
    {
        var session = grains.GetGrain<ILiveSessionGrain>(liveId);
        var current = await session.GetAsync();
        if (current is null)
        {
            return (null, Validation.NotFound("liveId", $"Session '{liveId}' does not exist."));
        }

        return user.IsMentor(current.MentorId)
            ? (session, null)
            : (null, Validation.Forbidden("Only the mentor who owns this session can do this."));
    }

    private static async Task<Ok<SessionDetailResponse>> DetailAsync(SessionSnapshot session, IGrainFactory grains) =>
        TypedResults.Ok(SessionDetailResponse.From(session, await grains.GetGrain<IMentorGrain>(session.MentorId).GetAsync()));

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,64}\.(?<ext>m3u8|ts)$", RegexOptions.CultureInvariant)]
    private static partial Regex LiveFileName();
}
