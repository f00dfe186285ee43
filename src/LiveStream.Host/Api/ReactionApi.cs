using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Threading.Channels;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace LiveStream.Host.Api;

public sealed record InteractionRequest(string? Reaction, string? Comment);

public sealed record CommentResponse(long CommentId, string UserId, string Text, DateTimeOffset PostedAt)
{
    public static CommentResponse From(Comment comment) => new(comment.CommentId, comment.UserId, comment.Text, comment.PostedAt);
}

/// <summary>Counts per kind (every documented kind, zeros included) and comments oldest first; <c>next</c> is the cursor.</summary>
public sealed record ReactionsResponse(IReadOnlyDictionary<string, long> Counts, IReadOnlyList<CommentResponse> Comments, string? Next)
{
    public static ReactionsResponse From(ReactionSnapshot snapshot) => new(
        snapshot.Counts,
        [.. snapshot.Comments.Select(CommentResponse.From)],
        snapshot.NextCursor?.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>The default answer to a reaction or comment: the counts including it (comments arrive over the live feed).</summary>
public sealed record ReactionCountsResponse(IReadOnlyDictionary<string, long> Counts);

public static class ReactionApi
{
    /// <summary>The query value of <c>answer</c> that asks for the full room (counts and latest comments) in a write's answer.</summary>
    public const string FullAnswer = "full";

    public static void MapReactionApi(this IEndpointRouteBuilder app)
    {
        var reactions = app.MapGroup("/mentor/{mentorId}/live/{liveId}/reaction").WithTags("Reactions").AddEndpointFilter(Validation.RouteIdsAsync);
        reactions.MapPost("/", ReactAsync)
            .WithSummary($"Send a reaction ({string.Join(", ", ReactionKinds.All)}) or a comment (<= {Limits.MaxCommentLength} chars) while the session is live; answers with the counts, or with counts and the latest comments given ?answer={FullAnswer}");
        reactions.MapGet("/", GetAsync).WithSummary("Reaction counts and the comments after a cursor (the newest without one)");
        reactions.MapDelete("/comments/{commentId}", DeleteCommentAsync).WithSummary("The session's mentor removes a comment");

        var muted = app.MapGroup("/mentor/{mentorId}/live/{liveId}/muted").WithTags("Reactions").AddEndpointFilter(Validation.RouteIdsAsync);
        muted.MapPut("/{userId}", MuteAsync).WithSummary("The session's mentor mutes a viewer for this session");
        muted.MapDelete("/{userId}", UnmuteAsync).WithSummary("The session's mentor unmutes a viewer");

        reactions.MapGet("/stream", StreamAsync)
            .WithSummary("Live feed (Server-Sent Events): `counts` when they change (at most 4 a second), each new `comment`, `comment-deleted`, `state` changes and `viewers`");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteCommentAsync(
        string mentorId, string liveId, long commentId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only the session's mentor can delete comments.");
        }

        return await grains.GetGrain<ILiveSessionGrain>(liveId).DeleteCommentAsync(mentorId, commentId)
            ? TypedResults.NoContent()
            : Validation.NotFound("commentId", $"Session '{liveId}' has no visible comment {commentId}.");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> MuteAsync(string mentorId, string liveId, string userId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only the session's mentor can mute viewers.");
        }

        await grains.GetGrain<ILiveSessionGrain>(liveId).MuteAsync(mentorId, userId);
        return TypedResults.NoContent();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> UnmuteAsync(string mentorId, string liveId, string userId, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only the session's mentor can unmute viewers.");
        }

        await grains.GetGrain<ILiveSessionGrain>(liveId).UnmuteAsync(mentorId, userId);
        return TypedResults.NoContent();
    }

    private static async Task<Results<ServerSentEventsResult<object>, ProblemHttpResult>> StreamAsync(
        string mentorId,
        string liveId,
        ClaimsPrincipal user,
        IGrainFactory grains,
        SessionFeedHub feeds,
        StreamSlots slots,
        TimeProvider clock,
        IHostApplicationLifetime lifetime,
        HttpContext context)
    {
        var (slot, refused) = slots.TryAcquire(user.Id()!);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(refused, statusCode: StatusCodes.Status429TooManyRequests, title: "Too many live feeds");
        }

        // The request's end (client gone, shutdown, an error before streaming) gives the slot back whatever happened.
        context.Response.RegisterForDispose(slot);

        // The stream ends when the client leaves, the server stops, or the token that opened it expires: a revoked or
        // expired credential must not keep receiving; the client reconnects with a fresh token.
        var ends = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        // Cancelled, not just disposed, at the request's end: the feed hub leaves the session on this token.
        context.Response.OnCompleted(() =>
        {
            ends.Cancel();
            ends.Dispose();
            return Task.CompletedTask;
        });
        if (TokenExpiry(user) is { } expiresAt)
        {
            ends.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (expiresAt - clock.GetUtcNow()).Ticks)));
        }

        // The first events are the room as it is, so a viewer who joins late sees the same as everyone else.
        var snapshot = await grains.GetGrain<ILiveSessionGrain>(liveId).GetReactionsAsync(mentorId, null, Limits.DefaultPageSize);
        var events = await feeds.JoinAsync(mentorId, liveId, ends.Token);
        context.Response.Headers.CacheControl = "no-cache";
        // Proxies that buffer (nginx) would hold the stream back.
        context.Response.Headers["X-Accel-Buffering"] = "no";
        return TypedResults.ServerSentEvents(Stream(snapshot, events, ends.Token));
    }

    private static DateTimeOffset? TokenExpiry(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirst("exp")?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static async IAsyncEnumerable<SseItem<object>> Stream(
        ReactionSnapshot snapshot, ChannelReader<FeedEvent> events, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return new SseItem<object>(snapshot.Counts, "counts");
        foreach (var comment in snapshot.Comments)
        {
            yield return new SseItem<object>(CommentResponse.From(comment), "comment");
        }

        // An end (expiry, shutdown, departure) completes the response normally instead of failing it.
        while (await WaitForEventsAsync(events, cancellationToken))
        {
            while (events.TryRead(out var feedEvent))
            {
                yield return new SseItem<object>(feedEvent.Data, feedEvent.Type);
            }
        }
    }

    private static async Task<bool> WaitForEventsAsync(ChannelReader<FeedEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            return await events.WaitToReadAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<Results<Ok<ReactionCountsResponse>, Ok<ReactionsResponse>, ValidationProblem, ProblemHttpResult>> ReactAsync(
        string mentorId,
        string liveId,
        InteractionRequest request,
        string? answer,
        ClaimsPrincipal user,
        IGrainFactory grains,
        InteractionRateLimits limits,
        InteractionBatcher batcher,
        HotViewCache views,
        HttpContext context,
        [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey)
    {
        // Viewers (mentees) and the session's own mentor take part; other mentors only watch.
        if (!user.IsMentee() && !user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only mentees and the session's mentor can react or comment.");
        }

        if (answer is not null && answer != FullAnswer)
        {
            return Validation.Invalid("answer", $"'answer' is either absent (counts only) or '{FullAnswer}' (counts and the latest comments).");
        }

        if (await limits.TryAcquireAsync(context, user.Id()!, request.Comment is null ? InteractionRateLimits.Reactions : InteractionRateLimits.Comments) is { } limited)
        {
            return limited;
        }

        if (answer is null)
        {
            // Without the client's key the request gets one of its own, so the batch it joins is safe to send again.
            var keyed = new Interaction(user.Id()!, request.Reaction, request.Comment, string.IsNullOrEmpty(idempotencyKey) ? Guid.NewGuid().ToString("N") : idempotencyKey);
            var counts = await batcher.ReactAsync(mentorId, liveId, keyed);
            views.UpdateCounts(liveId, counts);
            return TypedResults.Ok(new ReactionCountsResponse(counts));
        }

        var interaction = new Interaction(user.Id()!, request.Reaction, request.Comment, idempotencyKey);
        var snapshot = await grains.GetGrain<ILiveSessionGrain>(liveId).ReactAsync(mentorId, interaction);
        views.UpdateCounts(liveId, snapshot.Counts);
        return TypedResults.Ok(ReactionsResponse.From(snapshot));
    }

    private static async Task<Results<Ok<ReactionsResponse>, ValidationProblem>> GetAsync(
        string mentorId, string liveId, string? after, int? limit, IGrainFactory grains)
    {
        if (Validation.Paging(after, limit) is { } invalid)
        {
            return invalid;
        }

        long? cursor = null;
        if (after is not null)
        {
            if (!long.TryParse(after, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
            {
                return Validation.Invalid("after", "'after' is not a valid cursor.");
            }

            cursor = parsed;
        }

        var snapshot = await grains.GetGrain<ILiveSessionGrain>(liveId).GetReactionsAsync(mentorId, cursor, limit ?? Limits.DefaultPageSize);
        return TypedResults.Ok(ReactionsResponse.From(snapshot));
    }
}
