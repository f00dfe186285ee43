using System.Collections.Immutable;

namespace LiveStream.Abstractions.Notifications;

/// <summary>What happened to a session that its mentor's followers are told about.</summary>
[GenerateSerializer]
[Alias("livestream.notification-kind")]
public enum NotificationKind
{
    Scheduled = 0,

    /// <summary>The session starts shortly (sent once, <c>Notifications:PreStartLead</c> before the start).</summary>
    Reminder = 1,
    Live = 2,
    RecordingReady = 3,
    Cancelled = 4,

    /// <summary>The recording was not ready by its deadline. Told to the session's mentor only, not to followers.</summary>
    RecordingFailed = 5,
}

public static class NotificationKinds
{
    /// <summary>The stable wire and storage name (<c>recording-ready</c>); part of the idempotency key.</summary>
    public static string ToName(this NotificationKind kind) => kind switch
    {
        NotificationKind.Scheduled => "scheduled",
        NotificationKind.Reminder => "reminder",
        NotificationKind.Live => "live",
        NotificationKind.RecordingReady => "recording-ready",
        NotificationKind.Cancelled => "cancelled",
        NotificationKind.RecordingFailed => "recording-failed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown notification kind."),
    };

    /// <summary>Whether the event goes to the session's mentor rather than to the mentor's followers.</summary>
    public static bool IsForMentor(this NotificationKind kind) => kind == NotificationKind.RecordingFailed;

    public static NotificationKind Parse(string name) => name switch
    {
        "scheduled" => NotificationKind.Scheduled,
        "reminder" => NotificationKind.Reminder,
        "live" => NotificationKind.Live,
        "recording-ready" => NotificationKind.RecordingReady,
        "cancelled" => NotificationKind.Cancelled,
        "recording-failed" => NotificationKind.RecordingFailed,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown notification kind."),
    };
}

/// <summary>One event of one session, as the session grain emits it and the fan-out copies it to each follower.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.session-event")]
public sealed record SessionEvent(
    [property: Id(0)] string LiveId,
    [property: Id(1)] string MentorId,
    [property: Id(2)] NotificationKind Kind,
    [property: Id(3)] string Title,
    [property: Id(4)] DateTimeOffset ScheduledStart,
    [property: Id(5)] DateTimeOffset OccurredAt);

/// <summary>
/// One queued unit of fan-out work: tell these followers (a chunk of one page of the follows table, in key
/// order) about this event. One message carries a whole chunk, so the queue, the pulling agents and the inbox
/// writes work per chunk rather than per follower; exactly-once stays per (event, mentee) in the inbox.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("livestream.notification-batch")]
public sealed record NotificationBatch(
    [property: Id(0)] SessionEvent Event,
    [property: Id(1)] ImmutableArray<string> MenteeIds);

/// <summary>A notification in a mentee's inbox. <see cref="Id"/> is the paging cursor.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.notification")]
public sealed record Notification(
    [property: Id(0)] long Id,
    [property: Id(1)] string LiveId,
    [property: Id(2)] string MentorId,
    [property: Id(3)] NotificationKind Kind,
    [property: Id(4)] string Title,
    [property: Id(5)] string Body,
    [property: Id(6)] DateTimeOffset CreatedAt);

/// <summary>How far one fan-out got; the cursor is durable, so a fan-out resumes where it stopped.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.fan-out-progress")]
public sealed record FanOutProgress(
    [property: Id(0)] bool Started,
    [property: Id(1)] bool Completed,
    [property: Id(2)] long Enqueued,
    [property: Id(3)] string? Cursor,
    [property: Id(4)] int Resumptions);

/// <summary>Stream names the notification pipeline uses.</summary>
public static class NotificationStreams
{
    /// <summary>The queue stream provider (configuration section <c>Streaming:Queue</c>).</summary>
    public const string Provider = "events";

    /// <summary>
    /// Fan-out chunks travel on the streams of this namespace, one stream per chunk (keyed by the fan-out and the
    /// chunk's first mentee), so chunks spread over the queue's partitions and are delivered in parallel.
    /// </summary>
    public const string BatchNamespace = "notification-batches";

    /// <summary>The stream key of the chunk of fan-out <paramref name="fanOutKey"/> that starts at <paramref name="firstMenteeId"/>.</summary>
    public static string BatchKey(string fanOutKey, string firstMenteeId) => $"{fanOutKey}/{firstMenteeId}";
}
