using System.Collections.Immutable;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using static LiveStream.Grains.Lifecycle.LifecycleEvent;

namespace LiveStream.Grains.Lifecycle;

/// <summary>
/// The session lifecycle as pure transitions: (state, event, now, options) -> decision. Nothing here waits, calls out
/// or reads a clock, so every (state, event) pair is tested without a cluster. Each event has one method below; an
/// event that does not apply in the current state (late, duplicated, out of order) leaves the state as it is.
/// </summary>
public static class SessionMachine
{
    /// <summary>The publisher as a cloud encoder reports it: one per channel, with no connection of its own.</summary>
    public const string EncoderPublisher = "encoder";

    public const string NoInputReason = "No input arrived before the timeout.";

    public const string RecordingTimeoutReason = "The recording was not ready before its deadline.";

    public static Decision Apply(LifecycleState state, LifecycleEvent @event, DateTimeOffset now, LifecycleOptions options) => @event switch
    {
        Schedule e => Schedule_(state, e.Definition, now, options),
        IssueKey e => Same(state.StreamKey is null ? state with { StreamKey = e.StreamKey } : state),
        Start => Start_(state, now, options),
        Stop => Stop_(state),
        Cancel => Cancel_(state, now),
        PublisherArrived e => PublisherArrived_(state, e.ConnectionId, options),
        PublisherLeft e => PublisherLeft_(state, e.ConnectionId, now, options),
        InputSignal e => InputSignal_(state, e.Signal, now, options),
        RecordingReady e => RecordingReady_(state, e.RecordingUrl),
        ChannelProgress e => Same(state.ChannelReady || state.ChannelDeleted ? state : state with { Channel = e.Channel }),
        ChannelReady e => ChannelReady_(state, e, options),
        PlaybackReady => PlaybackReady_(state, now, options),
        ChannelStopped e => ChannelStopped_(state, e.Recording, now, options),
        ChannelDeleted => ChannelDeleted_(state),
        Indexed => Same(Done(state, LifecycleEffect.IndexSession)),
        EffectFailed e => Same(state.Outbox.Contains(e.Effect) ? state with { RetryAt = now + options.RetryDelay } : state),
        Tick => Tick_(state, now, options),
        _ => throw new ArgumentOutOfRangeException(nameof(@event), @event, "Unknown lifecycle event."),
    };

    private static Decision Schedule_(LifecycleState state, SessionDefinition definition, DateTimeOffset now, LifecycleOptions options)
    {
        if (state.Session is { } existing)
        {
            // A retried schedule (same idempotency key, same content) is answered with what exists.
            return Defines(existing, definition)
                ? Same(state)
                : Decision.Refuse(state, "A different session already exists with this id (idempotency key reused with other content).");
        }

        var session = new SessionSnapshot(
            definition.LiveId, definition.MentorId, definition.CourseId, definition.Title, SessionState.Scheduled,
            definition.ScheduledStart, now, StartedAt: null, EndedAt: null, PlaybackUrl: null, RecordingUrl: null, FailureReason: null,
            Visibility: definition.Visibility);
        var deadlines = options.PrewarmLead > TimeSpan.Zero ? new LifecycleDeadlines { PrewarmAt = definition.ScheduledStart - options.PrewarmLead } : new LifecycleDeadlines();
        return new Decision(state with { Session = session, Deadlines = deadlines }, [NotificationKind.Scheduled]);
    }

    private static Decision Start_(LifecycleState state, DateTimeOffset now, LifecycleOptions options)
    {
        switch (state.State)
        {
            case SessionState.Starting or SessionState.Live:
                return Same(state);
            case not SessionState.Scheduled:
                return Refuse(state, "started");
        }

        var next = Move(state, SessionState.Starting) with { Deadlines = new LifecycleDeadlines { NoInputAt = now + options.NoInputTimeout } };
        if (!next.ChannelReady)
        {
            // A half-created (or pre-warm in flight) channel is completed, never created twice.
            return Same(Do(next with { ChannelDeleted = false }, LifecycleEffect.PrepareChannel));
        }

        return Same(AwaitPlayback(next, options));
    }

