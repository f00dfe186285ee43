using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Reads one partition for one Orleans pulling agent. A message stays leased (and its lease is kept alive)
/// from the moment it is read until Orleans reports it delivered, which is when it is acknowledged; a
/// consumer failure hands it back to the queue with a growing delay instead. That makes delivery
/// at-least-once: a crash anywhere before the acknowledgement means the lease lapses and the message
/// comes back.
/// </summary>
internal sealed partial class QueueStreamReceiver : IQueueAdapterReceiver
{
    private readonly IStreamQueue _queue;
    private readonly int _partition;
    private readonly Serializer<QueueBatchContainer> _serializer;
    private readonly QueueStreamOptions _options;
    private readonly ReceiverRegistry _registry;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    // Keyed by the sequence number this receiver gave the batch: that is what Orleans hands back, both in
    // MessagesDeliveredAsync (the container) and in the failure handler (only the token).
    private readonly Dictionary<long, InFlight> _inFlight = [];
    private readonly Dictionary<string, long> _sequenceByMessageId = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _leaseKeeper = Task.CompletedTask;
    private long _lastSequence;
    private int _shutDownFlag;

    public QueueStreamReceiver(
        QueueId queueId,
        IStreamQueue queue,
        Serializer<QueueBatchContainer> serializer,
        QueueStreamOptions options,
        ReceiverRegistry registry,
        ILogger logger,
        TimeProvider time)
    {
        QueueId = queueId;
        _queue = queue;
        _partition = checked((int)queueId.GetNumericId());
        _serializer = serializer;
        _options = options;
        _registry = registry;
        _logger = logger;
        _time = time;
    }

    public QueueId QueueId { get; }

    /// <summary>Messages read but not yet acknowledged or handed back (for diagnostics and tests).</summary>
    public int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    public Task Initialize(TimeSpan timeout) => Initialize(timeout, CancellationToken.None);

    public async Task Initialize(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Off the Orleans scheduler on purpose: lease renewals must keep running while the agent is busy
        // (e.g. retrying a slow consumer), which is exactly when they matter. Started first because Orleans
        // keeps pumping even when initialization fails (the backend retries on first use).
        _leaseKeeper = Task.Run(() => KeepLeasesAsync(_stopping.Token), CancellationToken.None);

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        await _queue.InitializeAsync(timeoutSource.Token);
        LogReceiverStarted(_logger, QueueId.ToString(), _partition);
    }

