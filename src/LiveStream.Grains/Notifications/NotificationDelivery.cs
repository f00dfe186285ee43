using LiveStream.Abstractions.Notifications;
using LiveStream.Infrastructure.Notifications;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveStream.Grains.Notifications;

/// <summary>
/// Delivers one job to one mentee, effectively once however often the queue hands it over: the inbox row is
/// keyed (live, mentee, kind) and each push is claimed per (notification, device) before it is sent.
/// </summary>
public sealed partial class NotificationDelivery(
    NotificationStore store, IPushProvider provider, LiveStreamMetrics metrics, TimeProvider clock, ILogger<NotificationDelivery> logger)
{
    public async Task DeliverAsync(NotificationJob job, CancellationToken cancellationToken)
    {
        var (title, body) = NotificationText.For(job.Event);
        if (provider.DeliversByRecording)
        {
            if (await store.RecordToInboxAsync(job, title, body, provider.Name, cancellationToken) is null)
            {
                LogNotFollowing(logger, job.MenteeId, job.Event.MentorId, job.Event.LiveId, job.Event.Kind);
                return;
            }

            RecordLag(job);
            return;
        }

        var notificationId = await store.RecordAsync(job, title, body, cancellationToken);
        if (notificationId is not { } id)
        {
            LogNotFollowing(logger, job.MenteeId, job.Event.MentorId, job.Event.LiveId, job.Event.Kind);
            return;
        }

        RecordLag(job);
        var pending = await store.ClaimPushesAsync(id, job.MenteeId, provider.Name, provider.DeliversByRecording, cancellationToken);
        if (pending.Count == 0)
        {
            return;
        }

        var content = new PushContent(title, body, new Dictionary<string, string>
        {
            ["liveId"] = job.Event.LiveId,
            ["mentorId"] = job.Event.MentorId,
            ["kind"] = job.Event.Kind.ToName(),
            ["notificationId"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        foreach (var target in pending)
        {
            var (outcome, messageId) = await provider.SendAsync(target, content, cancellationToken);
            if (outcome == PushOutcome.Dropped)
            {
                await store.RemoveDeviceAsync(job.MenteeId, target.DeviceId, target.EndpointArn, cancellationToken);
            }

            await store.CompletePushAsync(id, target.DeviceId, outcome, messageId, cancellationToken);
        }
    }

    /// <summary>The inbox row is the delivery: a redelivered job records again, so the figure leans late, never early.</summary>
    private void RecordLag(NotificationJob job) => metrics.RecordNotificationDelivered(job.Event.Kind.ToName(), clock.GetUtcNow() - job.Event.OccurredAt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mentee {MenteeId} no longer follows {MentorId}; {Kind} of session {LiveId} not delivered")]
    private static partial void LogNotFollowing(ILogger logger, string menteeId, string mentorId, string liveId, NotificationKind kind);
}