    /// <summary>Starting with a running channel: probe once a publisher is there (or at once when the provider cannot tell).</summary>
    private static LifecycleState AwaitPlayback(LifecycleState state, LifecycleOptions options)
    {
        if (!options.ReportsPublisher)
        {
            return Do(state, LifecycleEffect.ProbePlayback);
        }

        if (state.PublisherId is null && state.EncoderHasInput)
        {
            // The mentor pushed into the pre-warmed channel before pressing start.
            state = state with { PublisherId = EncoderPublisher };
        }

        return state.PublisherId is null ? state : Do(state, LifecycleEffect.ProbePlayback);
    }

    private static Decision ChannelReady_(LifecycleState state, ChannelReady ready, LifecycleOptions options)
    {
        var next = Done(state, LifecycleEffect.PrepareChannel) with { Channel = ready.Channel, ChannelReady = true, ChannelDeleted = false };
        switch (state.State)
        {
            case SessionState.Scheduled:
                // Pre-warmed: released again when nobody starts it.
                return Same(next with { Deadlines = next.Deadlines with { PrewarmAt = null, NoShowAt = state.Session!.ScheduledStart + options.NoShowTimeout } });
            case SessionState.Starting:
                return Same(AwaitPlayback(next, options));
            case SessionState.Live or SessionState.Ending:
                return Same(next);
            default:
                // Created after the session was over (a start racing a cancel or a failure): nothing may keep running.
                return Same(Do(next, LifecycleEffect.DeleteChannel));
        }
    }

    private static Decision PublisherArrived_(LifecycleState state, string connectionId, LifecycleOptions options)
    {
        switch (state.State)
        {
            case SessionState.Starting when state.PublisherId is null || state.PublisherId == connectionId:
                var arrived = state with { PublisherId = connectionId };
                return Same(arrived.ChannelReady ? Do(arrived, LifecycleEffect.ProbePlayback) : arrived);
            case SessionState.Live when state.PublisherId == connectionId:
                // A duplicated callback for the publisher we already accepted.
                return Same(state);
            case SessionState.Live when state.PublisherId is null:
                return Same(state with { PublisherId = connectionId, Deadlines = state.Deadlines with { ReconnectAt = null } });
            default:
                // A second publisher, or a session that accepts none (not started, or over).
                return new Decision(state, [], Accepted: false);
        }
    }

    private static Decision PublisherLeft_(LifecycleState state, string connectionId, DateTimeOffset now, LifecycleOptions options)
    {
        if (state.PublisherId != connectionId)
        {
            // Late, duplicated, or for a publisher we refused.
            return Same(state);
        }

        return state.State switch
        {
            SessionState.Live => Same(state with { PublisherId = null, Deadlines = state.Deadlines with { ReconnectAt = now + options.ReconnectGrace } }),
            SessionState.Starting => Same(Done(state with { PublisherId = null }, LifecycleEffect.ProbePlayback)),
            _ => Same(state),
        };
    }

    private static Decision InputSignal_(LifecycleState state, MediaInputSignal signal, DateTimeOffset now, LifecycleOptions options)
    {
        if (state.Channel is null || state.ChannelDeleted || state.State is not (SessionState.Scheduled or SessionState.Starting or SessionState.Live))
        {
            // No channel (yet or any more): an alarm of a deleted or not yet created channel says nothing now.
            return Same(state);
        }

        if (state.InputAlarms.TryGetValue(signal.Alarm, out var known)
            && (signal.At < known.At || (signal.At == known.At && signal.InputLost && !known.InputLost)))
        {
            // Older than what we know. Within one timestamp the order is unknown; an input that is there wins, since
            // wrongly ending a session is worse than the maximum duration bounding one whose input is gone.
            return Same(state);
        }

        var hadInput = state.EncoderHasInput;
        var next = state with { InputAlarms = new Dictionary<string, MediaInputSignal>(state.InputAlarms, StringComparer.Ordinal) { [signal.Alarm] = signal } };
        if (next.EncoderHasInput && (!hadInput || next.PublisherId is null) && next.State != SessionState.Scheduled)
        {
            var arrived = PublisherArrived_(next, EncoderPublisher, options);
            return arrived.Accepted ? arrived : Same(next);
        }

        return !next.EncoderHasInput && hadInput ? PublisherLeft_(next, EncoderPublisher, now, options) : Same(next);
    }

