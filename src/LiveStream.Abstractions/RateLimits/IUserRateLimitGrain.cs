using Orleans.Concurrency;

namespace LiveStream.Abstractions.RateLimits;

/// <summary>A token bucket: up to <see cref="Burst"/> at once, refilled at <see cref="PerSecond"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.rate-budget")]
public sealed record RateBudget([property: Id(0)] int Burst, [property: Id(1)] double PerSecond);

/// <summary>
/// One user's rate limits, keyed by user id: one activation in the cluster, so every API process draws from the
/// same buckets and N processes do not allow N times the limit. Buckets live in memory; an activation that moves
/// or idles out starts full, which only ever forgives.
/// </summary>
[Alias("livestream.user-rate-limit")]
public interface IUserRateLimitGrain : IGrainWithStringKey
{
    /// <summary>Takes one token from the named bucket; null when allowed, otherwise how long to wait.</summary>
    /// <remarks>
    /// Marked safe to repeat although a repeat takes a second token: it happens only when a silo died under the
    /// call, whose buckets were lost with it anyway, and costing the user one token is better than refusing
    /// their comment with a 503 while the cluster re-homes the grain.
    /// </remarks>
    [Alias("try-acquire")]
    [AlwaysInterleave]
    [Idempotent]
    Task<TimeSpan?> TryAcquireAsync(string bucket, RateBudget budget, CancellationToken cancellationToken = default);
}
