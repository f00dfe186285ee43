using System.Collections.Immutable;
using System.Globalization;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Notifications;
using LiveStream.Infrastructure.Notifications;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveStream.Grains;

/// <summary>
/// One mentee's notifications. Implicitly subscribed to the mentee's job stream, so every job the fan-out
/// queues for them lands here; it holds no state of its own (the inbox is a table), which keeps 100,000
/// activations of a big fan-out cheap, and it lets itself be collected as soon as a job is done.
/// </summary>
[ImplicitStreamSubscription(NotificationStreams.JobNamespace)]
public sealed class MenteeNotificationsGrain(NotificationDelivery delivery, NotificationStore store)
    : Grain, IMenteeNotificationsGrain, IStreamSubscriptionObserver, IAsyncObserver<NotificationJob>
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<NotificationJob>().ResumeAsync(this);

    public async Task OnNextAsync(NotificationJob item, StreamSequenceToken? token = null)
    {
        // A failure propagates: the queue hands the job back with back-off and, after MaxAttempts, dead-letters it.
        await delivery.DeliverAsync(item, CancellationToken.None);

        // A big fan-out activates one grain per follower; letting each go right away keeps memory bounded.
        DeactivateOnIdle();
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;

    public async Task<Page<Notification>> ListAsync(string? after, int limit)
    {
        limit = Math.Clamp(limit, 1, Limits.MaxPageSize);
        var afterId = 0L;
        if (after is not null && (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out afterId) || afterId < 0))
        {
            throw DomainException.Invalid("after", "'after' is not a notification cursor.");
        }

        // One extra row tells whether another page follows.
        var rows = await store.ListAsync(this.GetPrimaryKeyString(), afterId, limit + 1, CancellationToken.None);
        var items = rows.Take(limit).ToImmutableArray();
        var next = rows.Count > limit ? items[^1].Id.ToString(CultureInfo.InvariantCulture) : null;
        return new Page<Notification>(items, next);
    }
}