    private static Decision PlaybackReady_(LifecycleState state, DateTimeOffset now, LifecycleOptions options)
    {
        var next = Done(state, LifecycleEffect.ProbePlayback);
        if (state.State != SessionState.Starting || (options.ReportsPublisher && state.PublisherId is null) || state.Channel is null)
        {
            return Same(next);
        }

        next = Move(next, SessionState.Live, s => s with { StartedAt = now, PlaybackUrl = state.Channel.PlaybackUrl });
        return new Decision(next with { Deadlines = new LifecycleDeadlines { MaxDurationAt = now + options.MaxDuration } }, [NotificationKind.Live]);
    }

    private static Decision Stop_(LifecycleState state) => state.State switch
    {
        SessionState.Ending or SessionState.Ended or SessionState.Recorded => Same(state),
        SessionState.Starting or SessionState.Live => Same(End(state)),
        _ => Refuse(state, "stopped"),
    };

    /// <summary>Live or starting -> ending: persisted before the channel is touched; the stop's outcome ends it.</summary>
    private static LifecycleState End(LifecycleState state)
    {
        var ending = Move(state, SessionState.Ending, s => s with { PlaybackUrl = null });
        ending = Done(Done(ending, LifecycleEffect.ProbePlayback), LifecycleEffect.PrepareChannel) with { PublisherId = null, Deadlines = new LifecycleDeadlines() };
        return Do(ending, LifecycleEffect.StopChannel);
    }

    private static Decision ChannelStopped_(LifecycleState state, Infrastructure.Media.MediaRecordingRequest recording, DateTimeOffset now, LifecycleOptions options)
    {
        if (state.State != SessionState.Ending)
        {
            return Same(Done(state, LifecycleEffect.StopChannel));
        }

        var ended = Move(Done(state, LifecycleEffect.StopChannel), SessionState.Ended, s => s with { EndedAt = now });
        if ((recording.RecordingUrl ?? state.EarlyRecordingUrl) is { } url)
        {
            return Recorded(ended, url);
        }

        return recording.Pending
            ? Same(ended with { Deadlines = new LifecycleDeadlines { RecordingAt = now + options.RecordingTimeout } })
            : Same(Do(ended, LifecycleEffect.DeleteChannel));
    }

    private static Decision RecordingReady_(LifecycleState state, string url) => state.State switch
    {
        // Early: the stop is still being folded in; kept and applied once the session has ended.
        SessionState.Ending => Same(state with { EarlyRecordingUrl = url }),

        // Also late, after its deadline: the recording exists after all, so the session gets it.
        SessionState.Ended => Recorded(state, url),
        _ => Same(state),
    };

    private static Decision Recorded(LifecycleState state, string url)
    {
        var recorded = Move(state, SessionState.Recorded, s => s with { RecordingUrl = url, RecordingFailure = null });
        recorded = recorded with { EarlyRecordingUrl = null, Deadlines = new LifecycleDeadlines() };
        return new Decision(recorded.ChannelDeleted ? recorded : Do(recorded, LifecycleEffect.DeleteChannel), [NotificationKind.RecordingReady]);
    }

    private static Decision Cancel_(LifecycleState state, DateTimeOffset now)
    {
        switch (state.State)
        {
            case SessionState.Cancelled:
                // A retry after a failed index update must still repair the mentor's list.
                return Same(Do(state, LifecycleEffect.IndexSession));
            case not (SessionState.Scheduled or SessionState.Starting):
                return Refuse(state, "cancelled");
        }

        var cancelled = Move(state, SessionState.Cancelled, s => s with { EndedAt = now, PlaybackUrl = null });
        cancelled = Done(Done(cancelled, LifecycleEffect.ProbePlayback), LifecycleEffect.PrepareChannel) with { PublisherId = null, Deadlines = new LifecycleDeadlines() };
        return new Decision(Release(cancelled), [NotificationKind.Cancelled]);
    }

