using Orleans.Concurrency;

namespace LiveStream.Abstractions.RateLimits;

/// <summary>A token bucket: up to <see cref="Burst"/> at once, refilled at <see cref="PerSecond"/>.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.rate-budget")]
public sealed record RateBudget([property: Id(0)] int Burst, [property: Id(1)] double PerSecond)
{
    /// <summary>How long an API process may spend tokens it was granted in advance; what is left then is dropped.</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many tokens an API process asks for at once: a quarter of the burst, at most what refills in
    /// <see cref="LeaseTime"/>, at least one. With the default reaction budget (20, 10/s) a tapping viewer costs the
    /// cluster one call per five reactions; budgets too small to share (comments, schedules) stay one call per request.
    /// </summary>
    public int LeaseSize => (int)Math.Clamp(Math.Min(Burst / 4.0, PerSecond * LeaseTime.TotalSeconds), 1, 100);
}

/// <summary>Tokens granted (0 when refused) and, when refused, how long until one is there.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.rate-grant")]
public sealed record RateGrant([property: Id(0)] int Granted, [property: Id(1)] TimeSpan? RetryAfter);

/// <summary>
/// One user's rate limits, keyed by user id: one activation in the cluster, so every API process draws from the
/// same buckets and N processes do not allow N times the limit. Buckets live in memory; an activation that moves
/// or idles out starts full, which only ever forgives.
/// </summary>
[Alias("livestream.user-rate-limit")]
public interface IUserRateLimitGrain : IGrainWithStringKey
{
    /// <summary>
    /// Takes up to <paramref name="want"/> tokens from the named bucket (at least one when one is there, never more
    /// than half of what is left, so near the limit every request comes here and the limit stays exact).
    /// </summary>
    /// <remarks>
    /// Marked safe to repeat although a repeat takes tokens again: it happens only when a silo died under the
    /// call, whose buckets were lost with it anyway, and costing the user tokens is better than refusing their
    /// comment with a 503 while the cluster re-homes the grain.
    /// </remarks>
    [Alias("try-acquire-many")]
    [AlwaysInterleave]
    [Idempotent]
    Task<RateGrant> TryAcquireAsync(string bucket, RateBudget budget, int want, CancellationToken cancellationToken = default);
}
