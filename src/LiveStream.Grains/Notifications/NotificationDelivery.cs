using System.Globalization;
using LiveStream.Abstractions.Notifications;
using LiveStream.Infrastructure.Notifications;
using LiveStream.Infrastructure.Streaming;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveStream.Grains.Notifications;

/// <summary>
/// Delivers one fan-out chunk to its mentees however often the queue hands it over: each inbox row is keyed
/// (live, mentee, kind), so the inbox gets it exactly once; each push is claimed per (notification, device) before
/// it is sent, so a device gets it at least once (twice only if we crash between the provider's accept and our
/// record of it), every time with the same <see cref="PushMessageId"/> for the app to de-duplicate on.
/// </summary>
public sealed partial class NotificationDelivery(
    NotificationStore store, IPushProvider provider, LiveStreamMetrics metrics, TimeProvider clock, ILogger<NotificationDelivery> logger)
{
    // Provider calls of one chunk in flight at once: enough to hide SNS latency, few enough not to be throttled.
    private const int MaxConcurrentPushes = 16;

    public async Task DeliverAsync(NotificationBatch batch, CancellationToken cancellationToken)
    {
        using var activity = LiveStreamTelemetry.StartFanOutChunk(
            batch.Event.LiveId, batch.Event.Kind.ToName(), batch.MenteeIds.Length, Orleans.Runtime.RequestContext.Get(QueueStreamConstants.TraceParentKey) as string);
        var (title, body) = NotificationText.For(batch.Event);
        if (provider.DeliversByRecording)
        {
            var (notified, _) = await store.RecordToInboxAsync(batch, title, body, provider.Name, cancellationToken);
            LogDelivered(logger, batch.Event.Kind, batch.Event.LiveId, notified, batch.MenteeIds.Length);
            RecordLag(batch, notified);
            return;
        }

        var recorded = await store.RecordAsync(batch, title, body, cancellationToken);
        LogDelivered(logger, batch.Event.Kind, batch.Event.LiveId, recorded.Count, batch.MenteeIds.Length);
        RecordLag(batch, recorded.Count);
        var pending = await store.ClaimPushesAsync(recorded, provider.Name, cancellationToken);
        await Parallel.ForEachAsync(
            pending,
            new ParallelOptions { MaxDegreeOfParallelism = MaxConcurrentPushes, CancellationToken = cancellationToken },
            async (claim, token) =>
            {
                var content = new PushContent(title, body, new Dictionary<string, string>
                {
                    ["liveId"] = batch.Event.LiveId,
                    ["mentorId"] = batch.Event.MentorId,
                    ["kind"] = batch.Event.Kind.ToName(),
                    ["notificationId"] = claim.NotificationId.ToString(CultureInfo.InvariantCulture),
                    [PushMessageId.DataKey] = PushMessageId.For(batch.Event.LiveId, batch.Event.Kind.ToName(), claim.MenteeId, claim.Target.DeviceId),
                });
                var (outcome, messageId) = await provider.SendAsync(claim.Target, content, token);
                if (outcome == PushOutcome.Dropped)
                {
                    await store.RemoveDeviceAsync(claim.MenteeId, claim.Target.DeviceId, claim.Target.EndpointArn, token);
                }

                await store.CompletePushAsync(claim.NotificationId, claim.Target.DeviceId, outcome, messageId, token);
            });
    }

    /// <summary>
    /// One sample per mentee whose inbox row this chunk wrote. A redelivered chunk records again, so the figure leans
    /// late, never early.
    /// </summary>
    private void RecordLag(NotificationBatch batch, long notified)
    {
        var lag = clock.GetUtcNow() - batch.Event.OccurredAt;
        var kind = batch.Event.Kind.ToName();
        for (var i = 0; i < notified; i++)
        {
            metrics.RecordNotificationDelivered(kind, lag);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Kind} of session {LiveId} recorded for {Notified} of {Mentees} mentees of a chunk (the others no longer follow)")]
    private static partial void LogDelivered(ILogger logger, NotificationKind kind, string liveId, long notified, int mentees);
}
