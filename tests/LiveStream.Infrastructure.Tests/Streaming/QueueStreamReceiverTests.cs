using System.Text;
using LiveStream.Infrastructure.Streaming;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Tests.Streaming;

/// <summary>The Orleans-facing receiver against a recording in-memory queue: what it acknowledges, releases and numbers.</summary>
public sealed class QueueStreamReceiverTests : IAsyncLifetime
{
    private static readonly QueueId Queue = QueueId.GetQueueId("queue", 1, 0);

    private readonly ServiceProvider _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
    private readonly RecordingQueue _queue = new();
    private readonly QueueStreamOptions _options = new()
    {
        ConnectionString = "unused",
        RetryBaseDelay = TimeSpan.FromSeconds(1),
        RetryMaxDelay = TimeSpan.FromSeconds(30),
        VisibilityTimeout = TimeSpan.FromSeconds(30),
    };

    private Serializer<QueueBatchContainer> Serializer => _services.GetRequiredService<Serializer<QueueBatchContainer>>();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _services.DisposeAsync();

    [Fact]
    public async Task Only_batches_reported_delivered_are_acknowledged()
    {
        var receiver = await StartReceiverAsync();
        _queue.Offer(Message("m1", 1, "a"), Message("m2", 1, "b"), Message("m3", 1, "c"));
        var batches = await receiver.GetQueueMessagesAsync(10, default);

        await receiver.MessagesDeliveredAsync([batches[0], batches[2]], default);

        Assert.Equal(["m1", "m3"], _queue.Acknowledged);
        Assert.Equal(1, receiver.InFlightCount);
        await receiver.Shutdown(TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public async Task Failed_delivery_is_handed_back_with_growing_back_off_and_never_acknowledged()
    {
        var receiver = await StartReceiverAsync();
        _queue.Offer(Message("first-try", 1, "a"), Message("third-try", 3, "b"));
        var batches = await receiver.GetQueueMessagesAsync(10, default);

        await receiver.ReturnFailedAsync(batches[0].StreamId, batches[0].SequenceToken);
        await receiver.ReturnFailedAsync(batches[1].StreamId, batches[1].SequenceToken);
        await receiver.MessagesDeliveredAsync(batches, default);

        Assert.Equal([("first-try", TimeSpan.FromSeconds(1)), ("third-try", TimeSpan.FromSeconds(4))], _queue.Released);
        Assert.Empty(_queue.Acknowledged);
        await receiver.Shutdown(TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public async Task Batches_carry_their_delivery_attempt_and_increasing_tokens_across_receivers()
    {
        var previousOwner = await StartReceiverAsync();
        _queue.Offer(Message("m1", 1, "a"), Message("m2", 2, "b"));
        var before = await previousOwner.GetQueueMessagesAsync(10, default);
        await previousOwner.Shutdown(TimeSpan.FromSeconds(1), default);

        var newOwner = await StartReceiverAsync();
        _queue.Offer(Message("m3", 1, "c"));
        var after = await newOwner.GetQueueMessagesAsync(10, default);

        Assert.Equal([1, 2], before.Cast<QueueBatchContainer>().Select(b => b.Attempt));
        Assert.True(before[0].SequenceToken.Older(before[1].SequenceToken));
        // A consumer that remembers a token from the previous owner must not see the new owner's events as old.
        Assert.True(after[0].SequenceToken.Newer(before[1].SequenceToken));
        await newOwner.Shutdown(TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public async Task Unreadable_message_is_handed_back_instead_of_blocking_the_partition()
    {
        var receiver = await StartReceiverAsync();
        _queue.Offer(new LeasedMessage("garbage", "lease", [0xFF, 0x00, 0x13], 2), Message("good", 1, "a"));

        var batches = await receiver.GetQueueMessagesAsync(10, default);

        Assert.Equal(["a"], batches.SelectMany(b => b.GetEvents<string>()).Select(e => e.Item1));
        Assert.Equal([("garbage", TimeSpan.FromSeconds(2))], _queue.Released);
        await receiver.Shutdown(TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public async Task While_the_database_is_down_nothing_is_received_so_no_delivery_attempt_is_spent()
    {
        // Arrange: the consumers' database is down (its circuit open), then back.
        var databaseDown = true;
        var receiver = await StartReceiverAsync(new ReceiverRegistry { HoldReceives = () => databaseDown });
        _queue.Offer(Message("waiting", 1, "a"));

        // Act
        var duringOutage = await receiver.GetQueueMessagesAsync(10, default);
        databaseDown = false;
        var afterwards = await receiver.GetQueueMessagesAsync(10, default);

        // Assert: the message was left in the queue, then delivered on its first attempt.
        Assert.Empty(duringOutage);
        Assert.Equal(1, Assert.Single(afterwards.Cast<QueueBatchContainer>()).Attempt);
        Assert.Empty(_queue.Released);
        await receiver.Shutdown(TimeSpan.FromSeconds(1), default);
    }

    [Fact]
    public void Batch_survives_serialization_and_keeps_event_positions_per_type()
    {
        var container = new QueueBatchContainer
        {
            StreamId = StreamId.Create("probe", "key"),
            Events = ["one", 2, "three"],
            RequestContext = new Dictionary<string, object> { ["trace"] = "abc" },
        };

        var copy = Serializer.Deserialize(Serializer.SerializeToArray(container))!;

        Assert.Equal(container.StreamId, copy.StreamId);
        Assert.Equal("abc", copy.RequestContext!["trace"]);
        var strings = copy.GetEvents<string>().ToList();
        Assert.Equal(["one", "three"], strings.Select(e => e.Item1));
        Assert.Equal([0, 2], strings.Select(e => e.Item2.EventIndex));
        Assert.Equal(2, Assert.Single(copy.GetEvents<int>()).Item1);
    }

    private async Task<QueueStreamReceiver> StartReceiverAsync(ReceiverRegistry? registry = null)
    {
        var receiver = new QueueStreamReceiver(Queue, _queue, Serializer, _options, registry ?? new ReceiverRegistry(), NullLogger.Instance, TimeProvider.System);
        await receiver.Initialize(TimeSpan.FromSeconds(5), default);
        return receiver;
    }

    private LeasedMessage Message(string id, int attempt, string item)
    {
        var payload = Serializer.SerializeToArray(new QueueBatchContainer { StreamId = StreamId.Create("probe", id), Events = [item] });
        return new LeasedMessage(id, $"lease-{id}", payload, attempt);
    }

    private sealed class RecordingQueue : IStreamQueue
    {
        private readonly Queue<LeasedMessage> _ready = new();

        public List<string> Acknowledged { get; } = [];

        public List<(string MessageId, TimeSpan Delay)> Released { get; } = [];

        public void Offer(params LeasedMessage[] messages)
        {
            foreach (var message in messages)
            {
                _ready.Enqueue(message);
            }
        }

        public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task EnqueueAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<LeasedMessage>> ReceiveAsync(int partition, int maxCount, CancellationToken cancellationToken)
        {
            Assert.Equal(1, partition);
            var batch = new List<LeasedMessage>();
            while (batch.Count < maxCount && _ready.TryDequeue(out var message))
            {
                batch.Add(message);
            }

            return Task.FromResult<IReadOnlyList<LeasedMessage>>(batch);
        }

        public Task AcknowledgeAsync(int partition, IReadOnlyList<LeasedMessage> messages, CancellationToken cancellationToken)
        {
            Acknowledged.AddRange(messages.Select(m => m.MessageId));
            return Task.CompletedTask;
        }

        public Task ReleaseAsync(int partition, LeasedMessage message, TimeSpan delay, CancellationToken cancellationToken)
        {
            Released.Add((message.MessageId, delay));
            return Task.CompletedTask;
        }

        public Task ExtendLeaseAsync(int partition, IReadOnlyList<LeasedMessage> messages, TimeSpan visibility, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<IReadOnlyList<DeadLetteredMessage>> PeekDeadLettersAsync(int maxCount, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<DeadLetteredMessage>>([]);

        public Task<IReadOnlyList<LiveStream.Infrastructure.Telemetry.QueueDepthSample>> GetDepthsAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LiveStream.Infrastructure.Telemetry.QueueDepthSample>>([]);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
