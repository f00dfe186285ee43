namespace LiveStream.Abstractions.Notifications;

/// <summary>
/// Turns one session event into one queued job per follower, a page of followers at a time, keeping its
/// cursor in grain state. Keyed by <see cref="NotificationFanOut.KeyFor"/>: one fan-out per (session, kind), so a repeated
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

/// <summary>A mentee's notifications: receives their jobs from the queue stream and serves their inbox.</summary>
[Alias("livestream.mentee-notifications")]
public interface IMenteeNotificationsGrain : IGrainWithStringKey
{
    /// <summary>Oldest first, strictly after the cursor <paramref name="after"/> (a notification id).</summary>
    [Alias("list")]
    [Idempotent]
    Task<Page<Notification>> ListAsync(string? after, int limit);
}

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
