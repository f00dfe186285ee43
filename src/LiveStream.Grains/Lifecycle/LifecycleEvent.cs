using System.Collections.Immutable;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Media;

namespace LiveStream.Grains.Lifecycle;

/// <summary>Everything that can happen to a session: a mentor's command, a media event, an effect's outcome, or time passing.</summary>
public abstract record LifecycleEvent
{
    private LifecycleEvent()
    {
    }

    // The mentor's commands.
    public sealed record Schedule(SessionDefinition Definition) : LifecycleEvent;

    public sealed record IssueKey(string StreamKey) : LifecycleEvent;

    public sealed record Start : LifecycleEvent;

    public sealed record Stop : LifecycleEvent;

    public sealed record Cancel : LifecycleEvent;

    // Media events (duplicated, late and out of order).
    /// <summary>A publisher with the right stream key connected (the key was checked by the caller).</summary>
    public sealed record PublisherArrived(string ConnectionId) : LifecycleEvent;

    public sealed record PublisherLeft(string ConnectionId) : LifecycleEvent;

    public sealed record InputSignal(MediaInputSignal Signal) : LifecycleEvent;

    public sealed record RecordingReady(string RecordingUrl) : LifecycleEvent;

    // Outcomes of effects.
    /// <summary>Part of the channel exists (saved before the next resource is created).</summary>
    public sealed record ChannelProgress(MediaChannel Channel) : LifecycleEvent;

    public sealed record ChannelReady(MediaChannel Channel) : LifecycleEvent;

    public sealed record PlaybackReady : LifecycleEvent;

    public sealed record ChannelStopped(MediaRecordingRequest Recording) : LifecycleEvent;

    public sealed record ChannelDeleted : LifecycleEvent;

    public sealed record Indexed : LifecycleEvent;

    public sealed record EffectFailed(LifecycleEffect Effect, string Reason) : LifecycleEvent;

    /// <summary>The reminder fired: deadlines at or before now are due.</summary>
    public sealed record Tick : LifecycleEvent;
}

/// <summary>
/// The outcome of one event: the next state (its outbox holds the effects to carry out), the notifications to stage
/// in the same write, and the answer for the caller (a refusal, or whether a publisher was accepted).
/// </summary>
public sealed record Decision(LifecycleState State, ImmutableList<NotificationKind> Notices, string? Refusal = null, bool Accepted = true)
{
    public static Decision Refuse(LifecycleState state, string reason) => new(state, [], reason, Accepted: false);
}
