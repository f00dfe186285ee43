using LiveStream.Abstractions.Notifications;
using LiveStream.Grains.Notifications;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveStream.Grains;

/// <summary>
/// Records one fan-out chunk (<see cref="NotificationBatch"/>): implicitly subscribed to the chunk streams, so
/// every chunk the fan-out queues lands on the activation of its stream key. It holds no state (the inboxes are
/// a table and every write is idempotent) and lets itself be collected as soon as its chunk is done.
/// </summary>
[ImplicitStreamSubscription(NotificationStreams.BatchNamespace)]
public sealed class NotificationBatchGrain(NotificationDelivery delivery)
    : Grain, INotificationBatchGrain, IStreamSubscriptionObserver, IAsyncObserver<NotificationBatch>
{
    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<NotificationBatch>().ResumeAsync(this);

    public async Task OnNextAsync(NotificationBatch item, StreamSequenceToken? token = null)
    {
        // A failure propagates: the queue hands the chunk back with back-off and, after MaxAttempts, dead-letters
        // it; a partly done chunk is finished by the retry, since everything it already wrote is skipped.
        await delivery.DeliverAsync(item, CancellationToken.None);

        // Each chunk has a stream (and so an activation) of its own; nothing comes after it.
        DeactivateOnIdle();
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
