using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Lifecycle;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Media;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Grains;

[GenerateSerializer]
[Alias("livestream.live-session-state")]
public sealed class LiveSessionState
{
    /// <summary>The session, its media side, its deadlines and its outbox of media effects (see <see cref="SessionMachine"/>).</summary>
    [Id(5)]
    public LifecycleState Lifecycle { get; set; } = new();

    public SessionSnapshot? Session => Lifecycle.Session;

    /// <summary>Notification events written together with the change that caused them (the outbox); see <see cref="SessionEventOutbox"/>.</summary>
    [Id(1)]
    public List<SessionEvent> PendingEvents { get; set; } = [];

    [Id(2)]
    public bool PreStartNoticeStaged { get; set; }

    /// <summary>Viewers the mentor muted for this session.</summary>
    [Id(3)]
    public HashSet<string> Muted { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When the lifecycle reminder is due (null: none registered), so an unchanged wake-up costs no reminder write.</summary>
    [Id(6)]
    public DateTimeOffset? WakeUpAt { get; set; }
}

/// <summary>Reports of media effects that finish off the grain's turn (a stop whose recording takes long).</summary>
[Alias("livestream.live-session-effects")]
public interface ILiveSessionEffects : IGrainWithStringKey
{
    [Alias("channel-stopped")]
    Task ChannelStoppedAsync(MediaRecordingRequest recording);
}

/// <summary>
/// The shell around <see cref="SessionMachine"/>: each command or event is decided by the machine, committed in one
/// write (<see cref="CommitAsync"/>), then its effects are carried out and their outcomes fed back the same way. The
/// room (reactions, comments, the live feed) is <see cref="SessionRoom"/>.
/// </summary>
public sealed class LiveSessionGrain(
    [PersistentState("session", GrainStorage.Name)] IPersistentState<LiveSessionState> state,
    IMediaProvider media,
    IOptions<MediaOptions> mediaOptions,
    TimeProvider clock,
    SessionEventOutbox events,
    IInteractionStore interactions,
    LiveStreamMetrics metrics,
    ILogger<LiveSessionGrain> logger) : Grain, ILiveSessionGrain, ILiveSessionEffects, ISessionNotificationHooks, IRemindable
{
    /// <summary>One reminder per session, always due at the lifecycle's next wake-up, so timeouts survive silo loss.</summary>
    private const string DeadlineReminder = "media-deadline";

    private static readonly TimeSpan MinimumDue = TimeSpan.FromSeconds(1);

    /// <summary>How long a command waits for a stop before answering "ending"; the stop goes on off the turn.</summary>
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(500);

    private SessionRoom? _room;
    private IGrainTimer? _feedTimer;
    private IGrainTimer? _probeTimer;
    private Task<MediaRecordingRequest>? _stopping;
    private LiveStreamMetrics.LiveSession? _liveMetrics;

    private LifecycleState Lifecycle => state.State.Lifecycle;

    private SessionRoom Room => _room ??= new SessionRoom(interactions, this.GetPrimaryKeyString(), clock, metrics, logger);

    private LifecycleOptions Options => new(
        media.PrewarmLead, media.ReportsPublisher, mediaOptions.Value.NoInputTimeout, mediaOptions.Value.ReconnectGrace,
        mediaOptions.Value.MaxDuration, mediaOptions.Value.NoShowTimeout, mediaOptions.Value.RecordingTimeout, mediaOptions.Value.RetryDelay);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        TrackLive();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _liveMetrics?.Dispose();
        _liveMetrics = null;
        metrics.TrackTransition(this.GetPrimaryKeyString(), null);
        return Task.CompletedTask;
    }

    public Task<SessionSnapshot?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(state.State.Session);

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

    public async Task<System.Collections.Immutable.ImmutableDictionary<string, long>> ReactForCountsAsync(string mentorId, Interaction interaction, CancellationToken cancellationToken = default) =>
        (await ReactAsync(mentorId, interaction)).Counts;

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

