using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Media;

namespace LiveStream.Grains.Lifecycle;

/// <summary>
/// Everything the session lifecycle decides on, as one immutable value: the session clients see, its media side,
/// its deadlines and the outbox of effects still to carry out. <see cref="SessionMachine"/> turns one value into the
/// next; the grain persists it in one write.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("livestream.lifecycle-state")]
public sealed record LifecycleState
{
    [Id(0)] public SessionSnapshot? Session { get; init; }

    /// <summary>"&lt;liveId&gt;.&lt;secret&gt;", issued on first use.</summary>
    [Id(1)] public string? StreamKey { get; init; }

    /// <summary>The channel's resources as far as they exist: saved after each resource is created, so none is ever unknown.</summary>
    [Id(2)] public MediaChannel? Channel { get; init; }

    /// <summary>Every resource of <see cref="Channel"/> exists and the channel runs.</summary>
    [Id(3)] public bool ChannelReady { get; init; }

    /// <summary>The channel's resources were deleted (the record stays for its ids and URLs).</summary>
    [Id(4)] public bool ChannelDeleted { get; init; }

    /// <summary>The publisher holding the session (an ingest connection, or the cloud encoder); null while nobody does.</summary>
    [Id(5)] public string? PublisherId { get; init; }

    /// <summary>The latest signal per input alarm of a cloud encoder, so stale and duplicated ones fold in.</summary>
    [Id(6)] public IReadOnlyDictionary<string, MediaInputSignal> InputAlarms { get; init; } = new Dictionary<string, MediaInputSignal>(StringComparer.Ordinal);

    [Id(7)] public LifecycleDeadlines Deadlines { get; init; } = new();

    /// <summary>A recording reported while the session was still ending; applied once it has ended.</summary>
    [Id(8)] public string? EarlyRecordingUrl { get; init; }

    /// <summary>
    /// Effects decided but not yet done; carried out after each commit and retried from the reminder. Always an array:
    /// the storage serializer records the runtime type, and a compiler-made collection type could not be read back.
    /// </summary>
    [Id(9)] public IReadOnlyList<LifecycleEffect> Outbox { get; init; } = Array.Empty<LifecycleEffect>();

    /// <summary>When the outbox is retried after an effect failed.</summary>
    [Id(10)] public DateTimeOffset? RetryAt { get; init; }

    /// <summary>The encoder has seen input and no input alarm is raised now.</summary>
    public bool EncoderHasInput => InputAlarms.Count > 0 && InputAlarms.Values.All(alarm => !alarm.InputLost);

    public SessionState? State => Session?.State;

    /// <summary>The earliest moment the grain must wake up: a deadline, or the retry of a pending effect.</summary>
    public DateTimeOffset? NextWakeUp()
    {
        var retry = Outbox.Count == 0 ? null : RetryAt;
        return new[] { Deadlines.Earliest, retry }.Where(at => at is not null).Min();
    }
}

/// <summary>The lifecycle's timers; each is set only in the state it belongs to.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.lifecycle-deadlines")]
public sealed record LifecycleDeadlines
{
    /// <summary>Scheduled: prepare the channel ahead of the start (providers with a pre-warm lead).</summary>
    [Id(0)] public DateTimeOffset? PrewarmAt { get; init; }

    /// <summary>Scheduled with a pre-warmed channel: release it when nobody started by then.</summary>
    [Id(1)] public DateTimeOffset? NoShowAt { get; init; }

    /// <summary>Starting: fail when the session is not playable by then.</summary>
    [Id(2)] public DateTimeOffset? NoInputAt { get; init; }

    /// <summary>Live without a publisher: end when it has not reconnected by then.</summary>
    [Id(3)] public DateTimeOffset? ReconnectAt { get; init; }

    /// <summary>Live: stop at the maximum duration.</summary>
    [Id(4)] public DateTimeOffset? MaxDurationAt { get; init; }

    /// <summary>Ended with a recording pending: give up waiting for it then.</summary>
    [Id(5)] public DateTimeOffset? RecordingAt { get; init; }

    public DateTimeOffset? Earliest => new[] { PrewarmAt, NoShowAt, NoInputAt, ReconnectAt, MaxDurationAt, RecordingAt }.Where(at => at is not null).Min();
}

/// <summary>What the lifecycle needs to know of the configuration and the media provider.</summary>
public sealed record LifecycleOptions(
    TimeSpan PrewarmLead,
    bool ReportsPublisher,
    TimeSpan NoInputTimeout,
    TimeSpan ReconnectGrace,
    TimeSpan MaxDuration,
    TimeSpan NoShowTimeout,
    TimeSpan RecordingTimeout,
    TimeSpan RetryDelay);

/// <summary>Something the lifecycle asks the outside world to do; done at least once, so every effect is idempotent.</summary>
[GenerateSerializer]
[Alias("livestream.lifecycle-effect")]
public enum LifecycleEffect
{
    /// <summary>Create (or find again) every resource of the channel and start it; reports <see cref="LifecycleEvent.ChannelReady"/>.</summary>
    PrepareChannel = 0,

    /// <summary>Ask the playback URL until its playlist lists a segment; reports <see cref="LifecycleEvent.PlaybackReady"/>.</summary>
    ProbePlayback = 1,

    /// <summary>Drop the publisher and request the recording; reports <see cref="LifecycleEvent.ChannelStopped"/>.</summary>
    StopChannel = 2,

    /// <summary>Delete every resource of the channel; reports <see cref="LifecycleEvent.ChannelDeleted"/>.</summary>
    DeleteChannel = 3,

    /// <summary>Project the session into its mentor's list; reports <see cref="LifecycleEvent.Indexed"/>.</summary>
    IndexSession = 4,
}
