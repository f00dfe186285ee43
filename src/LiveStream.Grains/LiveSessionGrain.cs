using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

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

    [Id(4)]
    public SessionMedia Media { get; set; } = new();
}

/// <summary>The media side of a session: the secret key, the channel, the connected publisher and the pending deadlines.</summary>
[GenerateSerializer]
[Alias("livestream.session-media")]
public sealed class SessionMedia
{
    [Id(0)]
    public string? StreamKey { get; set; }

    [Id(1)]
    public MediaChannel? Channel { get; set; }

    /// <summary>The ingest connection currently publishing; null while nobody is (not yet, or dropped and in grace).</summary>
    [Id(2)]
    public string? PublisherId { get; set; }

    /// <summary>Starting: fail when no publisher arrived by then.</summary>
    [Id(3)]
    public DateTimeOffset? NoInputDeadline { get; set; }

    /// <summary>Live without a publisher: end when it has not reconnected by then.</summary>
    [Id(4)]
    public DateTimeOffset? ReconnectDeadline { get; set; }

    /// <summary>Live: stop at the maximum duration.</summary>
    [Id(5)]
    public DateTimeOffset? MaxDurationDeadline { get; set; }

    /// <summary>Ending: retry a stop that failed half way.</summary>
    [Id(6)]
    public DateTimeOffset? EndRetryAt { get; set; }

    /// <summary>Scheduled: prepare the channel ahead of the start (providers with a pre-warm lead).</summary>
    [Id(7)]
    public DateTimeOffset? PrewarmAt { get; set; }

    /// <summary>Scheduled with a pre-warmed channel: release it when nobody started by then.</summary>
    [Id(8)]
    public DateTimeOffset? NoShowDeadline { get; set; }

    /// <summary>The channel's resources were deleted (the record stays for its ids and URLs).</summary>
    [Id(9)]
    public bool ChannelDeleted { get; set; }

    /// <summary>The deadline reminder is registered, so clearing it needs the reminder service only when it exists.</summary>
    [Id(10)]
    public bool HasReminder { get; set; }

    /// <summary>Deleting the channel's resources failed (e.g. AWS still stopping it); retry then.</summary>
    [Id(11)]
    public DateTimeOffset? CleanupRetryAt { get; set; }

    /// <summary>The latest signal per input alarm of a cloud encoder (AWS), so stale and duplicated ones fold in.</summary>
    [Id(12)]
    public Dictionary<string, MediaInputSignal> InputAlarms { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The encoder has seen input and no input alarm is raised now.</summary>
    public bool EncoderHasInput => InputAlarms.Count > 0 && InputAlarms.Values.All(alarm => !alarm.InputLost);

    public DateTimeOffset? NextDeadline() =>
        new[] { NoInputDeadline, ReconnectDeadline, MaxDurationDeadline, EndRetryAt, PrewarmAt, NoShowDeadline, CleanupRetryAt }.Where(at => at is not null).Min();

    public void ClearDeadlines()
    {
        NoInputDeadline = null;
        ReconnectDeadline = null;
        MaxDurationDeadline = null;
        EndRetryAt = null;
        PrewarmAt = null;
        NoShowDeadline = null;
    }
}

public sealed class LiveSessionGrain(
    [PersistentState("session", GrainStorage.Name)] IPersistentState<LiveSessionState> state,
    IMediaProvider media,
    IOptions<MediaOptions> mediaOptions,
    TimeProvider clock,
    SessionEventOutbox events,
    IInteractionStore interactions,
    LiveStreamMetrics metrics,
    ILogger<LiveSessionGrain> logger) : Grain, ILiveSessionGrain, ISessionNotificationHooks, IRemindable
{
    /// <summary>One reminder per session, always set to the nearest media deadline, so timeouts survive silo loss.</summary>
    private const string DeadlineReminder = "media-deadline";

    /// <summary>The publisher as a cloud encoder reports it: one per channel, with no connection of its own.</summary>
    private const string EncoderPublisher = "encoder";

    private static readonly TimeSpan MinimumDue = TimeSpan.FromSeconds(1);

    private SessionMedia Media => state.State.Media;
    private SessionRoom? _room;
    private IGrainTimer? _feedTimer;
    private LiveStreamMetrics.LiveSession? _liveMetrics;

    private SessionRoom Room => _room ??= new SessionRoom(interactions, this.GetPrimaryKeyString(), clock, metrics, logger);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        TrackLive();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _liveMetrics?.Dispose();
        _liveMetrics = null;
        return Task.CompletedTask;
    }