    public async Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition)
    {
        if (definition.LiveId != this.GetPrimaryKeyString())
        {
            throw DomainException.Invalid("liveId", "The definition is for another session.");
        }

        if (Lifecycle.Session is { } existing && !SessionMachine.Defines(existing, definition))
        {
            throw DomainException.IdempotencyKeyReused("This idempotency key was already used to schedule a different session.");
        }

        var decision = await ApplyAsync(new LifecycleEvent.Schedule(definition));
        return decision.State.Session!;
    }

    public async Task<SessionSnapshot> CancelAsync(string callerMentorId)
    {
        RequireOwner(callerMentorId);
        return (await ApplyAsync(new LifecycleEvent.Cancel())).State.Session!;
    }

    public async Task<SessionIngest> GetIngestAsync(string callerMentorId)
    {
        var session = RequireOwner(callerMentorId);
        if (session.State is not (SessionState.Scheduled or SessionState.Starting or SessionState.Live))
        {
            throw DomainException.Conflict($"A session that is {session.State.ToString().ToLowerInvariant()} accepts no publisher.");
        }

        var key = await EnsureStreamKeyAsync();
        var ingest = await media.GetIngestAsync(session.LiveId, key, Lifecycle.Channel, CancellationToken.None);
        return new SessionIngest(ingest.Url, ingest.StreamKey);
    }

    public async Task<SessionSnapshot> StartAsync(string callerMentorId)
    {
        RequireOwner(callerMentorId);
        await EnsureStreamKeyAsync();
        return (await ApplyAsync(new LifecycleEvent.Start())).State.Session!;
    }

    public async Task<SessionSnapshot> StopAsync(string callerMentorId)
    {
        RequireOwner(callerMentorId);
        await ApplyAsync(new LifecycleEvent.Stop());
        return Lifecycle.Session!;
    }

    public async Task<bool> AuthorizePublishAsync(PublishAttempt attempt)
    {
        if (Lifecycle.StreamKey is not { } key || !KeysMatch(key, attempt.StreamKey))
        {
            logger.LogWarning("Refused a publish to session {LiveId} with a wrong stream key from connection {ConnectionId}", this.GetPrimaryKeyString(), attempt.ConnectionId);
            return false;
        }

        var decision = await ApplyAsync(new LifecycleEvent.PublisherArrived(attempt.ConnectionId));
        if (!decision.Accepted)
        {
            logger.LogWarning("Refused a publisher for session {LiveId} that is {State} on connection {ConnectionId}", this.GetPrimaryKeyString(), decision.State.State, attempt.ConnectionId);
        }

        return decision.Accepted;
    }

    public Task PublishEndedAsync(string connectionId) => ApplyAsync(new LifecycleEvent.PublisherLeft(connectionId));

    public Task InputSignalAsync(MediaInputSignal signal) => ApplyAsync(new LifecycleEvent.InputSignal(signal));

    public Task RecordingReadyAsync(string recordingUrl) => ApplyAsync(new LifecycleEvent.RecordingReady(recordingUrl));

    public async Task ChannelStoppedAsync(MediaRecordingRequest recording)
    {
        _stopping = null;
        await ApplyAsync(new LifecycleEvent.ChannelStopped(recording));
    }

    /// <summary>Hook: notifies followers that the session went live (once per session, as the fan-out is idempotent).</summary>
    public Task NotifyWentLiveAsync() => NotifyFollowersAsync(NotificationKind.Live);

    /// <summary>Hook: notifies followers that the recording is ready (once per session).</summary>
    public Task NotifyRecordingReadyAsync() => NotifyFollowersAsync(NotificationKind.RecordingReady);

    private async Task NotifyFollowersAsync(NotificationKind kind)
    {
        RequireSession();
        await events.StageAsync(this.GetGrainId(), state.State, kind);
        await state.WriteStateAsync();
        await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
    }

    /// <summary>Two reminders share this grain: the notification outbox's and the lifecycle's (deadlines and effect retries).</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName == SessionEventOutbox.ReminderName)
        {
            await events.OnReminderAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
            return;
        }

        state.State.WakeUpAt = null;
        await ApplyAsync(new LifecycleEvent.Tick());
    }

    /// <summary>Decides, commits, then carries out the outbox; a refusal is the caller's conflict and changes nothing.</summary>
    private async Task<Decision> ApplyAsync(LifecycleEvent @event)
    {
        if (Lifecycle.Session is null && @event is not LifecycleEvent.Schedule)
        {
            // Media events for a session that does not exist (a stray callback) say nothing.
            return new Decision(Lifecycle, [], Accepted: false);
        }

        var decision = SessionMachine.Apply(Lifecycle, @event, clock.GetUtcNow(), Options);
        if (decision.Refusal is { } refusal)
        {
            throw DomainException.Conflict(refusal);
        }

        await CommitAsync(decision);
        await RunOutboxAsync();
        return decision;
    }

    /// <summary>
    /// The one place a lifecycle change is committed: the session, its outbox, its notifications and its next wake-up
    /// in one write; then the staged notifications are published and the reminder follows the wake-up.
    /// </summary>
    private async Task CommitAsync(Decision decision)
    {
        var before = Lifecycle;
        if (decision.State == before && decision.Notices.IsEmpty && state.State.WakeUpAt == WakeUp(before))
        {
            return;
        }

        state.State.Lifecycle = decision.State;
        foreach (var kind in decision.Notices)
        {
            await events.StageAsync(this.GetGrainId(), state.State, kind);
        }

        var wakeUp = WakeUp(decision.State);
        var rearm = wakeUp != state.State.WakeUpAt;
        state.State.WakeUpAt = wakeUp;
        var moved = before.State != decision.State.State;
        using (moved ? LiveStreamTelemetry.StartSessionTransition(this.GetPrimaryKeyString(), Name(before.State), Name(decision.State.State)) : null)
        {
            await state.WriteStateAsync();
        }

        if (moved)
        {
            var to = decision.State.State;
            logger.LogInformation("Session {LiveId} moved from {From} to {To}", this.GetPrimaryKeyString(), before.State, to);
            TrackLive();
            metrics.TrackTransition(this.GetPrimaryKeyString(), to is SessionState.Starting or SessionState.Ending ? Name(to) : null);
            if (_room is not null && to is { } changed)
            {
                await _room.PublishStateAsync(changed);
            }
        }

        if (!decision.Notices.IsEmpty)
        {
            await events.FlushAsync(this.GetGrainId(), state.State, state.WriteStateAsync);
        }

        if (rearm)
        {
            await ArmReminderAsync(wakeUp);
        }
    }

    /// <summary>The lifecycle's next wake-up; pending effects are retried from it should this activation die.</summary>
    private DateTimeOffset? WakeUp(LifecycleState lifecycle)
    {
        var next = lifecycle.NextWakeUp();
        if (lifecycle.Outbox.Count > 0 && lifecycle.RetryAt is null)
        {
            var backstop = (state.State.WakeUpAt ?? clock.GetUtcNow() + mediaOptions.Value.RetryDelay);
            next = next is null || backstop < next ? backstop : next;
        }

        return next;
    }

    /// <summary>Carries out each pending effect once and commits its outcome; what fails stays for the retry.</summary>
    private async Task RunOutboxAsync()
    {
        var tried = new HashSet<LifecycleEffect>();
        while (Lifecycle.Outbox.Where(pending => !tried.Contains(pending)).Select(pending => (LifecycleEffect?)pending).FirstOrDefault() is { } effect)
        {
            tried.Add(effect);
            if (await ExecuteAsync(effect) is { } outcome)
            {
                await CommitAsync(SessionMachine.Apply(Lifecycle, outcome, clock.GetUtcNow(), Options));
            }
        }
    }

    private async Task<LifecycleEvent?> ExecuteAsync(LifecycleEffect effect)
    {
        var session = Lifecycle.Session!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
            switch (effect)
            {
                case LifecycleEffect.PrepareChannel:
                    var key = await EnsureStreamKeyAsync();
                    return new LifecycleEvent.ChannelReady(await media.StartChannelAsync(session.LiveId, key, Lifecycle.Channel, SaveChannelAsync, timeout.Token));
                case LifecycleEffect.ProbePlayback:
                    return await ProbeAsync();
                case LifecycleEffect.StopChannel:
                    return await StopChannelAsync();
                case LifecycleEffect.DeleteChannel:
                    if (Lifecycle.Channel is { } channel)
                    {
                        await media.DeleteChannelAsync(channel, timeout.Token);
                    }

                    return new LifecycleEvent.ChannelDeleted();
                case LifecycleEffect.IndexSession:
                    await GrainFactory.GetGrain<IMentorGrain>(session.MentorId).RecordSessionChangeAsync(session.ToSummary());
                    return new LifecycleEvent.Indexed();
                default:
                    throw new ArgumentOutOfRangeException(nameof(effect), effect, "Unknown effect.");
            }
        }
        catch (Exception exception)
        {
            logger.LogWarning(exception, "Effect {Effect} of session {LiveId} failed; retrying in {RetryDelay}", effect, session.LiveId, mediaOptions.Value.RetryDelay);
            return new LifecycleEvent.EffectFailed(effect, exception.Message);
        }
    }

    /// <summary>Each resource id is saved before the provider makes the next call that depends on it.</summary>
    private Task SaveChannelAsync(MediaChannel partial) =>
        CommitAsync(SessionMachine.Apply(Lifecycle, new LifecycleEvent.ChannelProgress(partial), clock.GetUtcNow(), Options));

    /// <summary>Playable now, or probed twice a second by a timer (the reminder restarts it after a crash).</summary>
    private async Task<LifecycleEvent?> ProbeAsync()
    {
        if (Lifecycle.Channel is { } channel && await media.IsPlayableAsync(channel, CancellationToken.None))
        {
            return new LifecycleEvent.PlaybackReady();
        }

        _probeTimer ??= this.RegisterGrainTimer(ProbeTickAsync, new GrainTimerCreationOptions(ProbePeriod, ProbePeriod));
        return null;
    }

    private async Task ProbeTickAsync(CancellationToken cancellationToken)
    {
        if (Lifecycle.Outbox.Contains(LifecycleEffect.ProbePlayback) && Lifecycle.Channel is { } channel)
        {
            if (await media.IsPlayableAsync(channel, cancellationToken))
            {
                await ApplyAsync(new LifecycleEvent.PlaybackReady());
            }

            return;
        }

        _probeTimer?.Dispose();
        _probeTimer = null;
    }

    /// <summary>
    /// Stops the channel off the grain's turn, bounded by <see cref="MediaOptions.StopTimeout"/>: the command waits a
    /// little, and a longer stop (a long recording's remux) reports back through <see cref="ChannelStoppedAsync"/>.
    /// </summary>
    private async Task<LifecycleEvent?> StopChannelAsync()
    {
        if (Lifecycle.Channel is not { } channel)
        {
            return new LifecycleEvent.ChannelStopped(new MediaRecordingRequest(null, Pending: false));
        }

        if (_stopping is null)
        {
            var limit = mediaOptions.Value.StopTimeout;
            _stopping = Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(limit);
                return await media.StopChannelAsync(channel, timeout.Token);
            });
            var self = this.AsReference<ILiveSessionEffects>();
            _ = _stopping.ContinueWith(
                async stopped =>
                {
                    if (stopped.IsCompletedSuccessfully)
                    {
                        await self.ChannelStoppedAsync(stopped.Result);
                    }
                },
                CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        var stopping = _stopping;
        if (await Task.WhenAny(stopping, Task.Delay(StopWait)) != stopping)
        {
            return null;
        }

        _stopping = null;
        return new LifecycleEvent.ChannelStopped(await stopping);
    }

    private async Task<string> EnsureStreamKeyAsync()
    {
        if (Lifecycle.StreamKey is { } existing)
        {
            return existing;
        }

        // "<liveId>.<secret>": the ingest callback finds the grain from the key; only the secret part must be guessed.
        var secret = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        await CommitAsync(SessionMachine.Apply(Lifecycle, new LifecycleEvent.IssueKey($"{this.GetPrimaryKeyString()}.{secret}"), clock.GetUtcNow(), Options));
        return Lifecycle.StreamKey!;
    }

    private async Task ArmReminderAsync(DateTimeOffset? wakeUp)
    {
        if (wakeUp is null)
        {
            if (await this.GetReminder(DeadlineReminder) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }

            return;
        }

        // The period is only a safety net (a missed tick is retried); the due time carries the deadline. A due time
        // that is already past would count as the first tick and wait a whole period, so it is at least a second.
        var due = wakeUp.Value - clock.GetUtcNow();
        await this.RegisterOrUpdateReminder(DeadlineReminder, due < MinimumDue ? MinimumDue : due, TimeSpan.FromMinutes(1));
    }

    private static bool KeysMatch(string expected, string actual) =>
        System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(actual));

    private static string Name(SessionState? value) => value?.ToString().ToLowerInvariant() ?? "none";

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
            var remaining = (Lifecycle.Deadlines.MaxDurationAt ?? clock.GetUtcNow() + mediaOptions.Value.MaxDuration) - clock.GetUtcNow();
            this.DelayDeactivation(remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMinutes(1));
        }
        else if (!live && _liveMetrics is not null)
        {
            _liveMetrics.Dispose();
            _liveMetrics = null;
            this.DelayDeactivation(TimeSpan.Zero);
        }
    }

    private SessionSnapshot RequireOwner(string callerMentorId) =>
        RequireSession().MentorId == callerMentorId
            ? RequireSession()
            : throw new DomainException(DomainErrorKind.Forbidden, "Only the mentor who owns this session can do this.");

    private SessionSnapshot RequireSession(string mentorId) =>
        RequireSession() is { } session && session.MentorId == mentorId
            ? session
            : throw DomainException.NotFound("liveId", $"Mentor '{mentorId}' has no session '{this.GetPrimaryKeyString()}'.");

    private SessionSnapshot RequireSession() =>
        state.State.Session ?? throw DomainException.NotFound("liveId", $"Session '{this.GetPrimaryKeyString()}' does not exist.");
}
