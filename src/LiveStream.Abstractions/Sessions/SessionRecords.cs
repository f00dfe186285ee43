namespace LiveStream.Abstractions.Sessions;

[GenerateSerializer, Immutable]
[Alias("livestream.schedule-session-command")]
public sealed record ScheduleSessionCommand(
    [property: Id(0)] string CourseId,
    [property: Id(1)] string Title,
    [property: Id(2)] DateTimeOffset ScheduledStart,
    [property: Id(3)] string? IdempotencyKey = null,
    [property: Id(4)] SessionVisibility Visibility = SessionVisibility.Public,
    [property: Id(5)] int MaxUpcomingSessions = 0) : IIdempotentCommand;

/// <summary>What a session grain is given when it is created; the mentor grain has validated it.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-definition")]
public sealed record SessionDefinition(
    [property: Id(0)] string LiveId,
    [property: Id(1)] string MentorId,
    [property: Id(2)] string CourseId,
    [property: Id(3)] string Title,
    [property: Id(4)] DateTimeOffset ScheduledStart,
    [property: Id(5)] SessionVisibility Visibility = SessionVisibility.Public);

/// <summary>The full state of a session as clients see it.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-snapshot")]
public sealed record SessionSnapshot(
    [property: Id(0)] string LiveId,
    [property: Id(1)] string MentorId,
    [property: Id(2)] string CourseId,
    [property: Id(3)] string Title,
    [property: Id(4)] SessionState State,
    [property: Id(5)] DateTimeOffset ScheduledStart,
    [property: Id(6)] DateTimeOffset CreatedAt,
    [property: Id(7)] DateTimeOffset? StartedAt,
    [property: Id(8)] DateTimeOffset? EndedAt,
    [property: Id(9)] string? PlaybackUrl,
    [property: Id(10)] string? RecordingUrl,
    [property: Id(11)] string? FailureReason,
    [property: Id(12)] string? RecordingFailure = null,
    [property: Id(13)] SessionVisibility Visibility = SessionVisibility.Public)
{
    public SessionSummary ToSummary() => new(LiveId, CourseId, Title, State, ScheduledStart, CreatedAt);
}

/// <summary>One row of a mentor's session list.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-summary")]
public sealed record SessionSummary(
    [property: Id(0)] string LiveId,
    [property: Id(1)] string CourseId,
    [property: Id(2)] string Title,
    [property: Id(3)] SessionState State,
    [property: Id(4)] DateTimeOffset ScheduledStart,
    [property: Id(5)] DateTimeOffset CreatedAt);

/// <summary>Where the owning mentor's encoder publishes (RTMP) and the secret stream key it must use.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-ingest")]
public sealed record SessionIngest(
    [property: Id(0)] string Url,
    [property: Id(1)] string StreamKey);

/// <summary>The ingest server asks whether a publisher with this key may publish; the connection id tells publishers apart.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.publish-attempt")]
public sealed record PublishAttempt(
    [property: Id(0)] string StreamKey,
    [property: Id(1)] string ConnectionId);

/// <summary>
/// A cloud encoder's view of the publisher (AWS: a MediaLive input alert raised or cleared). <paramref name="Alarm"/>
/// names the condition (e.g. the alert type), <paramref name="InputLost"/> whether it is raised, and
/// <paramref name="At"/> when the encoder observed it, so duplicated or out-of-order deliveries can be folded in.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("livestream.media-input-signal")]
public sealed record MediaInputSignal(
    [property: Id(0)] string Alarm,
    [property: Id(1)] bool InputLost,
    [property: Id(2)] DateTimeOffset At);

/// <summary>
/// What a session's detail page shows of the session grain, in one call: the session and, once it has been live,
/// its reaction counts (null before: nobody can have reacted).
/// </summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-view")]
public sealed record SessionView(
    [property: Id(0)] SessionSnapshot Session,
    [property: Id(1)] System.Collections.Immutable.ImmutableDictionary<string, long>? Reactions,
    [property: Id(2)] int Viewers = 0);
