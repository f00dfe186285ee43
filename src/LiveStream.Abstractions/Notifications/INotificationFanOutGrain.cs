namespace LiveStream.Abstractions.Notifications;

/// <summary>
/// Turns one session event into queued chunks of followers (<see cref="NotificationBatch"/>), a page of the
/// follows table at a time, keeping its cursor in grain state. Keyed by <see cref="NotificationFanOut.KeyFor"/>: one fan-out per (session, kind), so a repeated
/// start is a no-op.
/// </summary>
[Alias("livestream.notification-fan-out")]
public interface INotificationFanOutGrain : IGrainWithStringKey
{
    /// <summary>Durably records the event and starts (or keeps) paging. Returns once the event is recorded.</summary>
    [Alias("start")]
    Task StartAsync(SessionEvent sessionEvent);

    [Alias("get-progress")]
    Task<FanOutProgress> GetProgressAsync();
}

public static class NotificationFanOut
{
    /// <summary>The fan-out grain key of one (session, kind).</summary>
    public static string KeyFor(string liveId, NotificationKind kind) => $"{liveId}/{kind.ToName()}";
}

/// <summary>A mentee's notifications: serves their inbox (the fan-out's chunks are recorded by <see cref="INotificationBatchGrain"/>).</summary>
[Alias("livestream.mentee-notifications")]
public interface IMenteeNotificationsGrain : IGrainWithStringKey
{
    /// <summary>Oldest first, strictly after the cursor <paramref name="after"/> (a notification id).</summary>
    [Alias("list")]
    [Idempotent]
    Task<Page<Notification>> ListAsync(string? after, int limit);
}

/// <summary>
/// Consumer of one fan-out chunk: implicitly subscribed to its stream (<see cref="NotificationStreams.BatchNamespace"/>),
/// it records the chunk's notifications and pushes. It has no methods; the queue stream is its only input.
/// </summary>
[Alias("livestream.notification-batch-consumer")]
public interface INotificationBatchGrain : IGrainWithStringKey;

/// <summary>
/// Hooks the media lifecycle calls on a session grain (keyed by live id) when the session went live or its
/// recording became ready. Each notifies the followers effectively once; repeating a call is a no-op.
/// </summary>
[Alias("livestream.session-notification-hooks")]
public interface ISessionNotificationHooks : IGrainWithStringKey
{
    [Alias("notify-live")]
    Task NotifyWentLiveAsync();

    [Alias("notify-recording-ready")]
    Task NotifyRecordingReadyAsync();
}
