using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using LiveStream.Abstractions.RateLimits;
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

    /// <summary>Every scheduled session notifies every follower, so scheduling is a spam vector: a small budget.</summary>
    [Range(1, 100_000)]
    public int SchedulesPerHour { get; set; } = 30;

    [Range(1, 100_000)]
    public int ScheduleBurst { get; set; } = 10;

    /// <summary>
    /// Sessions a mentor may have that have not ended yet (scheduled, starting, live): beside the rate, a quota, so a
    /// mentor cannot fill followers' calendars with hundreds of upcoming sessions at the allowed pace.
    /// </summary>
    [Range(1, 100_000)]
    public int MaxUpcomingSessions { get; set; } = 50;
}

/// <summary>
/// Per-user token buckets for reactions, comments (comments cost moderators attention, so their budget is smaller)
/// and scheduling, kept by the user's <see cref="IUserRateLimitGrain"/>: one per user in the whole cluster, so the
/// limits hold however many API processes a user's requests are spread over. Where a budget is large enough to share
/// (<see cref="RateBudget.LeaseSize"/>), the grain hands this process a few tokens at once, spent here for up to
/// <see cref="RateBudget.LeaseTime"/>: a tapping viewer costs one cluster call per few reactions, and the tokens
/// were taken from the one bucket, so the cluster never allows more than the limit (tokens left at expiry are
/// dropped, which only ever refuses sooner).
/// </summary>
public sealed class InteractionRateLimits(IGrainFactory grains, IOptions<RateLimitOptions> options)
{
    public const string Reactions = "reactions";
    public const string Comments = "comments";
    public const string Schedules = "schedules";

    /// <summary>Calls between sweeps of expired leases, so users who left do not stay in memory.</summary>
    private const int SweepEvery = 4096;

    public int MaxUpcomingSessions => options.Value.MaxUpcomingSessions;

    private readonly RateBudget _reactions = new(options.Value.ReactionBurst, options.Value.ReactionsPerSecond);
    private readonly RateBudget _comments = new(options.Value.CommentBurst, options.Value.CommentsPerMinute / 60.0);
    private readonly RateBudget _schedules = new(options.Value.ScheduleBurst, options.Value.SchedulesPerHour / 3600.0);

    private readonly ConcurrentDictionary<(string UserId, string Bucket), Lease> _leases = new();
    private int _calls;

    /// <summary>Null when allowed; otherwise a 429 problem with Retry-After set on <paramref name="context"/>.</summary>
    public async Task<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult?> TryAcquireAsync(HttpContext context, string userId, string bucket)
    {
        var budget = bucket switch
        {
            Reactions => _reactions,
            Comments => _comments,
            Schedules => _schedules,
            _ => throw new ArgumentOutOfRangeException(nameof(bucket), bucket, null),
        };
        var now = Environment.TickCount64;
        if (Interlocked.Increment(ref _calls) % SweepEvery == 0)
        {
            Sweep(now);
        }

        if (_leases.TryGetValue((userId, bucket), out var lease) && lease.TryTake(now))
        {
            return null;
        }

        var grant = await grains.GetGrain<IUserRateLimitGrain>(userId).TryAcquireAsync(bucket, budget, budget.LeaseSize);
        if (grant.Granted > 1)
        {
            // This request takes one; the rest wait here for the same user's next requests to this process.
            _leases[(userId, bucket)] = new Lease(grant.Granted - 1, Environment.TickCount64 + (long)RateBudget.LeaseTime.TotalMilliseconds);
        }

        if (grant.Granted > 0)
        {
            return null;
        }

        var seconds = Math.Max(1, (int)Math.Ceiling((grant.RetryAfter ?? TimeSpan.FromSeconds(1)).TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(
            $"Too many {bucket}; retry in {seconds} s.", statusCode: StatusCodes.Status429TooManyRequests, title: "Rate limited");
    }

    private void Sweep(long now)
    {
        foreach (var (key, lease) in _leases)
        {
            if (lease.ExpiredAt(now))
            {
                _leases.TryRemove(new KeyValuePair<(string, string), Lease>(key, lease));
            }
        }
    }

    /// <summary>Tokens granted in advance to this process, spendable until <c>expiresAt</c> (Environment.TickCount64).</summary>
    private sealed class Lease(int tokens, long expiresAt)
    {
        private int _tokens = tokens;

        public bool ExpiredAt(long now) => now >= expiresAt || Volatile.Read(ref _tokens) <= 0;

        public bool TryTake(long now) => now < expiresAt && Interlocked.Decrement(ref _tokens) >= 0;
    }
}
