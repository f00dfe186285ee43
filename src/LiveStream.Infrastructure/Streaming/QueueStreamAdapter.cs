using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>Writes stream batches into the partition their stream hashes to, and creates partition receivers.</summary>
internal sealed class QueueStreamAdapter(
    string name,
    IStreamQueue queue,
    IStreamQueueMapper mapper,
    Serializer<QueueBatchContainer> serializer,
    QueueStreamOptions options,
    ReceiverRegistry registry,
    ILoggerFactory loggerFactory,
    TimeProvider time) : IQueueAdapter
{
    // Up to this many producer messages share one write (PostgreSQL: one INSERT; SQS: batches of ten).
    private const int MaxMessagesPerWrite = 500;

    private readonly EnqueueBatcher _batcher = new(queue, MaxMessagesPerWrite);

    public string Name => name;

    // A deleted message is gone: consumers cannot rewind to an earlier point of the stream.
    public bool IsRewindable => false;

    public StreamProviderDirection Direction => StreamProviderDirection.ReadWrite;

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        if (token is not null)
        {
            throw new ArgumentException($"Stream provider {name} assigns sequence tokens itself; producers cannot pass one.", nameof(token));
        }

        var container = new QueueBatchContainer
        {
            StreamId = streamId,
            Events = events.Cast<object>().ToList(),
            RequestContext = WithTraceParent(requestContext),
        };
        if (container.Events.Count == 0)
        {
            return;
        }

        var partition = checked((int)mapper.GetQueueForStream(streamId).GetNumericId());
        // The producer's await completes only once the queue has the message: an acknowledged OnNextAsync is durable.
        // Concurrent producers of a partition share writes (a fan-out enqueues thousands of jobs at once).
        await _batcher.EnqueueAsync(partition, serializer.SerializeToArray(container));
    }

    /// <summary>The producer's context plus the current span's traceparent (a copy: the caller's dictionary is its own).</summary>
    private static Dictionary<string, object>? WithTraceParent(Dictionary<string, object>? requestContext)
    {
        if (System.Diagnostics.Activity.Current is not { IdFormat: System.Diagnostics.ActivityIdFormat.W3C } activity)
        {
            return requestContext;
        }

        var context = requestContext is null ? new Dictionary<string, object>(1) : new Dictionary<string, object>(requestContext);
        context[QueueStreamConstants.TraceParentKey] = activity.Id!;
        return context;
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId)
    {
        var receiver = new QueueStreamReceiver(
            queueId,
            queue,
            serializer,
            options,
            registry,
            loggerFactory.CreateLogger($"{typeof(QueueStreamReceiver).FullName}.{name}"),
            time);
        registry.Register(receiver);
        return receiver;
    }
}