    public Task<SessionSnapshot?> GetAsync() => Task.FromResult(state.State.Session);

    public async Task<SessionView?> GetViewAsync()
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

    public async Task<ReactionSnapshot> ReactAsync(string mentorId, Interaction interaction)
    {
        if (RequireSession(mentorId).State != SessionState.Live)
        {
            throw DomainException.Conflict("Reactions and comments are accepted only while the session is live.");
        }

        if (state.State.Muted.Contains(interaction.UserId))
        {
            throw new DomainException(DomainErrorKind.Forbidden, "The mentor muted you in this session.");
        }

        var snapshot = await Room.ReactAsync(interaction);
        _liveMetrics?.PublishReactionCounts(snapshot.Counts);
        return snapshot;
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

    public async Task<ReactionSnapshot> GetReactionsAsync(string mentorId, long? afterCommentId, int limit)
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

    public async Task<ReactionTimeline> GetTimelineAsync(string mentorId, int bucketSeconds)
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
        if (media.PrewarmLead > TimeSpan.Zero)
        {
            Media.PrewarmAt = session.ScheduledStart - media.PrewarmLead;
        }

        await state.WriteStateAsync();
        logger.LogInformation("Session {LiveId} of mentor {MentorId} scheduled for {ScheduledStart}", session.LiveId, session.MentorId, session.ScheduledStart);
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        await ScheduleNextDeadlineAsync();
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

        if (!SessionLifecycle.CanTransition(session.State, SessionState.Cancelled))
        {
            throw DomainException.Conflict($"A session that is {Name(session.State)} cannot be cancelled.");
        }

        // A deletion that fails is retried from the deadline reminder, so cancelling never leaves a channel running.
        await DeleteChannelAsync();
        Media.ClearDeadlines();
        Media.PublisherId = null;
        await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.Cancelled);
        var cancelled = await TransitionAsync(session, SessionState.Cancelled, s => s with { EndedAt = clock.GetUtcNow(), PlaybackUrl = null });
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        await ScheduleNextDeadlineAsync();
        return cancelled;
    }

    /// <summary>Hook for the media lifecycle: the session went live; followers at this moment are notified once.</summary>
    public Task NotifyWentLiveAsync() => NotifyFollowersAsync(NotificationKind.Live);

    /// <summary>Hook for the media lifecycle: the recording is ready; followers are notified once.</summary>
    public Task NotifyRecordingReadyAsync() => NotifyFollowersAsync(NotificationKind.RecordingReady);

    /// <summary>Two reminders share this grain: the notification outbox's and the media deadlines'.</summary>
    public Task ReceiveReminder(string reminderName, TickStatus status) =>
        reminderName == SessionEventOutbox.ReminderName
            ? events.OnReminderAsync(this.GetGrainId(), state.State, state.WriteStateAsync)
            : OnMediaDeadlineAsync();

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

    public async Task<SessionIngest> GetIngestAsync()
    {
        var session = RequireSession();
        if (session.State is not (SessionState.Scheduled or SessionState.Starting or SessionState.Live))
        {
            throw DomainException.Conflict($"A session that is {Name(session.State)} accepts no publisher.");
        }

        var key = await EnsureStreamKeyAsync(session);
        var ingest = await media.GetIngestAsync(session.LiveId, key, Media.Channel, CancellationToken.None);
        return new SessionIngest(ingest.Url, ingest.StreamKey);
    }

    public async Task<SessionSnapshot> StartAsync()
    {
        var session = RequireSession();
        switch (session.State)
        {
            case SessionState.Starting or SessionState.Live:
                return session;
            case SessionState.Scheduled:
                break;
            default:
                throw DomainException.Conflict($"A session that is {Name(session.State)} cannot be started.");
        }

        var key = await EnsureStreamKeyAsync(session);

        // An existing (pre-warmed or half-created) channel is reused, so a retried start never creates a second one.
        if (Media.Channel is null)
        {
            Media.InputAlarms.Clear();
        }

        Media.Channel = await media.StartChannelAsync(session.LiveId, key, Media.Channel, CancellationToken.None);
        Media.ChannelDeleted = false;
        Media.ClearDeadlines();
        Media.NoInputDeadline = clock.GetUtcNow() + mediaOptions.Value.NoInputTimeout;
        var starting = await TransitionAsync(session, SessionState.Starting, s => s);
        if (!media.ReportsPublisher)
        {
            // Without publisher events the running channel is the live session; the maximum duration still bounds it.
            Media.ClearDeadlines();
            var now = clock.GetUtcNow();
            Media.MaxDurationDeadline = now + mediaOptions.Value.MaxDuration;
            starting = await TransitionAsync(starting, SessionState.Live, s => s with { StartedAt = now, PlaybackUrl = Media.Channel.PlaybackUrl });
        }
        else if (Media.EncoderHasInput)
        {
            // The mentor pushed into the pre-warmed channel before pressing start.
            await PublisherArrivedAsync(starting, EncoderPublisher);
            starting = state.State.Session!;
        }

        await ScheduleNextDeadlineAsync();
        return starting;
    }

    public async Task<SessionSnapshot> StopAsync()
    {
        var session = RequireSession();
        return session.State switch
        {
            SessionState.Ending or SessionState.Ended or SessionState.Recorded => session,
            SessionState.Starting or SessionState.Live => await EndAsync(session, "stopped by the mentor"),
            _ => throw DomainException.Conflict($"A session that is {Name(session.State)} cannot be stopped."),
        };
    }

    public async Task<bool> AuthorizePublishAsync(PublishAttempt attempt)
    {
        var session = state.State.Session;
        if (session is null || Media.StreamKey is null || !KeysMatch(Media.StreamKey, attempt.StreamKey))
        {
            logger.LogWarning("Refused a publish to session {LiveId} with a wrong stream key from connection {ConnectionId}", this.GetPrimaryKeyString(), attempt.ConnectionId);
            return false;
        }

        return await PublisherArrivedAsync(session, attempt.ConnectionId);
    }

    /// <summary>A publisher (an ingest connection, or the cloud encoder's input) arrived: live, reconnected, or refused.</summary>
    private async Task<bool> PublisherArrivedAsync(SessionSnapshot session, string connectionId)
    {
        switch (session.State)
        {
            case SessionState.Starting:
                Media.PublisherId = connectionId;
                Media.ClearDeadlines();
                var now = clock.GetUtcNow();
                Media.MaxDurationDeadline = now + mediaOptions.Value.MaxDuration;
                await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.Live);
                await TransitionAsync(session, SessionState.Live, s => s with { StartedAt = now, PlaybackUrl = Media.Channel?.PlaybackUrl });
                await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
                await ScheduleNextDeadlineAsync();
                return true;

            case SessionState.Live when Media.PublisherId == connectionId:
                // A duplicated callback for the publisher we already accepted.
                return true;

            case SessionState.Live when Media.PublisherId is null:
                Media.PublisherId = connectionId;
                Media.ReconnectDeadline = null;
                await state.WriteStateAsync();
                logger.LogInformation("Publisher reconnected to session {LiveId} on connection {ConnectionId}", session.LiveId, connectionId);
                await ScheduleNextDeadlineAsync();
                return true;

            case SessionState.Live:
                logger.LogWarning("Refused a second publisher for session {LiveId} on connection {ConnectionId}", session.LiveId, connectionId);
                return false;

            default:
                logger.LogWarning("Refused a publish to session {LiveId} that is {State}", session.LiveId, session.State);
                return false;
        }
    }

    public Task PublishEndedAsync(string connectionId) => PublisherLeftAsync(connectionId);

    public async Task InputSignalAsync(MediaInputSignal signal)
    {
        var session = state.State.Session;
        if (session is null || Media.Channel is null || Media.ChannelDeleted || session.State is not (SessionState.Scheduled or SessionState.Starting or SessionState.Live))
        {
            // No channel (yet or any more): an alarm of a deleted or not yet created channel says nothing now.
            return;
        }

        if (Media.InputAlarms.TryGetValue(signal.Alarm, out var known)
            && (signal.At < known.At || (signal.At == known.At && signal.InputLost && !known.InputLost)))
        {
            // Older than what we know. Within one timestamp the order is unknown; an input that is there wins, since
            // wrongly ending a session is worse than the maximum duration bounding one whose input is gone.
            return;
        }

        var hadInput = Media.EncoderHasInput;
        Media.InputAlarms[signal.Alarm] = signal;
        var hasInput = Media.EncoderHasInput;
        await state.WriteStateAsync();
        logger.LogInformation(
            "Session {LiveId}: encoder alarm {Alarm} {AlarmState} at {At}; input present: {HasInput}",
            session.LiveId, signal.Alarm, signal.InputLost ? "raised" : "cleared", signal.At, hasInput);

        if (hasInput && (!hadInput || Media.PublisherId is null) && session.State != SessionState.Scheduled)
        {
            await PublisherArrivedAsync(session, EncoderPublisher);
        }
        else if (!hasInput && hadInput)
        {
            await PublisherLeftAsync(EncoderPublisher);
        }
    }

    private async Task PublisherLeftAsync(string connectionId)
    {
        var session = state.State.Session;
        if (session is not { State: SessionState.Live } || Media.PublisherId != connectionId)
        {
            // Late, duplicated or for a publisher we refused: nothing to fold in.
            return;
        }

        Media.PublisherId = null;
        Media.ReconnectDeadline = clock.GetUtcNow() + mediaOptions.Value.ReconnectGrace;
        await state.WriteStateAsync();
        logger.LogInformation("Publisher of session {LiveId} dropped; it may reconnect until {Deadline}", session.LiveId, Media.ReconnectDeadline);
        await ScheduleNextDeadlineAsync();
    }

    public async Task RecordingReadyAsync(string recordingUrl)
    {
        var session = RequireSession();
        if (session.State == SessionState.Recorded || session.State != SessionState.Ended)
        {
            // Duplicated, or early (the stop is still being folded in; the provider reports the URL then).
            return;
        }

        await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.RecordingReady);
        await TransitionAsync(session, SessionState.Recorded, s => s with { RecordingUrl = recordingUrl });
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        await DeleteChannelAsync();
    }

    private async Task OnMediaDeadlineAsync()
    {
        var session = state.State.Session;
        if (session is null)
        {
            return;
        }

        var now = clock.GetUtcNow();
        if (Media.CleanupRetryAt <= now)
        {
            await DeleteChannelAsync();
        }

        if (session.State == SessionState.Starting && Media.NoInputDeadline <= now)
        {
            await DeleteChannelAsync();
            Media.ClearDeadlines();
            await TransitionAsync(session, SessionState.Failed, s => s with { EndedAt = now, FailureReason = "No input arrived before the timeout." });
        }
        else if (session.State == SessionState.Live && Media.ReconnectDeadline <= now)
        {
            await EndAsync(session, "the publisher did not reconnect");
        }
        else if (session.State == SessionState.Live && Media.MaxDurationDeadline <= now)
        {
            await EndAsync(session, "the maximum duration was reached");
        }
        else if (session.State == SessionState.Ending && Media.EndRetryAt <= now)
        {
            await EndAsync(session, "retrying an interrupted stop");
        }
        else if (session.State == SessionState.Scheduled && Media.PrewarmAt <= now)
        {
            Media.Channel = await media.StartChannelAsync(session.LiveId, await EnsureStreamKeyAsync(session), Media.Channel, CancellationToken.None);
            Media.ChannelDeleted = false;
            Media.PrewarmAt = null;
            Media.NoShowDeadline = session.ScheduledStart + mediaOptions.Value.NoShowTimeout;
            await state.WriteStateAsync();
        }
        else if (session.State == SessionState.Scheduled && Media.NoShowDeadline <= now)
        {
            await DeleteChannelAsync();
            Media.NoShowDeadline = null;
            Media.Channel = null;
            Media.ChannelDeleted = false;
            Media.InputAlarms.Clear();
            await state.WriteStateAsync();
        }

        await ScheduleNextDeadlineAsync();
    }

    /// <summary>Live or starting -> ending -> ended (-> recorded when the provider has the recording at once).</summary>
    private async Task<SessionSnapshot> EndAsync(SessionSnapshot session, string reason)
    {
        Media.ClearDeadlines();
        if (session.State != SessionState.Ending)
        {
            // Persist "ending" before touching the channel, and keep a retry deadline in case this turn dies half way.
            Media.EndRetryAt = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
            session = await TransitionAsync(session, SessionState.Ending, s => s with { PlaybackUrl = null });
            await ScheduleNextDeadlineAsync();
            logger.LogInformation("Session {LiveId} is ending: {Reason}", session.LiveId, reason);
        }

        MediaRecordingRequest recording;
        try
        {
            recording = Media.Channel is { } channel
                ? await media.StopChannelAsync(channel, CancellationToken.None)
                : new MediaRecordingRequest(null, Pending: false);
        }
        catch (Exception exception) when (exception is not DomainException)
        {
            logger.LogError(exception, "Stopping the channel of session {LiveId} failed; retrying from a reminder", session.LiveId);
            Media.EndRetryAt = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
            await state.WriteStateAsync();
            await ScheduleNextDeadlineAsync();
            return session;
        }

        Media.ClearDeadlines();
        Media.PublisherId = null;
        session = await TransitionAsync(session, SessionState.Ended, s => s with { EndedAt = clock.GetUtcNow() });
        if (recording.RecordingUrl is { } url)
        {
            await events.StageAsync(this.GetGrainId(), state.State, NotificationKind.RecordingReady);
            session = await TransitionAsync(session, SessionState.Recorded, s => s with { RecordingUrl = url });
            await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        }

        if (!recording.Pending)
        {
            await DeleteChannelAsync();
        }

        await ScheduleNextDeadlineAsync();
        return session;
    }

    /// <summary>Deletes the channel's resources; a failure is retried from the deadline reminder rather than failing the caller.</summary>
    private async Task DeleteChannelAsync()
    {
        if (Media.Channel is not { } channel || Media.ChannelDeleted)
        {
            return;
        }

        try
        {
            await media.DeleteChannelAsync(channel, CancellationToken.None);
            Media.ChannelDeleted = true;
            Media.CleanupRetryAt = null;
        }
        catch (Exception exception) when (exception is not DomainException)
        {
            logger.LogWarning(exception, "Deleting the media resources of session {LiveId} failed; retrying from a reminder", channel.LiveId);
            Media.CleanupRetryAt = clock.GetUtcNow() + TimeSpan.FromSeconds(30);
        }

        await state.WriteStateAsync();
        await ScheduleNextDeadlineAsync();
    }

    private async Task<string> EnsureStreamKeyAsync(SessionSnapshot session)
    {
        if (Media.StreamKey is { } existing)
        {
            return existing;
        }

        // "<liveId>.<secret>": the ingest callback finds the grain from the key; only the secret part must be guessed.
        Media.StreamKey = $"{session.LiveId}.{Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_')}";
        await state.WriteStateAsync();
        return Media.StreamKey;
    }

    private async Task ScheduleNextDeadlineAsync()
    {
        var next = Media.NextDeadline();
        if (next is null)
        {
            if (Media.HasReminder && await this.GetReminder(DeadlineReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            if (Media.HasReminder)
            {
                Media.HasReminder = false;
                await state.WriteStateAsync();
            }

            return;
        }

        // The period is only a safety net (a missed tick is retried); the due time carries the deadline. A due time
        // that is already past would count as the first tick and wait a whole period, so it is at least a second.
        var due = next.Value - clock.GetUtcNow();
        await this.RegisterOrUpdateReminder(DeadlineReminder, due < MinimumDue ? MinimumDue : due, TimeSpan.FromMinutes(1));
        if (!Media.HasReminder)
        {
            Media.HasReminder = true;
            await state.WriteStateAsync();
        }
    }

    private static bool KeysMatch(string expected, string actual) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(actual));

    private static string Name(SessionState value) => value.ToString().ToLowerInvariant();

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
        TrackLive();
        if (_room is not null)
        {
            await _room.PublishStateAsync(to);
        }

        await IndexAsync(next);
        return next;
    }

    /// <summary>
    /// Counts this activation in the live-sessions gauge while the session is live, and keeps a live session
    /// resident meanwhile: an idle live session collected after the collection age would drop out of the figure.
    /// </summary>
    private void TrackLive()
    {
        var live = state.State.Session?.State == SessionState.Live;
        if (live && _liveMetrics is null)
        {
            _liveMetrics = metrics.TrackLiveSession(this.GetPrimaryKeyString());
            var remaining = (Media.MaxDurationDeadline ?? clock.GetUtcNow() + mediaOptions.Value.MaxDuration) - clock.GetUtcNow();
            this.DelayDeactivation(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMinutes(1));
        }
        else if (!live && _liveMetrics is not null)
        {
            _liveMetrics.Dispose();
            _liveMetrics = null;
            this.DelayDeactivation(TimeSpan.Zero);
        }
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
