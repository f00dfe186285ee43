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

/// <summary>
/// One user's inbox, keyed by user id: a mentee's notices of the mentors they follow (recorded by
/// <see cref="INotificationBatchGrain"/>), a mentor's notices about their own sessions (e.g. <c>recording-failed</c>).
/// </summary>
[Alias("livestream.inbox")]
public interface IInboxGrain : IGrainWithStringKey
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
