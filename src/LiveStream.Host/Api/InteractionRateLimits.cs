using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    [Range(1, 100_000)]
    public int ReactionsPerSecond { get; set; } = 10;

    [Range(1, 100_000)]
    public int ReactionBurst { get; set; } = 20;

    [Range(1, 100_000)]
    public int CommentsPerMinute { get; set; } = 20;

    [Range(1, 100_000)]
    public int CommentBurst { get; set; } = 5;
}

/// <summary>
/// Per-user token buckets for reactions and for comments (comments cost moderators attention, so their
/// budget is smaller). Limits are per API process; behind N processes a user gets at most N times them.
/// </summary>
public sealed class InteractionRateLimits : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<string> _reactions;
    private readonly PartitionedRateLimiter<string> _comments;

    public InteractionRateLimits(IOptions<RateLimitOptions> options)
    {
        var limits = options.Value;
        _reactions = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.ReactionBurst,
            TokensPerPeriod = limits.ReactionsPerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _comments = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.CommentBurst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromSeconds(60.0 / limits.CommentsPerMinute),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    }

    /// <summary>Null when allowed; otherwise how long the user should wait.</summary>
    public TimeSpan? TryAcquire(string userId, bool isComment)
    {
        using var lease = (isComment ? _comments : _reactions).AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public async ValueTask DisposeAsync()
    {
        await _reactions.DisposeAsync();
        await _comments.DisposeAsync();
    }
}
