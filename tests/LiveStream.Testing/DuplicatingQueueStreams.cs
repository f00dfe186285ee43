using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Runtime;
using Orleans.Streams;

namespace LiveStream.Testing;

/// <summary>
/// Test-only fault injection for a persistent stream provider: every batch a producer writes is queued twice, as
/// two independent queue messages, so consumers see each event delivered twice, exactly as when a real queue
/// redelivers. It wraps the provider's registered <see cref="IQueueAdapterFactory"/>, so production code carries
/// no switch for it.
/// </summary>
public static class DuplicatingQueueStreams
{
    /// <summary>Call after the stream provider <paramref name="providerName"/> is registered on the silo.</summary>
    public static IServiceCollection DuplicateEveryQueueMessage(this IServiceCollection services, string providerName)
    {
        var original = services.LastOrDefault(d => d.ServiceType == typeof(IQueueAdapterFactory) && d.IsKeyedService && Equals(d.ServiceKey, providerName))
            ?? throw new InvalidOperationException($"No queue adapter factory is registered for stream provider '{providerName}' yet.");
        var create = original.KeyedImplementationFactory
            ?? throw new InvalidOperationException($"The queue adapter factory of '{providerName}' is not registered through a factory.");
        services.Remove(original);
        services.TryAddSingleton<DuplicationLog>();
        services.AddKeyedSingleton<IQueueAdapterFactory>(providerName, (provider, key) =>
            new DuplicatingQueueAdapterFactory((IQueueAdapterFactory)create(provider, key), provider.GetRequiredService<DuplicationLog>()));
        return services;
    }
}

/// <summary>How many messages the fault injection queued per stream, so tests can prove duplicates really happened.</summary>
public sealed class DuplicationLog
{
    private readonly ConcurrentDictionary<StreamId, int> _messages = new();

    /// <summary>Queued messages per stream key, for the streams of <paramref name="streamNamespace"/> whose key starts with <paramref name="keyPrefix"/>.</summary>
    public IReadOnlyDictionary<string, int> MessagesUnder(string streamNamespace, string keyPrefix) =>
        _messages
            .Where(entry => entry.Key.GetNamespace() == streamNamespace && entry.Key.GetKeyAsString().StartsWith(keyPrefix, StringComparison.Ordinal))
            .ToDictionary(entry => entry.Key.GetKeyAsString(), entry => entry.Value, StringComparer.Ordinal);

    internal void Record(StreamId streamId, int messages) => _messages.AddOrUpdate(streamId, messages, (_, count) => count + messages);
}

internal sealed class DuplicatingQueueAdapterFactory(IQueueAdapterFactory inner, DuplicationLog log) : IQueueAdapterFactory, IAsyncDisposable
{
    [Obsolete("Use the overload which accepts a CancellationToken.")]
    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken) =>
        new DuplicatingQueueAdapter(await inner.CreateAdapter(cancellationToken), log);

    public IQueueAdapterCache GetQueueAdapterCache() => inner.GetQueueAdapterCache();

    public IStreamQueueMapper GetStreamQueueMapper() => inner.GetStreamQueueMapper();

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) => inner.GetDeliveryFailureHandler(queueId);

    public ValueTask DisposeAsync() => inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}

internal sealed class DuplicatingQueueAdapter(IQueueAdapter inner, DuplicationLog log) : IQueueAdapter
{
    public string Name => inner.Name;

    public bool IsRewindable => inner.IsRewindable;

    public StreamProviderDirection Direction => inner.Direction;

    public async Task QueueMessageBatchAsync<T>(StreamId streamId, IEnumerable<T> events, StreamSequenceToken? token, Dictionary<string, object>? requestContext)
    {
        var batch = events.ToList();
        // Two separate writes make two messages, leased, delivered and acknowledged independently.
        await inner.QueueMessageBatchAsync(streamId, batch, token, requestContext);
        await inner.QueueMessageBatchAsync(streamId, batch, token, requestContext);
        log.Record(streamId, 2);
    }

    public IQueueAdapterReceiver CreateReceiver(QueueId queueId) => inner.CreateReceiver(queueId);
}
