using System.Collections.Concurrent;
using System.Collections.Immutable;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Grains;
using LiveStream.Infrastructure.Telemetry;

namespace LiveStream.Host.Api;

/// <summary>
/// Sends this API process's reactions and comments to a session grain in batches: the first goes at once, and those
/// posted while a batch is in flight go together when it returns (<see cref="GroupCommit{TItem, TResult}"/>, no timer).
/// A busy session then costs one cluster call per batch instead of one per tap, while an idle one adds no delay.
/// Each request still gets its own answer: the counts including its write, or its own refusal.
/// </summary>
/// <remarks>
/// The batch's call carries the trace of the request that started it; the others' traces show the wait only.
/// A call that fails (a silo lost, a timeout) fails every request in it, as each would have failed alone; the
/// grain call is safe to repeat because every item carries its request key.
/// </remarks>
public sealed class InteractionBatcher(IGrainFactory grains)
{
    /// <summary>Enough to carry a burst in one call, small enough to keep a call's message short.</summary>
    public const int MaxBatchSize = 256;

    /// <summary>
    /// Batches in flight per session from this process. With one, the session's group commit would sit idle while a
    /// batch's answer travels back and the next one travels out; with two, the next batch is already waiting in the
    /// grain when a flush ends, as it was when each request made its own call.
    /// </summary>
    public const int LanesPerSession = 2;

    private readonly ConcurrentDictionary<(string MentorId, string LiveId, int Lane), GroupCommit<Interaction, InteractionOutcome>> _lanes = new();
    private uint _turn;

    public async Task<ImmutableDictionary<string, long>> ReactAsync(string mentorId, string liveId, Interaction interaction)
    {
        var key = (mentorId, liveId, (int)(Interlocked.Increment(ref _turn) % LanesPerSession));
        // A static factory with its argument: this runs on every reaction, and an instance method group would allocate
        // a delegate each time (the compiler caches only static ones).
        var lane = _lanes.GetOrAdd(key, NewLane, grains);
        try
        {
            return (await lane.WriteAsync(interaction)).CountsOrThrow();
        }
        finally
        {
            // A lane lives while its session is busy. Removing an idle one races with a writer that just took it, which
            // is harmless: that writer's batch still goes, and the next writer starts a new lane.
            if (lane.IsIdle)
            {
                _lanes.TryRemove(new KeyValuePair<(string, string, int), GroupCommit<Interaction, InteractionOutcome>>(key, lane));
            }
        }
    }

    private static GroupCommit<Interaction, InteractionOutcome> NewLane((string MentorId, string LiveId, int Lane) key, IGrainFactory grains) =>
        new(async batch => await grains.GetGrain<ILiveSessionGrain>(key.LiveId).ReactBatchAsync(key.MentorId, [.. batch]),
            MaxBatchSize,
            LiveStreamTelemetry.StartInteractionBatch);
}