    public Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount) => GetQueueMessagesAsync(maxCount, CancellationToken.None);

    public async Task<IList<IBatchContainer>> GetQueueMessagesAsync(int maxCount, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _shutDownFlag) == 1)
        {
            return [];
        }

        // Every receive spends one of a message's MaxAttempts (SQS counts receives, not failures). While this
        // silo knows the database is down every consumer would fail, so a 3-minute outage would dead-letter
        // what it touched; not receiving at all until the database is back spends nothing.
        if (_registry.HoldReceives?.Invoke() == true)
        {
            return [];
        }

        var count = maxCount == QueueAdapterConstants.UNLIMITED_GET_QUEUE_MSG || maxCount <= 0
            ? _options.BatchSize
            : Math.Min(maxCount, _options.BatchSize);
        IReadOnlyList<LeasedMessage> leased;
        try
        {
            leased = await _queue.ReceiveAsync(_partition, count, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping mid long-poll; nothing was leased, so there is nothing to report.
            return [];
        }

        if (leased.Count == 0)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        var batches = new List<IBatchContainer>(leased.Count);
        foreach (var message in leased)
        {
            QueueBatchContainer container;
            try
            {
                container = _serializer.Deserialize(message.Payload) ?? throw new InvalidDataException("The payload holds no batch.");
            }
            catch (Exception exception)
            {
                // It will not deserialize next time either; cycling it through the retries gets it to the
                // dead-letter queue without blocking the partition.
                LogUnreadableMessage(_logger, exception, message.MessageId, QueueId.ToString(), message.Attempt);
                await ReleaseQuietlyAsync(message, _options.RetryDelay(message.Attempt));
                continue;
            }

            lock (_gate)
            {
                var sequence = NextSequence(now);
                // The same message read again (its lease lapsed while it sat in the cache): the fresh lease
                // replaces the stale one, and only the fresh lease is acknowledged.
                if (_sequenceByMessageId.Remove(message.MessageId, out var staleSequence))
                {
                    _inFlight.Remove(staleSequence);
                }

                _inFlight[sequence] = new InFlight(message, now, now + _options.VisibilityTimeout);
                _sequenceByMessageId[message.MessageId] = sequence;
                container.Token = new EventSequenceTokenV2(sequence);
                container.Attempt = message.Attempt;
            }

            batches.Add(container);
        }

        return batches;
    }

    public Task MessagesDeliveredAsync(IList<IBatchContainer> messages) => MessagesDeliveredAsync(messages, CancellationToken.None);

    public async Task MessagesDeliveredAsync(IList<IBatchContainer> messages, CancellationToken cancellationToken)
    {
        var delivered = new List<LeasedMessage>(messages.Count);
        lock (_gate)
        {
            foreach (var batch in messages)
            {
                if (batch.SequenceToken is { } token && TakeInFlight(token.SequenceNumber) is { } entry)
                {
                    delivered.Add(entry.Message);
                }
            }
        }

        if (delivered.Count == 0)
        {
            return;
        }

        try
        {
            await _queue.AcknowledgeAsync(_partition, delivered, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Not fatal: the leases lapse and the messages are delivered again (at-least-once).
            LogAcknowledgeFailed(_logger, exception, delivered.Count, QueueId.ToString());
        }
    }

    /// <summary>
    /// Orleans gave up delivering the batch with this token to a consumer: hand the message back to the queue
    /// with a growing delay. Once it has been handed out MaxAttempts times the queue dead-letters it.
    /// </summary>
    public async Task ReturnFailedAsync(StreamId streamId, StreamSequenceToken? token)
    {
        if (token is null)
        {
            return;
        }

        InFlight? entry;
        lock (_gate)
        {
            entry = TakeInFlight(token.SequenceNumber);
        }

        // Already handed back (another consumer of the same stream failed on it first) or already gone.
        if (entry is null)
        {
            return;
        }

        var delay = _options.RetryDelay(entry.Message.Attempt);
        LogDeliveryFailed(_logger, streamId.ToString(), entry.Message.MessageId, entry.Message.Attempt, _options.MaxAttempts, delay);
        await ReleaseQuietlyAsync(entry.Message, delay);
    }

    public Task Shutdown(TimeSpan timeout) => Shutdown(timeout, CancellationToken.None);

    public async Task Shutdown(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _shutDownFlag, 1) == 1)
        {
            return;
        }

        _registry.Unregister(this);
        await _stopping.CancelAsync();
        try
        {
            await _leaseKeeper.WaitAsync(timeout, cancellationToken);
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
        }

        int abandoned;
        lock (_gate)
        {
            abandoned = _inFlight.Count;
            _inFlight.Clear();
            _sequenceByMessageId.Clear();
        }

        // Leases are not released here: the messages may be mid-delivery, and an explicit release would
        // count an attempt against them on every rebalance. They come back once their lease runs out.
        LogReceiverStopped(_logger, QueueId.ToString(), abandoned);
        _stopping.Dispose();
    }

    private async Task KeepLeasesAsync(CancellationToken cancellationToken)
    {
        var visibility = _options.VisibilityTimeout;
        var period = TimeSpan.FromTicks(Math.Max(visibility.Ticks / 4, TimeSpan.FromMilliseconds(100).Ticks));
        // A lease is renewed on the first tick that finds less than this left, so a renewal always has at
        // least half the visibility timeout to reach the backend, even on a busy machine.
        var renewWhenLeft = visibility / 2 + period;
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                try
                {
                    await RenewDueLeasesAsync(visibility, renewWhenLeft, cancellationToken);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    // Whatever went wrong, the loop must live on: without it every slow delivery turns into a
                    // duplicate once the lease runs out.
                    LogExtendFailed(_logger, exception, InFlightCount, QueueId.ToString());
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task RenewDueLeasesAsync(TimeSpan visibility, TimeSpan renewWhenLeft, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var due = new List<InFlight>();
        var givenUp = new List<long>();
        lock (_gate)
        {
            foreach (var (sequence, entry) in _inFlight)
            {
                if (now - entry.ReceivedAt >= _options.MaxLeaseDuration)
                {
                    givenUp.Add(sequence);
                }
                else if (entry.LeaseEndsAt - now <= renewWhenLeft)
                {
                    due.Add(entry);
                }
            }

            foreach (var sequence in givenUp)
            {
                if (TakeInFlight(sequence) is { } entry)
                {
                    LogLeaseGivenUp(_logger, entry.Message.MessageId, QueueId.ToString(), _options.MaxLeaseDuration);
                }
            }
        }

        if (due.Count == 0)
        {
            return;
        }

        try
        {
            await _queue.ExtendLeaseAsync(_partition, due.Select(e => e.Message).ToList(), visibility, cancellationToken);
            var leaseEnd = now + visibility;
            lock (_gate)
            {
                foreach (var entry in due)
                {
                    entry.LeaseEndsAt = leaseEnd;
                }
            }
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The next tick tries again; if the lease lapses meanwhile the message is merely delivered twice.
            LogExtendFailed(_logger, exception, due.Count, QueueId.ToString());
        }
    }

    private async Task ReleaseQuietlyAsync(LeasedMessage message, TimeSpan delay)
    {
        try
        {
            await _queue.ReleaseAsync(_partition, message, delay, CancellationToken.None);
        }
        catch (Exception exception)
        {
            // The lease lapses on its own; the only cost is the retry happening after the visibility timeout.
            LogReleaseFailed(_logger, exception, message.MessageId, QueueId.ToString());
        }
    }

    // Sequence numbers are microseconds since the epoch, bumped to stay strictly increasing. A receiver that
    // takes over a partition (restart, rebalance) therefore continues above every token a consumer may still
    // remember from the previous owner, instead of restarting at zero and looking "older" to Orleans' cache.
    private long NextSequence(DateTimeOffset now)
    {
        var clock = now.ToUnixTimeMilliseconds() * 1000;
        _lastSequence = Math.Max(_lastSequence + 1, clock);
        return _lastSequence;
    }

    private InFlight? TakeInFlight(long sequence)
    {
        if (!_inFlight.Remove(sequence, out var entry))
        {
            return null;
        }

        _sequenceByMessageId.Remove(entry.Message.MessageId);
        return entry;
    }

    private sealed class InFlight(LeasedMessage message, DateTimeOffset receivedAt, DateTimeOffset leaseEndsAt)
    {
        public LeasedMessage Message { get; } = message;

        public DateTimeOffset ReceivedAt { get; } = receivedAt;

        public DateTimeOffset LeaseEndsAt { get; set; } = leaseEndsAt;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream queue receiver for {QueueId} (partition {Partition}) started")]
    private static partial void LogReceiverStarted(ILogger logger, string queueId, int partition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stream queue receiver for {QueueId} stopped; {InFlight} unacknowledged message(s) will be redelivered after their lease")]
    private static partial void LogReceiverStopped(ILogger logger, string queueId, int inFlight);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stream queue message {MessageId} on {QueueId} cannot be deserialized (attempt {Attempt})")]
    private static partial void LogUnreadableMessage(ILogger logger, Exception exception, string messageId, string queueId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Acknowledging {Count} stream message(s) on {QueueId} failed; they will be delivered again")]
    private static partial void LogAcknowledgeFailed(ILogger logger, Exception exception, int count, string queueId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consumer failed on stream {StreamId}, message {MessageId} attempt {Attempt} of {MaxAttempts}; handing it back to the queue for {RetryDelay}")]
    private static partial void LogDeliveryFailed(ILogger logger, string streamId, string messageId, int attempt, int maxAttempts, TimeSpan retryDelay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream message {MessageId} on {QueueId} was in flight longer than {MaxLeaseDuration}; its lease is left to lapse")]
    private static partial void LogLeaseGivenUp(ILogger logger, string messageId, string queueId, TimeSpan maxLeaseDuration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Extending the lease of {Count} stream message(s) on {QueueId} failed")]
    private static partial void LogExtendFailed(ILogger logger, Exception exception, int count, string queueId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Handing stream message {MessageId} on {QueueId} back to the queue failed")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string messageId, string queueId);
}

/// <summary>
/// The live receiver of each queue on this silo, so a per-queue failure handler (created separately by
/// Orleans) can hand failed messages back through the receiver that holds their lease.
/// </summary>
internal sealed class ReceiverRegistry
{
    private readonly ConcurrentDictionary<QueueId, QueueStreamReceiver> _receivers = new();

    public void Register(QueueStreamReceiver receiver) => _receivers[receiver.QueueId] = receiver;

    public void Unregister(QueueStreamReceiver receiver) =>
        _receivers.TryRemove(new KeyValuePair<QueueId, QueueStreamReceiver>(receiver.QueueId, receiver));

    public QueueStreamReceiver? Find(QueueId queueId) => _receivers.GetValueOrDefault(queueId);

    /// <summary>When it answers true, receivers take no messages (the consumers' dependency is down).</summary>
    public Func<bool>? HoldReceives { get; init; }
}
