namespace LiveStream.Grains.Tests;

public sealed class GroupCommitTests
{
    [Fact]
    public async Task Writes_arriving_during_a_flush_share_the_next_flush()
    {
        // Arrange: the first flush is held open until the other writers have queued.
        var release = new TaskCompletionSource();
        var flushSizes = new List<int>();
        var commit = new GroupCommit<int, int>(
            async items =>
            {
                flushSizes.Add(items.Count);
                if (flushSizes.Count == 1)
                {
                    await release.Task;
                }

                return [.. items.Select(item => item * 10)];
            },
            maxBatchSize: 100);

        // Act
        var first = commit.WriteAsync(1);
        var rest = Enumerable.Range(2, 50).Select(commit.WriteAsync).ToList();
        release.SetResult();
        var results = await Task.WhenAll(rest.Prepend(first));

        // Assert
        Assert.Equal([1, 50], flushSizes);
        Assert.Equal(Enumerable.Range(1, 51).Select(item => item * 10), results);
    }

    [Fact]
    public async Task A_batch_never_exceeds_the_maximum_size()
    {
        var release = new TaskCompletionSource();
        var flushSizes = new List<int>();
        var commit = new GroupCommit<int, int>(
            async items =>
            {
                flushSizes.Add(items.Count);
                await release.Task;
                return [.. items];
            },
            maxBatchSize: 8);

        var writes = Enumerable.Range(0, 21).Select(commit.WriteAsync).ToList();
        release.SetResult();
        await Task.WhenAll(writes);

        Assert.Equal([1, 8, 8, 4], flushSizes);
    }

    [Fact]
    public async Task A_failed_flush_fails_only_its_own_writers_and_later_writes_proceed()
    {
        var attempts = 0;
        var commit = new GroupCommit<int, int>(
            items => ++attempts == 1 ? throw new TimeoutException("database went away") : Task.FromResult<IReadOnlyList<int>>([.. items]),
            maxBatchSize: 10);

        var failed = await Assert.ThrowsAsync<TimeoutException>(() => commit.WriteAsync(1));
        var later = await commit.WriteAsync(2);

        Assert.Equal("database went away", failed.Message);
        Assert.Equal(2, later);
        Assert.Equal(0, commit.PendingCount);
    }
}
