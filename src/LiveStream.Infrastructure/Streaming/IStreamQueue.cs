using LiveStream.Infrastructure.Telemetry;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// The durable queue under the stream provider: a fixed number of partitions, each a FIFO-ish queue of
/// opaque payloads with leases. Everything Orleans-specific (batch containers, tokens, retries policy) lives
/// above this interface, so the PostgreSQL table queue and SQS are interchangeable and share one
/// conformance suite.
/// </summary>
/// <remarks>
/// Contract every backend keeps:
/// <list type="bullet">
/// <item>A received message is leased for the visibility timeout; nobody else receives it meanwhile.</item>
/// <item>A lease that lapses without acknowledgement makes the message receivable again.</item>
/// <item>Every receive counts one attempt; a message already handed out <c>MaxAttempts</c> times is moved to
/// the dead-letter queue instead of being handed out again.</item>
/// <item>Acknowledge, release and extend act only on the lease they were given; a stale lease is a no-op.</item>
/// </list>
/// </remarks>
internal interface IStreamQueue : IAsyncDisposable
{
    /// <summary>Makes sure the queues exist (SQS with <c>CreateQueues</c>) or can be reached.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    Task EnqueueAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken);

    /// <summary>Leases up to <paramref name="maxCount"/> visible messages of one partition.</summary>
    Task<IReadOnlyList<LeasedMessage>> ReceiveAsync(int partition, int maxCount, CancellationToken cancellationToken);

    /// <summary>Deletes messages whose processing succeeded.</summary>
    Task AcknowledgeAsync(int partition, IReadOnlyList<LeasedMessage> messages, CancellationToken cancellationToken);

    /// <summary>Gives a message back; it becomes receivable again after <paramref name="delay"/>.</summary>
    Task ReleaseAsync(int partition, LeasedMessage message, TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Keeps messages invisible for another <paramref name="visibility"/> from now (slow work).</summary>
    Task ExtendLeaseAsync(int partition, IReadOnlyList<LeasedMessage> messages, TimeSpan visibility, CancellationToken cancellationToken);

    /// <summary>Looks at dead-lettered messages without removing them (operators, tests).</summary>
    Task<IReadOnlyList<DeadLetteredMessage>> PeekDeadLettersAsync(int maxCount, CancellationToken cancellationToken);

    /// <summary>
    /// Messages not yet acknowledged, per partition queue: <c>ready</c> (receivable now) and <c>in_flight</c>
    /// (leased, or released with a back-off), plus the dead-letter queue's count as <c>dead_letter</c>.
    /// </summary>
    Task<IReadOnlyList<QueueDepthSample>> GetDepthsAsync(CancellationToken cancellationToken);
}

/// <param name="MessageId">The backend's stable id of the message (the same on every delivery).</param>
/// <param name="LeaseToken">Proof of this particular lease (a lease uuid, an SQS receipt handle).</param>
/// <param name="Attempt">1 on the first delivery, 2 on the first redelivery, and so on.</param>
internal sealed record LeasedMessage(string MessageId, string LeaseToken, byte[] Payload, int Attempt);

internal sealed record DeadLetteredMessage(string MessageId, byte[] Payload, int Attempts);

internal static class QueueDepthStates
{
    public const string Ready = "ready";
    public const string InFlight = "in_flight";
    public const string DeadLetter = "dead_letter";
}
