using LiveStream.Abstractions.RateLimits;

namespace LiveStream.Grains;

/// <summary>A token bucket's state: pure, so the arithmetic is tested without a cluster.</summary>
public readonly record struct TokenBucket(double Tokens, DateTimeOffset At)
{
    /// <summary>The bucket refilled up to <paramref name="now"/>, less one token when one is there.</summary>
    public static (TokenBucket Bucket, TimeSpan? RetryAfter) Take(TokenBucket? current, RateBudget budget, DateTimeOffset now)
    {
        var tokens = current is { } bucket
            ? Math.Min(budget.Burst, bucket.Tokens + (Math.Max(0, (now - bucket.At).TotalSeconds) * budget.PerSecond))
            : budget.Burst;
        return tokens >= 1
            ? (new TokenBucket(tokens - 1, now), null)
            : (new TokenBucket(tokens, now), TimeSpan.FromSeconds((1 - tokens) / budget.PerSecond));
    }
}

public sealed class UserRateLimitGrain(TimeProvider clock) : Grain, IUserRateLimitGrain
{
    private readonly Dictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);

    public Task<TimeSpan?> TryAcquireAsync(string bucket, RateBudget budget, CancellationToken cancellationToken = default)
    {
        var (next, retryAfter) = TokenBucket.Take(_buckets.TryGetValue(bucket, out var current) ? current : null, budget, clock.GetUtcNow());
        _buckets[bucket] = next;
        return Task.FromResult(retryAfter);
    }
}
