using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// One queue message: the events a producer wrote to one stream in one call, with its request context.
/// Stored in the queue with the Orleans serializer. The sequence token and delivery attempt are not known at
/// enqueue time; the receiver fills them in, and they travel with the batch to the consumer silo.
/// </summary>
[GenerateSerializer]
[Alias("livestream.queue-batch-container")]
internal sealed class QueueBatchContainer : IBatchContainer
{
    [Id(0)]
    public StreamId StreamId { get; set; }

    [Id(1)]
    public List<object> Events { get; set; } = [];

    [Id(2)]
    public Dictionary<string, object>? RequestContext { get; set; }

    [Id(3)]
    public EventSequenceTokenV2 Token { get; set; } = new(0);

    [Id(4)]
    public int Attempt { get; set; }

    public StreamSequenceToken SequenceToken => Token;

    public IEnumerable<Tuple<T, StreamSequenceToken>> GetEvents<T>()
    {
        // The event index is the position in the whole batch, so tokens stay stable whatever T a consumer asks for.
        for (var index = 0; index < Events.Count; index++)
        {
            if (Events[index] is T typed)
            {
                yield return Tuple.Create<T, StreamSequenceToken>(typed, Token.CreateSequenceTokenForEvent(index));
            }
        }
    }

    public bool ImportRequestContext()
    {
        if (RequestContext is not null)
        {
            RequestContextExtensions.Import(RequestContext);
        }

        // Consumers can tell a redelivery from a first delivery (e.g. to skip expensive side effects they
        // already performed); the queue's count is the only reliable source of that.
        Orleans.Runtime.RequestContext.Set(QueueStreamConstants.DeliveryAttemptKey, Attempt);
        return true;
    }

    public override string ToString() => $"[QueueBatchContainer stream={StreamId} events={Events.Count} token={Token} attempt={Attempt}]";
}