    private static Decision ChannelDeleted_(LifecycleState state)
    {
        var next = Done(state, LifecycleEffect.DeleteChannel) with { ChannelDeleted = true };
        return Same(next.State == SessionState.Scheduled
            // A released pre-warmed channel: a later start creates a fresh one.
            ? next with { Channel = null, ChannelReady = false, ChannelDeleted = false, InputAlarms = new Dictionary<string, MediaInputSignal>(StringComparer.Ordinal) }
            : next);
    }

    private static Decision Tick_(LifecycleState state, DateTimeOffset now, LifecycleOptions options)
    {
        var due = state.Deadlines;
        switch (state.State)
        {
            case SessionState.Scheduled when due.PrewarmAt <= now:
                return Same(Do(state with { Deadlines = due with { PrewarmAt = null } }, LifecycleEffect.PrepareChannel));
            case SessionState.Scheduled when due.NoShowAt <= now:
                return Same(Release(state with { Deadlines = due with { NoShowAt = null } }));
            case SessionState.Starting when due.NoInputAt <= now:
                var failed = Move(state, SessionState.Failed, s => s with { EndedAt = now, FailureReason = NoInputReason });
                failed = Done(Done(failed, LifecycleEffect.ProbePlayback), LifecycleEffect.PrepareChannel) with { PublisherId = null, Deadlines = new LifecycleDeadlines() };
                return Same(Release(failed));
            case SessionState.Live when due.ReconnectAt <= now || due.MaxDurationAt <= now:
                return Same(End(state));
            case SessionState.Ended when due.RecordingAt <= now:
                // The mentor is told; followers, who were never promised a recording, are not.
                var unrecorded = Move(state, SessionState.Ended, s => s with { RecordingFailure = RecordingTimeoutReason });
                return new Decision(Release(unrecorded with { Deadlines = new LifecycleDeadlines() }), [NotificationKind.RecordingFailed]);
            default:
                return Same(state);
        }
    }

    /// <summary>Deletes whatever exists of the channel (also a half-created one).</summary>
    private static LifecycleState Release(LifecycleState state) =>
        state.Channel is null || state.ChannelDeleted ? state : Do(state, LifecycleEffect.DeleteChannel);

    /// <summary>Changes the session's state (only along <see cref="SessionLifecycle"/>) and projects it to the mentor's list.</summary>
    private static LifecycleState Move(LifecycleState state, SessionState to, Func<SessionSnapshot, SessionSnapshot>? apply = null)
    {
        var session = state.Session ?? throw new InvalidOperationException("No session to move.");
        if (session.State != to && !SessionLifecycle.CanTransition(session.State, to))
        {
            throw new InvalidOperationException($"A session that is {session.State} cannot become {to}.");
        }

        var next = session with { State = to };
        return Do(state with { Session = apply is null ? next : apply(next) }, LifecycleEffect.IndexSession);
    }

    private static LifecycleState Do(LifecycleState state, LifecycleEffect effect) =>
        state.Outbox.Contains(effect) ? state : state with { Outbox = state.Outbox.Append(effect).ToArray() };

    private static LifecycleState Done(LifecycleState state, LifecycleEffect effect) =>
        state.Outbox.Contains(effect) ? state with { Outbox = state.Outbox.Where(pending => pending != effect).ToArray() } : state;

    private static Decision Same(LifecycleState state) => new(state, []);

    private static Decision Refuse(LifecycleState state, string verb) =>
        Decision.Refuse(state, $"A session that is {state.State?.ToString().ToLowerInvariant() ?? "unknown"} cannot be {verb}.");

    /// <summary>Whether an existing session is what this definition asks for (a retried schedule, not a reused key).</summary>
    public static bool Defines(SessionSnapshot session, SessionDefinition definition) =>
        session.MentorId == definition.MentorId
        && session.CourseId == definition.CourseId
        && session.Title == definition.Title
        && session.ScheduledStart == definition.ScheduledStart
        && session.Visibility == definition.Visibility;
}
