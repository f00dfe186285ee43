using LiveStream.Infrastructure.Telemetry;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Test-only fault injection (<see cref="QueueStreamOptions.DuplicateEveryMessage"/>): enqueues every payload
/// twice. The copies are independent messages, so they are leased, delivered and acknowledged separately -
/// exactly what a consumer sees when a real queue redelivers.
/// </summary>
internal sealed class DuplicatingStreamQueue(IStreamQueue inner) : IStreamQueue
{
    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task EnqueueAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken) =>
        inner.EnqueueAsync(partition, [.. payloads.SelectMany(payload => new[] { payload, payload })], cancellationToken);

    public Task<IReadOnlyList<LeasedMessage>> ReceiveAsync(int partition, int maxCount, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(partition, maxCount, cancellationToken);

    public Task AcknowledgeAsync(int partition, IReadOnlyList<LeasedMessage> messages, CancellationToken cancellationToken) =>
        inner.AcknowledgeAsync(partition, messages, cancellationToken);

    public Task ReleaseAsync(int partition, LeasedMessage message, TimeSpan delay, CancellationToken cancellationToken) =>
        inner.ReleaseAsync(partition, message, delay, cancellationToken);

    public Task ExtendLeaseAsync(int partition, IReadOnlyList<LeasedMessage> messages, TimeSpan visibility, CancellationToken cancellationToken) =>
        inner.ExtendLeaseAsync(partition, messages, visibility, cancellationToken);

    public Task<IReadOnlyList<DeadLetteredMessage>> PeekDeadLettersAsync(int maxCount, CancellationToken cancellationToken) =>
        inner.PeekDeadLettersAsync(maxCount, cancellationToken);

    public Task<IReadOnlyList<QueueDepthSample>> GetDepthsAsync(CancellationToken cancellationToken) => inner.GetDepthsAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
