namespace LiveStream.Infrastructure.Streaming;

public static class QueueStreamConstants
{
    /// <summary>
    /// <see cref="Orleans.Runtime.RequestContext"/> key holding the queue delivery attempt (an <see cref="int"/>,
    /// 1 on first delivery) while a consumer handles an event from a LiveStream queue stream.
    /// </summary>
    public const string DeliveryAttemptKey = "livestream.queue.delivery-attempt";

    /// <summary>
    /// <see cref="Orleans.Runtime.RequestContext"/> key holding the W3C <c>traceparent</c> of the span that queued
    /// the event, so the consumer's span joins the producer's trace across the queue (and its delay).
    /// </summary>
    public const string TraceParentKey = "livestream.queue.traceparent";
}
