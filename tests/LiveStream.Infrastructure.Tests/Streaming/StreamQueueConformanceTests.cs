using System.Text;
using LiveStream.Infrastructure.Streaming;

namespace LiveStream.Infrastructure.Tests.Streaming;

/// <summary>
/// The contract of <see cref="IStreamQueue"/>, run unchanged against every backend: each case is a theory
/// over the backend name, and each test gets its own queues (unique prefix) in the shared environment.
/// </summary>
public sealed class StreamQueueConformanceTests(QueueBackendEnvironment environment) : IClassFixture<QueueBackendEnvironment>
{
    private static readonly TimeSpan PastVisibility = TimeSpan.FromMilliseconds(1300);

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Acknowledged_message_is_not_delivered_again(string backend)
    {
        await using var queue = await CreateAsync(backend);
        await queue.EnqueueAsync(0, [Payload("hello")], default);

        var received = await queue.ReceiveAsync(0, 10, default);
        await queue.AcknowledgeAsync(0, received, default);
        await Task.Delay(PastVisibility);
        var afterLease = await queue.ReceiveAsync(0, 10, default);

        var message = Assert.Single(received);
        Assert.Equal("hello", Text(message.Payload));
        Assert.Equal(1, message.Attempt);
        Assert.Empty(afterLease);
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Unacknowledged_message_is_redelivered_after_visibility_timeout(string backend)
    {
        await using var queue = await CreateAsync(backend);
        await queue.EnqueueAsync(0, [Payload("crash")], default);

        var first = Assert.Single(await queue.ReceiveAsync(0, 10, default));
        var whileLeased = await queue.ReceiveAsync(0, 10, default);
        await Task.Delay(PastVisibility);
        var redelivered = await queue.ReceiveAsync(0, 10, default);

        Assert.Empty(whileLeased);
        var again = Assert.Single(redelivered);
        Assert.Equal(first.MessageId, again.MessageId);
        Assert.Equal("crash", Text(again.Payload));
        Assert.Equal(2, again.Attempt);
        Assert.NotEqual(first.LeaseToken, again.LeaseToken);
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Message_leased_by_a_consumer_that_died_is_redelivered_to_another_consumer(string backend)
    {
        // Arrange: two consumers of the same queues, as two silos would be.
        var options = environment.Options(backend);
        await using var survivor = await QueueBackendEnvironment.CreateQueueAsync(options);
        LeasedMessage leased;
        await using (var doomed = await QueueBackendEnvironment.CreateQueueAsync(options))
        {
            await doomed.EnqueueAsync(0, [Payload("orphan")], default);
            leased = Assert.Single(await doomed.ReceiveAsync(0, 10, default));
        }

        // Act: the first consumer is gone without acknowledging; the survivor polls.
        var whileLeased = await survivor.ReceiveAsync(0, 10, default);
        await Task.Delay(PastVisibility);
        var redelivered = await survivor.ReceiveAsync(0, 10, default);
        await survivor.AcknowledgeAsync(0, redelivered, default);
        await Task.Delay(PastVisibility);
        var afterAcknowledgement = await survivor.ReceiveAsync(0, 10, default);

        // Assert
        Assert.Empty(whileLeased);
        var again = Assert.Single(redelivered);
        Assert.Equal(leased.MessageId, again.MessageId);
        Assert.Equal("orphan", Text(again.Payload));
        Assert.Equal(2, again.Attempt);
        Assert.Empty(afterAcknowledgement);
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Message_handed_out_max_attempts_times_moves_to_dead_letter_queue(string backend)
    {
        await using var queue = await CreateAsync(backend, o => o.MaxAttempts = 2);
        await queue.EnqueueAsync(1, [Payload("poison")], default);

        var attempts = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            var message = Assert.Single(await queue.ReceiveAsync(1, 10, default));
            attempts.Add(message.Attempt);
            await queue.ReleaseAsync(1, message, TimeSpan.Zero, default);
        }

        var afterLastAttempt = await queue.ReceiveAsync(1, 10, default);
        var deadLetters = await queue.PeekDeadLettersAsync(10, default);

        Assert.Equal([1, 2], attempts);
        Assert.Empty(afterLastAttempt);
        var deadLetter = Assert.Single(deadLetters);
        Assert.Equal("poison", Text(deadLetter.Payload));
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Depth_counts_ready_in_flight_and_dead_lettered_messages_per_queue(string backend)
    {
        // Arrange: partition 0 holds three messages, one of them leased; partition 1 loses its only message to the dead letters.
        await using var queue = await CreateAsync(backend, o =>
        {
            o.VisibilityTimeout = TimeSpan.FromSeconds(30);
            o.MaxAttempts = 1;
        });
        await queue.EnqueueAsync(0, [Payload("a"), Payload("b"), Payload("c")], default);
        await queue.EnqueueAsync(1, [Payload("poison")], default);
        Assert.Single(await queue.ReceiveAsync(0, 1, default));
        var poison = Assert.Single(await queue.ReceiveAsync(1, 10, default));
        await queue.ReleaseAsync(1, poison, TimeSpan.Zero, default);
        Assert.Empty(await queue.ReceiveAsync(1, 10, default));

        // Act
        var depths = await queue.GetDepthsAsync(default);

        // Assert
        var byQueueAndState = depths.ToDictionary(d => (Partition: d.Queue[^2..], d.State), d => d.Messages);
        Assert.Equal(5, depths.Count);
        Assert.Equal(2, byQueueAndState[("-0", "ready")]);
        Assert.Equal(1, byQueueAndState[("-0", "in_flight")]);
        Assert.Equal(0, byQueueAndState[("-1", "ready")]);
        Assert.Equal(0, byQueueAndState[("-1", "in_flight")]);
        var deadLetters = Assert.Single(depths, d => d.State == "dead_letter");
        Assert.EndsWith("-dlq", deadLetters.Queue, StringComparison.Ordinal);
        Assert.Equal(1, deadLetters.Messages);
        Assert.All(depths, d => Assert.Equal(backend == QueueBackends.Postgres ? "postgresql" : "aws_sqs", d.Backend));
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Extended_lease_keeps_message_invisible_past_visibility_timeout(string backend)
    {
        await using var queue = await CreateAsync(backend);
        await queue.EnqueueAsync(0, [Payload("slow")], default);
        var message = Assert.Single(await queue.ReceiveAsync(0, 10, default));

        await Task.Delay(TimeSpan.FromMilliseconds(400));
        await queue.ExtendLeaseAsync(0, [message], TimeSpan.FromSeconds(2), default);
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        var pastOriginalLease = await queue.ReceiveAsync(0, 10, default);
        await Task.Delay(TimeSpan.FromMilliseconds(1500));
        var pastExtendedLease = await queue.ReceiveAsync(0, 10, default);

        Assert.Empty(pastOriginalLease);
        Assert.Equal(message.MessageId, Assert.Single(pastExtendedLease).MessageId);
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Receive_returns_at_most_the_requested_batch_size(string backend)
    {
        await using var queue = await CreateAsync(backend, o => o.VisibilityTimeout = TimeSpan.FromSeconds(30));
        var sent = Enumerable.Range(0, 7).Select(i => $"m{i}").ToList();
        await queue.EnqueueAsync(0, sent.Select(Payload).ToList(), default);

        var batches = new List<IReadOnlyList<LeasedMessage>>();
        while (batches.Sum(b => b.Count) < sent.Count && batches.Count < 20)
        {
            batches.Add(await queue.ReceiveAsync(0, 3, default));
        }

        Assert.All(batches, batch => Assert.InRange(batch.Count, 0, 3));
        Assert.Equal(sent.Order(), batches.SelectMany(b => b).Select(m => Text(m.Payload)).Order());
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Released_message_becomes_visible_again_after_its_delay(string backend)
    {
        await using var queue = await CreateAsync(backend, o => o.VisibilityTimeout = TimeSpan.FromSeconds(30));
        await queue.EnqueueAsync(0, [Payload("retry")], default);
        var message = Assert.Single(await queue.ReceiveAsync(0, 10, default));

        await queue.ReleaseAsync(0, message, TimeSpan.FromSeconds(1), default);
        var duringBackOff = await queue.ReceiveAsync(0, 10, default);
        await Task.Delay(PastVisibility);
        var afterBackOff = await queue.ReceiveAsync(0, 10, default);

        Assert.Empty(duringBackOff);
        var retried = Assert.Single(afterBackOff);
        Assert.Equal(message.MessageId, retried.MessageId);
        Assert.Equal(2, retried.Attempt);
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Partitions_do_not_share_messages(string backend)
    {
        await using var queue = await CreateAsync(backend, o => o.VisibilityTimeout = TimeSpan.FromSeconds(30));
        await queue.EnqueueAsync(0, [Payload("zero")], default);
        await queue.EnqueueAsync(1, [Payload("one")], default);

        var fromOne = await queue.ReceiveAsync(1, 10, default);
        var fromZero = await queue.ReceiveAsync(0, 10, default);

        Assert.Equal("one", Text(Assert.Single(fromOne).Payload));
        Assert.Equal("zero", Text(Assert.Single(fromZero).Payload));
    }

    [Theory]
    [MemberData(nameof(QueueBackends.Exclusive), MemberType = typeof(QueueBackends))]
    public async Task Concurrent_receivers_never_lease_the_same_message(string backend)
    {
        var (sent, all) = await DrainConcurrentlyAsync(backend);

        Assert.Equal(all.Count, all.Select(m => m.MessageId).Distinct().Count());
        Assert.Equal(sent.Order(), all.Select(m => Text(m.Payload)).Order());
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Concurrent_receivers_together_get_every_message_and_no_other(string backend)
    {
        var (sent, all) = await DrainConcurrentlyAsync(backend);

        Assert.Equal(sent.Order(), all.DistinctBy(m => m.MessageId).Select(m => Text(m.Payload)).Order());
    }

    private async Task<(List<string> Sent, List<LeasedMessage> Received)> DrainConcurrentlyAsync(string backend)
    {
        var options = environment.Options(backend, o => o.VisibilityTimeout = TimeSpan.FromSeconds(30));
        // Two independent instances stand in for two silos reading the same partition during a rebalance.
        await using var first = await QueueBackendEnvironment.CreateQueueAsync(options);
        await using var second = await QueueBackendEnvironment.CreateQueueAsync(options);
        var sent = Enumerable.Range(0, 40).Select(i => $"c{i}").ToList();
        await first.EnqueueAsync(0, sent.Select(Payload).ToList(), default);

        var received = await Task.WhenAll(DrainAsync(first), DrainAsync(second));
        return (sent, received.SelectMany(r => r).ToList());

        async Task<List<LeasedMessage>> DrainAsync(IStreamQueue queue)
        {
            var mine = new List<LeasedMessage>();
            for (var emptyReads = 0; emptyReads < 3;)
            {
                var batch = await queue.ReceiveAsync(0, 5, default);
                mine.AddRange(batch);
                emptyReads = batch.Count == 0 ? emptyReads + 1 : 0;
            }

            return mine;
        }
    }

    [Theory]
    [MemberData(nameof(QueueBackends.Ordered), MemberType = typeof(QueueBackends))]
    public async Task Messages_of_one_partition_are_received_in_enqueue_order(string backend)
    {
        await using var queue = await CreateAsync(backend, o => o.VisibilityTimeout = TimeSpan.FromSeconds(30));
        var sent = Enumerable.Range(0, 12).Select(i => $"o{i:00}").ToList();
        await queue.EnqueueAsync(0, sent.Take(5).Select(Payload).ToList(), default);
        await queue.EnqueueAsync(0, sent.Skip(5).Select(Payload).ToList(), default);

        var received = new List<string>();
        received.AddRange((await queue.ReceiveAsync(0, 4, default)).Select(m => Text(m.Payload)));
        received.AddRange((await queue.ReceiveAsync(0, 100, default)).Select(m => Text(m.Payload)));

        Assert.Equal(sent, received);
    }

    private Task<IStreamQueue> CreateAsync(string backend, Action<QueueStreamOptions>? adjust = null) =>
        QueueBackendEnvironment.CreateQueueAsync(environment.Options(backend, adjust));

    /// <summary>SQS may spread a batch over several receives; collects until <paramref name="expected"/> arrived.</summary>
    private static async Task<List<LeasedMessage>> ReceiveAllAsync(IStreamQueue queue, int partition, int expected)
    {
        var received = new List<LeasedMessage>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (received.Count < expected && DateTime.UtcNow < deadline)
        {
            received.AddRange(await queue.ReceiveAsync(partition, 10, default));
        }

        return received;
    }

    private static byte[] Payload(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(byte[] payload) => Encoding.UTF8.GetString(payload);
}
