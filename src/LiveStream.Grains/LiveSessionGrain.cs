using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Postgres;
using Microsoft.Extensions.Logging;

namespace LiveStream.Grains;

[GenerateSerializer]
[Alias("livestream.live-session-state")]
public sealed class LiveSessionState
{
    [Id(0)]
    public SessionSnapshot? Session { get; set; }

    /// <summary>Notification events written together with the change that caused them (the outbox); see <see cref="SessionEventOutbox"/>.</summary>
    [Id(1)]
    public List<SessionEvent> PendingEvents { get; set; } = [];

    [Id(2)]
    public bool PreStartNoticeStaged { get; set; }

    /// <summary>Viewers the mentor muted for this session.</summary>
    [Id(3)]
    public HashSet<string> Muted { get; set; } = new(StringComparer.Ordinal);
}

public sealed class LiveSessionGrain(
    [PersistentState("session", GrainStorage.Name)] IPersistentState<LiveSessionState> state,
    TimeProvider clock,
    SessionEventOutbox events,
    IInteractionStore interactions,
    ILogger<LiveSessionGrain> logger) : Grain, ILiveSessionGrain, ISessionNotificationHooks, IRemindable
{
    private SessionRoom? _room;
    private IGrainTimer? _feedTimer;

    private SessionRoom Room => _room ??= new SessionRoom(interactions, this.GetPrimaryKeyString(), clock, logger);

    public Task<SessionSnapshot?> GetAsync() => Task.FromResult(state.State.Session);

    public Task<ReactionSnapshot> ReactAsync(string mentorId, Interaction interaction)
    {
        if (RequireSession(mentorId).State != SessionState.Live)
        {
            throw DomainException.Conflict("Reactions and comments are accepted only while the session is live.");
        }

        if (state.State.Muted.Contains(interaction.UserId))
        {
            throw new DomainException(DomainErrorKind.Forbidden, "The mentor muted you in this session.");
        }

        return Room.ReactAsync(interaction);
    }

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

    public Task<ReactionSnapshot> GetReactionsAsync(string mentorId, long? afterCommentId, int limit)
    {
        RequireSession(mentorId);
        return Room.GetAsync(afterCommentId, limit);
    }

    public Task SubscribeFeedAsync(string mentorId, ISessionFeedObserver observer)
    {
        RequireSession(mentorId);
        Room.Subscribe(observer);
        // The timer runs only while someone listens; it stops itself when the last observer expires.
        _feedTimer ??= this.RegisterGrainTimer(PublishFeedAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { Interleave = true });
        return Task.CompletedTask;
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

    public async Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition)
    {
        if (definition.LiveId != this.GetPrimaryKeyString())
        {
            throw DomainException.Invalid("liveId", "The definition is for another session.");
        }

        if (state.State.Session is { } existing)
        {
            // A retried schedule (same idempotency key, same content) is answered with what exists.
            return Defines(existing, definition)
                ? existing
                : throw DomainException.Conflict("A different session already exists with this id (idempotency key reused with other content).");
        }

        var session = new SessionSnapshot(
            definition.LiveId, definition.MentorId, definition.CourseId, definition.Title, SessionState.Scheduled,
            definition.ScheduledStart, clock.GetUtcNow(), StartedAt: null, EndedAt: null, PlaybackUrl: null, RecordingUrl: null, FailureReason: null);
        state.State.Session = session;
        await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.Scheduled);
        await state.WriteStateAsync();
        logger.LogInformation("Session {LiveId} of mentor {MentorId} scheduled for {ScheduledStart}", session.LiveId, session.MentorId, session.ScheduledStart);
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        return session;
    }

    public async Task<SessionSnapshot> CancelAsync()
    {
        var session = RequireSession();
        if (session.State == SessionState.Cancelled)
        {
            // A retry after a failed index update must still repair the mentor's list.
            await IndexAsync(session);
            return session;
        }

        if (SessionLifecycle.CanTransition(session.State, SessionState.Cancelled))
        {
            await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.Cancelled);
        }

        var cancelled = await TransitionAsync(session, SessionState.Cancelled, s => s with { EndedAt = clock.GetUtcNow() });
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        return cancelled;
    }

    /// <summary>Hook for the media lifecycle: the session went live; followers at this moment are notified once.</summary>
    public Task NotifyWentLiveAsync() => NotifyFollowersAsync(NotificationKind.Live);

    /// <summary>Hook for the media lifecycle: the recording is ready; followers are notified once.</summary>
    public Task NotifyRecordingReadyAsync() => NotifyFollowersAsync(NotificationKind.RecordingReady);

    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == SessionEventOutbox.ReminderName
            ? events.OnReminderAsync(this.GetGrainId(), state.State, state.WriteStateAsync)
            : Task.CompletedTask;

    /// <summary>
    /// Stages, persists and publishes one notification event. Inside a transition, prefer staging the event in
    /// the transition's own write (<c>events.StageAsync</c> before it, <c>events.FlushAsync</c> after), which
    /// makes the change and its event one atomic write.
    /// </summary>
    private async Task NotifyFollowersAsync(NotificationKind kind)
    {
        RequireSession();
        await events.StageAsync(this.GetGrainId(), state.State, kind);
        await state.WriteStateAsync();
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
    }

    private async Task<SessionSnapshot> TransitionAsync(SessionSnapshot session, SessionState to, Func<SessionSnapshot, SessionSnapshot> apply)
    {
        if (!SessionLifecycle.CanTransition(session.State, to))
        {
            throw DomainException.Conflict($"A session that is {session.State.ToString().ToLowerInvariant()} cannot become {to.ToString().ToLowerInvariant()}.");
        }

        var next = apply(session with { State = to });
        state.State.Session = next;
        await state.WriteStateAsync();
        logger.LogInformation("Session {LiveId} moved from {From} to {To}", next.LiveId, session.State, to);

        await IndexAsync(next);
        return next;
    }

    /// <summary>The mentor's index is a projection of this grain's state; this grain stays the source of truth.</summary>
    private Task IndexAsync(SessionSnapshot session) =>
        GrainFactory.GetGrain<IMentorGrain>(session.MentorId).RecordSessionChangeAsync(session.ToSummary());

    private SessionSnapshot RequireSession(string mentorId) =>
        RequireSession() is { } session && session.MentorId == mentorId
            ? session
            : throw DomainException.NotFound("liveId", $"Mentor '{mentorId}' has no session '{this.GetPrimaryKeyString()}'.");

    private SessionSnapshot RequireSession() =>
        state.State.Session ?? throw DomainException.NotFound("liveId", $"Session '{this.GetPrimaryKeyString()}' does not exist.");

    private static bool Defines(SessionSnapshot session, SessionDefinition definition) =>
        session.MentorId == definition.MentorId
        && session.CourseId == definition.CourseId
        && session.Title == definition.Title
        && session.ScheduledStart == definition.ScheduledStart;
}
