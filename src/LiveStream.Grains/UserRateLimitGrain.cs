using LiveStream.Abstractions.RateLimits;

namespace LiveStream.Grains;

/// <summary>A token bucket's state: pure, so the arithmetic is tested without a cluster.</summary>
public readonly record struct TokenBucket(double Tokens, DateTimeOffset At)
{
    /// <summary>
    /// The bucket refilled up to <paramref name="now"/>, less what is granted: up to <paramref name="want"/> tokens but
    /// never more than half of those left (at least one when one is there). Handing out half at most means a user
    /// whose requests reach several API processes still finds tokens here for each, and that near the limit each
    /// request takes exactly one.
    /// </summary>
    public static (TokenBucket Bucket, int Granted, TimeSpan? RetryAfter) TakeUpTo(TokenBucket? current, RateBudget budget, DateTimeOffset now, int want)
    {
        var tokens = current is { } bucket
            ? Math.Min(budget.Burst, bucket.Tokens + (Math.Max(0, (now - bucket.At).TotalSeconds) * budget.PerSecond))
            : budget.Burst;
        if (tokens < 1)
        {
            return (new TokenBucket(tokens, now), 0, TimeSpan.FromSeconds((1 - tokens) / budget.PerSecond));
        }

        var granted = Math.Clamp((int)Math.Floor(tokens / 2), 1, Math.Max(1, want));
        return (new TokenBucket(tokens - granted, now), granted, null);
    }
}

public sealed class UserRateLimitGrain(TimeProvider clock) : Grain, IUserRateLimitGrain
{
    private readonly Dictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);

    public Task<RateGrant> TryAcquireAsync(string bucket, RateBudget budget, int want, CancellationToken cancellationToken = default)
    {
        var (next, granted, retryAfter) = TokenBucket.TakeUpTo(_buckets.TryGetValue(bucket, out var current) ? current : null, budget, clock.GetUtcNow(), want);
        _buckets[bucket] = next;
        return Task.FromResult(new RateGrant(granted, retryAfter));
    }
}
