using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Lifecycle;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Media;

namespace LiveStream.Grains;

/// <summary>What <see cref="LiveSessionGrain"/> persists, in one row: the lifecycle, the notification outbox and the room's mutes.</summary>
[GenerateSerializer]
[Alias("livestream.live-session-state")]
public sealed class LiveSessionState
{
    /// <summary>The session, its media side, its deadlines and its outbox of media effects (see <see cref="SessionMachine"/>).</summary>
    [Id(5)]
    public LifecycleState Lifecycle { get; set; } = new();

    /// <summary>
    /// The session (stored in <see cref="Lifecycle"/>). Settable for rows written before the lifecycle rewrite, which
    /// kept it here: the storage serializer reads such a row's "Session" into the lifecycle. A current row repeats the
    /// lifecycle's own session here, so reading it back changes nothing.
    /// </summary>
    public SessionSnapshot? Session
    {
        get => Lifecycle.Session;
        set => Lifecycle = value is null ? Lifecycle : Lifecycle with { Session = value };
    }

    /// <summary>Only read, from rows written before the lifecycle rewrite: their media side, folded into <see cref="Lifecycle"/>.</summary>
    public SessionMedia? Media
    {
        set => Lifecycle = value is null ? Lifecycle : value.FoldInto(Lifecycle);
    }

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
