using System.Collections.Concurrent;
using LiveStream.Infrastructure.Streaming;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Streams.Core;

namespace LiveStream.Infrastructure.Tests.Streaming;

[GenerateSerializer]
[Alias("livestream-tests.probe-behaviour")]
public enum ProbeBehaviour
{
    Succeed,
    FailFirstAttempt,
    FailAlways,

    /// <summary>Takes longer than the visibility timeout on its first delivery.</summary>
    SlowFirstAttempt,
}

[GenerateSerializer]
[Alias("livestream-tests.probe-event")]
public sealed record ProbeEvent([property: Id(0)] string Id, [property: Id(1)] ProbeBehaviour Behaviour);

public interface IProbeConsumerGrain : IGrainWithStringKey;

/// <summary>
/// Every delivery the probe consumers saw: event id -> the queue attempt of each delivery, in order.
/// One instance per test cluster, shared through DI with the silo.
/// </summary>
public sealed class DeliveryLog
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<int>> _attempts = new(StringComparer.Ordinal);

    public void Record(string eventId, int attempt) => _attempts.GetOrAdd(eventId, _ => new()).Enqueue(attempt);

    public IReadOnlyList<int> Attempts(string eventId) => _attempts.TryGetValue(eventId, out var attempts) ? [.. attempts] : [];
}

/// <summary>Implicitly subscribed to every stream of <see cref="Namespace"/>; fails on purpose when the event says so.</summary>
[ImplicitStreamSubscription(Namespace)]
public sealed class ProbeConsumerGrain(DeliveryLog log) : Grain, IProbeConsumerGrain, IStreamSubscriptionObserver, IAsyncObserver<ProbeEvent>
{
    public const string Namespace = "probe";

    public async Task OnSubscribed(IStreamSubscriptionHandleFactory handleFactory) =>
        await handleFactory.Create<ProbeEvent>().ResumeAsync(this);

    public static TimeSpan SlowDelay { get; } = TimeSpan.FromSeconds(3);

    public async Task OnNextAsync(ProbeEvent item, StreamSequenceToken? token = null)
    {
        var attempt = RequestContext.Get(QueueStreamConstants.DeliveryAttemptKey) is int value ? value : 0;
        log.Record(item.Id, attempt);
        switch (item.Behaviour)
        {
            case ProbeBehaviour.FailAlways:
            case ProbeBehaviour.FailFirstAttempt when attempt <= 1:
                throw new InvalidOperationException($"Probe consumer refuses {item.Id} on attempt {attempt}.");
            case ProbeBehaviour.SlowFirstAttempt when attempt <= 1:
                await Task.Delay(SlowDelay);
                break;
        }
    }

    public Task OnCompletedAsync() => Task.CompletedTask;

    public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
}
