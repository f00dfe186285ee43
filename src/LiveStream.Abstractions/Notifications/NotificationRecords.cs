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
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown notification kind."),
    };

    public static NotificationKind Parse(string name) => name switch
    {
        "scheduled" => NotificationKind.Scheduled,
        "reminder" => NotificationKind.Reminder,
        "live" => NotificationKind.Live,
        "recording-ready" => NotificationKind.RecordingReady,
        "cancelled" => NotificationKind.Cancelled,
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

/// <summary>One queued unit of fan-out work: tell this mentee about this event.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.notification-job")]
public sealed record NotificationJob(
    [property: Id(0)] SessionEvent Event,
    [property: Id(1)] string MenteeId);

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

    /// <summary>Jobs for one mentee travel on the stream (<see cref="JobNamespace"/>, mentee id).</summary>
    public const string JobNamespace = "notification-jobs";
}
