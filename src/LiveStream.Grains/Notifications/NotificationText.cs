using System.Globalization;
using LiveStream.Abstractions.Notifications;

namespace LiveStream.Grains.Notifications;

/// <summary>What a follower reads for each kind of session event.</summary>
internal static class NotificationText
{
    public static (string Title, string Body) For(SessionEvent sessionEvent)
    {
        var start = sessionEvent.ScheduledStart.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        return sessionEvent.Kind switch
        {
            NotificationKind.Scheduled => ($"New session: {sessionEvent.Title}", $"Scheduled for {start}."),
            NotificationKind.Reminder => ($"Starting soon: {sessionEvent.Title}", $"The session starts at {start}."),
            NotificationKind.Live => ($"Live now: {sessionEvent.Title}", "The session has started. Join now."),
            NotificationKind.RecordingReady => ($"Recording ready: {sessionEvent.Title}", "Watch the recording whenever you like."),
            NotificationKind.Cancelled => ($"Cancelled: {sessionEvent.Title}", $"The session planned for {start} will not take place."),
            NotificationKind.RecordingFailed => ($"Recording failed: {sessionEvent.Title}", "The recording of your session was not ready in time; the session ended without one."),
            _ => throw new ArgumentOutOfRangeException(nameof(sessionEvent), sessionEvent.Kind, "Unknown notification kind."),
        };
    }
}
