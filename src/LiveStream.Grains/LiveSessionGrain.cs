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
using Orleans.Timers;

namespace LiveStream.Grains;

/// <summary>
/// The shell around <see cref="SessionMachine"/>: each command or event is decided by the machine, committed in one
/// write (<see cref="CommitAsync"/>), then <see cref="SessionEffectRunner"/> carries out its effects and their outcomes
/// are fed back the same way; <see cref="LifecycleReminder"/> wakes it at the next deadline. The viewers' side
/// (reactions, comments, the live feed) is in <c>LiveSessionGrain.Room.cs</c>, its logic in <see cref="SessionRoom"/>.
/// </summary>
public sealed partial class LiveSessionGrain(
    [PersistentState("session", GrainStorage.Name)] IPersistentState<LiveSessionState> state,
    IMediaProvider media,
    IOptions<MediaOptions> mediaOptions,
    IReminderRegistry reminders,
    TimeProvider clock,
    SessionEventOutbox events,
    IInteractionStore interactions,
    LiveStreamMetrics metrics,
    ILogger<LiveSessionGrain> logger) : Grain, ILiveSessionGrain, ILiveSessionEffects, ISessionNotificationHooks, IRemindable, ISessionEffectHost
{
    private static readonly TimeSpan ProbePeriod = TimeSpan.FromMilliseconds(500);

    private SessionRoom? _room;
    private SessionEffectRunner? _effects;
    private LifecycleReminder? _reminder;
    private ILiveSessionEffects? _self;
    private IGrainTimer? _feedTimer;
    private IGrainTimer? _probeTimer;
    private IGrainTimer? _resumeTimer;
    private LiveStreamMetrics.LiveSession? _liveMetrics;

    private LifecycleState Lifecycle => state.State.Lifecycle;

    private SessionRoom Room => _room ??= new SessionRoom(interactions, this.GetPrimaryKeyString(), clock, metrics, logger);

    private SessionEffectRunner Effects => _effects ??= new SessionEffectRunner(media, mediaOptions.Value, GrainFactory, logger);

    private LifecycleReminder Reminder => _reminder ??= new LifecycleReminder(reminders, clock, mediaOptions.Value.RetryDelay);

    private LifecycleOptions Options => new(
        media.PrewarmLead, media.ReportsPublisher, mediaOptions.Value.NoInputTimeout, mediaOptions.Value.ReconnectGrace,
        mediaOptions.Value.MaxDuration, mediaOptions.Value.NoShowTimeout, mediaOptions.Value.RecordingTimeout, mediaOptions.Value.RetryDelay);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Taken on the turn: a long stop reports back through it from a thread pool thread.
        _self = this.AsReference<ILiveSessionEffects>();
        TrackLive();
        if (Lifecycle.Outbox.Count > 0 && (Lifecycle.RetryAt is not { } retryAt || retryAt <= clock.GetUtcNow()))
        {
            // Effects left pending by a silo that died mid-way resume now, not at the next reminder tick (a minute or
            // more); on a timer, so a failing effect cannot fail the activation or the call that caused it.
            _resumeTimer = this.RegisterGrainTimer(ResumeOutboxAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
        }

        return Task.CompletedTask;
    }

    private async Task ResumeOutboxAsync(CancellationToken cancellationToken)
    {
        _resumeTimer?.Dispose();
        _resumeTimer = null;
        await RunOutboxAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _liveMetrics?.Dispose();
        _liveMetrics = null;
        metrics.TrackTransition(this.GetPrimaryKeyString(), null);
        return Task.CompletedTask;
    }

    public Task<SessionSnapshot?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(state.State.Session);

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
        if (Lifecycle.StreamKey is not { } key || !StreamKeys.Match(key, attempt.StreamKey))
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
        Effects.StopReported();
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
        ReleaseIfFinished();
        return decision;
    }

    /// <summary>
    /// A session that is over (cancelled, recorded, failed) with nothing left to carry out gives its activation back
    /// at once instead of after the collection age: mentors schedule and cancel all day, and each finished session
    /// would otherwise hold memory for 15 minutes. Its state stays in storage; a later read activates it again.
    /// </summary>
    private void ReleaseIfFinished()
    {
        if (Lifecycle.Session?.State is SessionState.Cancelled or SessionState.Recorded or SessionState.Failed
            && Lifecycle.Outbox.Count == 0
            && state.State.PendingEvents.Count == 0
            && _room?.HasFeedObservers != true)
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>
    /// The one place a lifecycle change is committed: the session, its outbox, its notifications and its next wake-up
    /// in one write; then the staged notifications are published and the reminder follows the wake-up.
    /// </summary>
    private async Task CommitAsync(Decision decision)
    {
        var before = Lifecycle;
        if (decision.State == before && decision.Notices.IsEmpty && state.State.WakeUpAt == Reminder.WakeUp(before, state.State.WakeUpAt))
        {
            return;
        }

        state.State.Lifecycle = decision.State;
        foreach (var kind in decision.Notices)
        {
            await events.StageAsync(this.GetGrainId(), state.State, kind);
        }

        var wakeUp = Reminder.WakeUp(decision.State, state.State.WakeUpAt);
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
            await Reminder.ArmAsync(this.GetGrainId(), wakeUp);
        }
    }

    /// <summary>Carries out each pending effect once and commits its outcome; what fails stays for the retry.</summary>
    private async Task RunOutboxAsync()
    {
        var tried = new HashSet<LifecycleEffect>();
        while (Lifecycle.Outbox.Where(pending => !tried.Contains(pending)).Select(pending => (LifecycleEffect?)pending).FirstOrDefault() is { } effect)
        {
            tried.Add(effect);
            if (await Effects.RunAsync(Lifecycle, effect, this) is { } outcome)
            {
                await CommitAsync(SessionMachine.Apply(Lifecycle, outcome, clock.GetUtcNow(), Options));
            }
        }
    }

    /// <summary>Each resource id is saved before the provider makes the next call that depends on it.</summary>
    Task ISessionEffectHost.SaveChannelAsync(MediaChannel partial) =>
        CommitAsync(SessionMachine.Apply(Lifecycle, new LifecycleEvent.ChannelProgress(partial), clock.GetUtcNow(), Options));

    /// <summary>Probes twice a second while the probe is pending (the reminder restarts it after a crash).</summary>
    void ISessionEffectHost.ProbeLater() =>
        _probeTimer ??= this.RegisterGrainTimer(ProbeTickAsync, new GrainTimerCreationOptions(ProbePeriod, ProbePeriod));

    Task ISessionEffectHost.ReportStoppedAsync(MediaRecordingRequest recording) => _self!.ChannelStoppedAsync(recording);

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

    Task<string> ISessionEffectHost.EnsureStreamKeyAsync() => EnsureStreamKeyAsync();

    private async Task<string> EnsureStreamKeyAsync()
    {
        if (Lifecycle.StreamKey is { } existing)
        {
            return existing;
        }

        await CommitAsync(SessionMachine.Apply(Lifecycle, new LifecycleEvent.IssueKey(StreamKeys.New(this.GetPrimaryKeyString())), clock.GetUtcNow(), Options));
        return Lifecycle.StreamKey!;
    }

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
