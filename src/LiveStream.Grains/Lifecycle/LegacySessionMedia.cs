using LiveStream.Abstractions.Sessions;
using LiveStream.Grains.Lifecycle;
using LiveStream.Infrastructure.Media;

// The type name is part of stored rows ("$type"), so it keeps the namespace the old grain declared it in.
namespace LiveStream.Grains;

/// <summary>
/// The media side of a session as stored before the lifecycle rewrite (the grain state of commit fce33b7): read only,
/// from rows written then, and folded into <see cref="LifecycleState"/> by <see cref="LiveSessionState.Media"/>.
/// New rows never contain it.
/// </summary>
[GenerateSerializer]
[Alias("livestream.session-media")]
public sealed class SessionMedia
{
    [Id(0)]
    public string? StreamKey { get; set; }

    [Id(1)]
    public MediaChannel? Channel { get; set; }

    [Id(2)]
    public string? PublisherId { get; set; }

    [Id(3)]
    public DateTimeOffset? NoInputDeadline { get; set; }

    [Id(4)]
    public DateTimeOffset? ReconnectDeadline { get; set; }

    [Id(5)]
    public DateTimeOffset? MaxDurationDeadline { get; set; }

    [Id(6)]
    public DateTimeOffset? EndRetryAt { get; set; }

    [Id(7)]
    public DateTimeOffset? PrewarmAt { get; set; }

    [Id(8)]
    public DateTimeOffset? NoShowDeadline { get; set; }

    [Id(9)]
    public bool ChannelDeleted { get; set; }

    [Id(11)]
    public DateTimeOffset? CleanupRetryAt { get; set; }

    /// <summary>Read and ignored: the new grain finds out from the reminder service itself.</summary>
    [Id(10)]
    public bool HasReminder { get; set; }

    [Id(12)]
    public Dictionary<string, MediaInputSignal> InputAlarms { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The old media state as the new lifecycle: the same key, channel, publisher and deadlines, and as pending effects
    /// what the old grain would have retried (a stop, a clean-up). The old grain saved a channel only once every resource
    /// existed, so a saved one is ready. Its reminder has the lifecycle reminder's name, so it wakes the new grain.
    /// </summary>
    public LifecycleState FoldInto(LifecycleState lifecycle)
    {
        var state = lifecycle.State;
        var outbox = new List<LifecycleEffect>(lifecycle.Outbox);
        if (state == SessionState.Ending || EndRetryAt is not null)
        {
            outbox.Add(LifecycleEffect.StopChannel);
        }

        var over = state is SessionState.Recorded or SessionState.Cancelled or SessionState.Failed;
        if (Channel is not null && !ChannelDeleted && (CleanupRetryAt is not null || over))
        {
            outbox.Add(LifecycleEffect.DeleteChannel);
        }

        return lifecycle with
        {
            StreamKey = StreamKey,
            Channel = Channel,
            ChannelReady = Channel is not null && !ChannelDeleted,
            ChannelDeleted = ChannelDeleted,
            PublisherId = PublisherId,
            InputAlarms = new Dictionary<string, MediaInputSignal>(InputAlarms, StringComparer.Ordinal),
            Deadlines = new LifecycleDeadlines
            {
                PrewarmAt = PrewarmAt,
                NoShowAt = NoShowDeadline,
                NoInputAt = NoInputDeadline,
                ReconnectAt = ReconnectDeadline,
                MaxDurationAt = MaxDurationDeadline,
            },
            Outbox = outbox.Distinct().ToArray(),
            RetryAt = outbox.Count > 0 ? EndRetryAt ?? CleanupRetryAt ?? DateTimeOffset.MinValue : null,
        };
    }
}
