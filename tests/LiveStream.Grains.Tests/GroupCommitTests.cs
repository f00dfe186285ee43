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

    [Fact]
    public async Task Writes_made_while_gathered_share_one_flush_that_starts_when_the_gathering_ends()
    {
        // Arrange
        var flushSizes = new List<int>();
        var commit = new GroupCommit<int, int>(items =>
        {
            flushSizes.Add(items.Count);
            return Task.FromResult<IReadOnlyList<int>>([.. items.Select(item => item * 10)]);
        }, maxBatchSize: 100);

        // Act
        List<Task<int>> writes;
        using (commit.Gather())
        {
            writes = [.. Enumerable.Range(1, 10).Select(commit.WriteAsync)];
            Assert.Empty(flushSizes);
        }

        var results = await Task.WhenAll(writes);

        // Assert: ungathered, the first write would have gone alone ([1, 9]).
        Assert.Equal([10], flushSizes);
        Assert.Equal(Enumerable.Range(1, 10).Select(item => item * 10), results);
        Assert.True(commit.IsIdle);
    }

    [Fact]
    public async Task Gathering_does_not_hold_back_a_flush_already_running_or_its_successor()
    {
        // Arrange: a flush in flight when the gathering starts.
        var release = new TaskCompletionSource();
        var flushSizes = new List<int>();
        var commit = new GroupCommit<int, int>(async items =>
        {
            flushSizes.Add(items.Count);
            if (flushSizes.Count == 1)
            {
                await release.Task;
            }

            return [.. items];
        }, maxBatchSize: 100);
        var first = commit.WriteAsync(1);

        // Act: the gathering never ends, as when its owner fails before disposing it.
        _ = commit.Gather();
        var gathered = Enumerable.Range(2, 3).Select(commit.WriteAsync).ToList();
        release.SetResult();
        await Task.WhenAll(gathered.Prepend(first));

        // Assert
        Assert.Equal([1, 3], flushSizes);
    }
}
