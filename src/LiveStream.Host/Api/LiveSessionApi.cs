using System.Security.Claims;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LiveStream.Host.Api;

public static class LiveSessionApi
{
    public static void MapLiveSessionApi(this IEndpointRouteBuilder app)
    {
        var commands = app.MapGroup("/livestream").WithTags("Live sessions").AddEndpointFilter(Validation.RouteIdsAsync);
        commands.MapPost("/", ScheduleAsync).WithSummary("Schedule a session for one of the caller's courses; followers are notified");
        commands.MapDelete("/{liveId}", CancelAsync).WithSummary("Cancel a session (idempotent; 409 once it went live)");

        var queries = app.MapGroup("/mentor/{mentorId}/live").WithTags("Live sessions").AddEndpointFilter(Validation.RouteIdsAsync);
        queries.MapGet("/", ListAsync).WithSummary("A mentor's sessions, newest first, cursor paged");
        queries.MapGet("/{liveId}", GetAsync).WithSummary("Session detail with mentor profile and course");
    }

    private static async Task<Results<Created<SessionDetailResponse>, ValidationProblem, ProblemHttpResult>> ScheduleAsync(
        ScheduleSessionRequest request,
        ClaimsPrincipal user,
        IGrainFactory grains,
        PlaybackAccess playback,
        InteractionRateLimits limits,
        HttpContext context,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey)
    {
        if (!Limits.IsValidId(request.MentorId))
        {
            return Validation.Invalid("mentorId", $"'mentorId' must match {Limits.IdPattern}.");
        }

        if (!user.IsMentor(request.MentorId!))
        {
            return Validation.Forbidden("Only that mentor can schedule their sessions.");
        }

        if (!Limits.IsValidId(request.CourseId))
        {
            return Validation.Invalid("courseId", $"'courseId' must match {Limits.IdPattern}.");
        }

        if (request.ScheduledStart is not { } scheduledStart)
        {
            return Validation.Invalid("scheduledStart", "'scheduledStart' is required (ISO 8601 with offset).");
        }

        if (ParseVisibility(request.Visibility) is not { } visibility)
        {
            return Validation.Invalid("visibility", "'visibility' must be 'public' or 'followers'.");
        }

        if (await limits.TryAcquireAsync(context, request.MentorId!, InteractionRateLimits.Schedules) is { } limited)
        {
            return limited;
        }

        var mentor = grains.GetGrain<IMentorGrain>(request.MentorId!);
        var session = await mentor.ScheduleSessionAsync(
            new ScheduleSessionCommand(request.CourseId!, request.Title ?? string.Empty, scheduledStart, idempotencyKey, visibility, limits.MaxUpcomingSessions));
        var view = await mentor.GetAsync();
        return TypedResults.Created($"/mentor/{session.MentorId}/live/{session.LiveId}", SessionDetailResponse.From(await playback.ForViewerAsync(session, user), view));
    }

    private static SessionVisibility? ParseVisibility(string? value) => value switch
    {
        null or "public" => SessionVisibility.Public,
        "followers" => SessionVisibility.Followers,
        _ => null,
    };

    private static Task<Results<Ok<SessionDetailResponse>, ProblemHttpResult>> CancelAsync(
        string liveId, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views, PlaybackAccess playback) =>
        LiveMediaApi.CommandAsync(user, grains, playback, views, (session, mentorId) => session.GetGrain<ILiveSessionGrain>(liveId).CancelAsync(mentorId));

    private static async Task<Results<Ok<SessionListResponse>, ValidationProblem, ProblemHttpResult>> ListAsync(
        string mentorId, string? after, int? limit, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views)
    {
        if (Validation.Paging(after, limit) is { } invalid)
        {
            return invalid;
        }

        // The mentor reads their own list fresh, so a session they just scheduled is in it; everyone else may read
        // a first page up to HotViews:MaxStaleness old.
        var fresh = user.IsMentor(mentorId);
        if (await views.GetMentorAsync(mentorId, fresh) is null)
        {
            return Validation.NotFound("mentorId", $"Mentor '{mentorId}' does not exist.");
        }

        var page = after is null
            ? await views.GetFirstSessionPageAsync(mentorId, limit ?? Limits.DefaultPageSize, fresh)
            : await grains.GetGrain<IMentorGrain>(mentorId).ListSessionsAsync(after, limit ?? Limits.DefaultPageSize);
        return TypedResults.Ok(SessionListResponse.From(page));
    }

    private static async Task<Results<ETaggedJson<SessionDetailResponse>, ProblemHttpResult>> GetAsync(
        string mentorId, string liveId, ClaimsPrincipal user, HotViewCache views, PlaybackAccess playback)
    {
        // Both views at once, each from this process's cache (or one grain call each); the session's own mentor reads
        // through the cache so they see their own changes at once.
        var fresh = user.IsMentor(mentorId);
        var viewTask = views.GetSessionAsync(liveId, fresh);
        var mentorTask = views.GetMentorAsync(mentorId, fresh);
        var view = await viewTask;
        var mentor = await mentorTask;
        if (view is not { Session: var session } || session.MentorId != mentorId)
        {
            return Validation.NotFound("liveId", $"Mentor '{mentorId}' has no session '{liveId}'.");
        }

        return new ETaggedJson<SessionDetailResponse>(SessionDetailResponse.From(await playback.ForViewerAsync(session, user), mentor, view.Reactions, view.Viewers));
    }
}
