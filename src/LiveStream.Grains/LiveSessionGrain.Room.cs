using System.Collections.Immutable;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;

namespace LiveStream.Grains;

/// <summary>
/// The viewers' side of the session grain: reactions, comments, mutes and the live feed. The logic is
/// <see cref="SessionRoom"/>'s; this part only checks the session and keeps the feed timer while someone listens.
/// </summary>
public sealed partial class LiveSessionGrain
{
    public async Task<SessionView?> GetViewAsync(CancellationToken cancellationToken = default)
    {
        if (state.State.Session is not { } session)
        {
            return null;
        }

        // Before a session goes live nobody can have reacted, so the room is not loaded for it.
        var reactions = session.State is SessionState.Scheduled or SessionState.Starting or SessionState.Cancelled
            ? null
            : await Room.CountsAsync();
        return new SessionView(session, reactions, _room?.Viewers ?? 0);
    }

    public async Task<ReactionSnapshot> ReactAsync(string mentorId, Interaction interaction, CancellationToken cancellationToken = default)
    {
        RequireLive(mentorId);
        if (Refusal(interaction) is { } refusal)
        {
            throw refusal;
        }

        var snapshot = await Room.ReactAsync(interaction);
        _liveMetrics?.PublishReactionCounts(snapshot.Counts);
        return snapshot;
    }

    public async Task<ImmutableArray<InteractionOutcome>> ReactBatchAsync(string mentorId, ImmutableArray<Interaction> interactions, CancellationToken cancellationToken = default)
    {
        RequireLive(mentorId);
        // Every item joins the room's group commit before it flushes, so the batch costs PostgreSQL one round trip
        // (ungathered, the first item would start a flush of its own and the rest wait for it).
        Task<InteractionOutcome>[] pending;
        using (Room.GatherWrites())
        {
            pending = [.. interactions.Select(ReactForOutcomeAsync)];
        }

        var outcomes = await Task.WhenAll(pending);
        _liveMetrics?.PublishReactionCounts(await Room.CountsAsync());
        return [.. outcomes];
    }

    private async Task<InteractionOutcome> ReactForOutcomeAsync(Interaction interaction)
    {
        if (interaction.IdempotencyKey is not { Length: > 0 })
        {
            // A batch may be sent again after a lost answer; an item without its key would then count twice.
            return InteractionOutcome.Refused(DomainException.Invalid("Idempotency-Key", "Each reaction of a batch carries its request key."));
        }

        if (Refusal(interaction) is { } refusal)
        {
            return InteractionOutcome.Refused(refusal);
        }

        try
        {
            return InteractionOutcome.Accepted(await Room.ReactForCountsAsync(interaction));
        }
        catch (DomainException exception)
        {
            return InteractionOutcome.Refused(exception);
        }
    }

    private void RequireLive(string mentorId)
    {
        if (RequireSession(mentorId).State != SessionState.Live)
        {
            throw DomainException.Conflict("Reactions and comments are accepted only while the session is live.");
        }
    }

    private DomainException? Refusal(Interaction interaction) =>
        state.State.Muted.Contains(interaction.UserId)
            ? new DomainException(DomainErrorKind.Forbidden, "The mentor muted you in this session.")
            : null;

    public async Task<bool> DeleteCommentAsync(string mentorId, long commentId)
    {
        RequireSession(mentorId);
        return await Room.DeleteCommentAsync(commentId);
    }

    public async Task MuteAsync(string mentorId, string userId)
    {
        RequireSession(mentorId);
        if (state.State.Muted.Add(userId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task UnmuteAsync(string mentorId, string userId)
    {
        RequireSession(mentorId);
        if (state.State.Muted.Remove(userId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task<ReactionSnapshot> GetReactionsAsync(string mentorId, long? afterCommentId, int limit, CancellationToken cancellationToken = default)
    {
        RequireSession(mentorId);
        var snapshot = await Room.GetAsync(afterCommentId, limit);
        _liveMetrics?.PublishReactionCounts(snapshot.Counts);
        return snapshot;
    }

    public Task SubscribeFeedAsync(string mentorId, ISessionFeedObserver observer)
    {
        RequireSession(mentorId);
        Room.Subscribe(observer);
        // The timer runs only while someone listens; it stops itself when the last observer expires.
        _feedTimer ??= this.RegisterGrainTimer(PublishFeedAsync, new GrainTimerCreationOptions(SessionRoom.FeedTick, SessionRoom.FeedTick) { Interleave = true });
        return Task.CompletedTask;
    }

    public async Task ReportViewersAsync(string mentorId, ISessionFeedObserver observer, int viewers)
    {
        await SubscribeFeedAsync(mentorId, observer);
        Room.ReportViewers(observer, viewers);
    }

    public async Task<ReactionTimeline> GetTimelineAsync(string mentorId, int bucketSeconds, CancellationToken cancellationToken = default)
    {
        var session = RequireSession(mentorId);
        var points = session.StartedAt is null ? [] : await interactions.TimelineAsync(session.LiveId);
        return ReactionTimelines.Build(session.StartedAt, bucketSeconds, points);
    }

    public Task UnsubscribeFeedAsync(ISessionFeedObserver observer)
    {
        _room?.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    private async Task PublishFeedAsync(CancellationToken cancellationToken)
    {
        await Room.PublishCountsAsync();
        if (!Room.HasFeedObservers)
        {
            _feedTimer?.Dispose();
            _feedTimer = null;
        }
    }
}
