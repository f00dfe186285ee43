using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Turns "Orleans gave up on this event for a consumer" into a queue-level retry: the message goes back to
/// the queue with back-off rather than being acknowledged with the rest of the cache, and after MaxAttempts
/// the queue dead-letters it.
/// </summary>
internal sealed partial class QueueStreamFailureHandler(ReceiverRegistry registry, QueueId queueId, ILogger logger) : IStreamFailureHandler
{
    // Faulting would permanently remove an explicit subscription after one bad event; the queue's retries
    // and dead-letter queue are the failure policy instead. (Orleans never faults implicit subscriptions.)
    public bool ShouldFaultSubsriptionOnError => false;

    public Task OnDeliveryFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        var receiver = registry.Find(queueId);
        if (receiver is null)
        {
            // The queue moved to another silo meanwhile; the lease lapses and the new owner redelivers.
            LogNoReceiver(logger, streamIdentity.ToString(), queueId.ToString());
            return Task.CompletedTask;
        }

        return receiver.ReturnFailedAsync(streamIdentity, sequenceToken);
    }

    public Task OnSubscriptionFailure(GuidId subscriptionId, string streamProviderName, StreamId streamIdentity, StreamSequenceToken? sequenceToken)
    {
        LogSubscriptionFailure(logger, subscriptionId.ToString(), streamIdentity.ToString(), streamProviderName);
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery failed on stream {StreamId} but queue {QueueId} has no receiver here any more")]
    private static partial void LogNoReceiver(ILogger logger, string streamId, string queueId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscription {SubscriptionId} to stream {StreamId} of provider {Provider} failed to start")]
    private static partial void LogSubscriptionFailure(ILogger logger, string subscriptionId, string streamId, string provider);
}
