using LiveStream.Abstractions.RateLimits;

namespace LiveStream.Grains.Tests;

public sealed class TokenBucketTests
{
    private static readonly RateBudget Budget = new(Burst: 3, PerSecond: 0.5);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_new_bucket_allows_the_burst_then_says_how_long_to_wait()
    {
        // Arrange
        TokenBucket? bucket = null;
        var answers = new List<TimeSpan?>();

        // Act
        for (var i = 0; i < 4; i++)
        {
            (var next, _, var retryAfter) = TokenBucket.TakeUpTo(bucket, Budget, Start, want: 1);
            bucket = next;
            answers.Add(retryAfter);
        }

        // Assert: the fourth waits for one token at half a token a second.
        Assert.Equal([null, null, null, TimeSpan.FromSeconds(2)], answers);
    }

    [Fact]
    public void Tokens_refill_with_time_but_never_beyond_the_burst()
    {
        // Arrange: empty at the start.
        var empty = new TokenBucket(0, Start);

        // Act
        var (_, _, afterOneSecond) = TokenBucket.TakeUpTo(empty, Budget, Start.AddSeconds(1), want: 1);
        var (afterTwoSeconds, _, allowed) = TokenBucket.TakeUpTo(empty, Budget, Start.AddSeconds(2), want: 1);
        var (afterAnHour, _, _) = TokenBucket.TakeUpTo(empty, Budget, Start.AddHours(1), want: 1);

        // Assert
        Assert.Equal(TimeSpan.FromSeconds(1), afterOneSecond);
        Assert.Null(allowed);
        Assert.Equal(0, afterTwoSeconds.Tokens, 6);
        Assert.Equal(Budget.Burst - 1, afterAnHour.Tokens, 6);
    }

    [Fact]
    public void Tokens_handed_out_in_advance_are_at_most_half_of_those_left_and_add_up_to_the_burst()
    {
        // Arrange
        var budget = new RateBudget(Burst: 20, PerSecond: 10);
        TokenBucket? bucket = null;
        var grants = new List<int>();

        // Act: an API process asks for a lease of budget.LeaseSize tokens until it is refused.
        while (true)
        {
            (var next, var granted, var retryAfter) = TokenBucket.TakeUpTo(bucket, budget, Start, budget.LeaseSize);
            bucket = next;
            if (granted == 0)
            {
                Assert.NotNull(retryAfter);
                break;
            }

            grants.Add(granted);
        }

        // Assert: leases shrink as the bucket empties, down to one token per call; never more than the burst in all.
        Assert.Equal(5, budget.LeaseSize);
        Assert.Equal([5, 5, 5, 2, 1, 1, 1], grants);
        Assert.Equal(budget.Burst, grants.Sum());
    }
}
