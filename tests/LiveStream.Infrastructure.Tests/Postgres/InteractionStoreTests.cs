using LiveStream.Infrastructure.Postgres;
using LiveStream.Testing;
using Npgsql;

namespace LiveStream.Infrastructure.Tests.Postgres;

public sealed class InteractionStoreTests : IAsyncLifetime
{
    private TestDatabase? _database;
    private LiveStreamDataSources? _sources;

    private PostgresInteractionStore Store => new(_sources!);

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        _sources = new LiveStreamDataSources(NpgsqlDataSource.Create(_database.ConnectionString));
    }

    public async Task DisposeAsync()
    {
        await _sources!.DisposeAsync();
        await _database!.DisposeAsync();
    }

    private static PendingInteraction Reaction(string user, string key, string kind) => new(user, key, kind, null, DateTimeOffset.UtcNow);

    private static PendingInteraction Comment(string user, string key, string text) => new(user, key, null, text, DateTimeOffset.UtcNow);

    [Fact]
    public async Task A_mixed_batch_is_stored_and_counted_per_kind()
    {
        var results = await Store.AppendAsync("live-1", [
            Reaction("ana", "k1", "like"), Comment("ana", "k2", "Great point"), Reaction("bo", "k1", "like"), Reaction("bo", "k3", "clap"),
        ]);

        Assert.All(results, result => Assert.True(result.Inserted));
        Assert.NotNull(results[1].CommentId);
        Assert.Null(results[0].CommentId);
        var counts = await Store.CountReactionsAsync("live-1");
        Assert.Equal(2, counts["like"]);
        Assert.Equal(1, counts["clap"]);
        Assert.Equal("Great point", Assert.Single(await Store.LatestCommentsAsync("live-1", 10)).Text);
    }

    [Fact]
    public async Task A_retried_request_key_is_not_stored_twice_across_or_within_batches()
    {
        await Store.AppendAsync("live-2", [Reaction("ana", "retry", "heart"), Comment("ana", "c-retry", "hello")]);

        var again = await Store.AppendAsync("live-2", [
            Reaction("ana", "retry", "heart"), Comment("ana", "c-retry", "hello"), Reaction("bo", "twice", "laugh"), Reaction("bo", "twice", "laugh"),
        ]);

        Assert.Equal([false, false, true, false], again.Select(result => result.Inserted));
        var counts = await Store.CountReactionsAsync("live-2");
        Assert.Equal(1, counts["heart"]);
        Assert.Equal(1, counts["laugh"]);
        Assert.Single(await Store.LatestCommentsAsync("live-2", 10));
    }

    [Fact]
    public async Task Comments_page_by_cursor_in_posting_order_and_deleted_ones_disappear()
    {
        var stored = await Store.AppendAsync("live-3", [.. Enumerable.Range(1, 5).Select(i => Comment("ana", $"c{i}", $"comment {i}"))]);
        var ids = stored.Select(result => result.CommentId!.Value).ToList();

        Assert.True(await Store.DeleteCommentAsync("live-3", ids[2]));
        var first = await Store.ListCommentsAsync("live-3", 0, 2);
        var second = await Store.ListCommentsAsync("live-3", first[^1].CommentId, 10);

        Assert.Equal(["comment 1", "comment 2"], first.Select(comment => comment.Text));
        Assert.Equal(["comment 4", "comment 5"], second.Select(comment => comment.Text));
        Assert.False(await Store.DeleteCommentAsync("live-3", ids[2]));
        Assert.Empty(await Store.ListCommentsAsync("other-live", 0, 10));
    }

    [Fact]
    public async Task Timeline_groups_reactions_by_second_and_kind()
    {
        var start = new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero);
        await Store.AppendAsync("live-4", [
            new("a", "1", "like", null, start.AddMilliseconds(100)),
            new("b", "2", "like", null, start.AddMilliseconds(900)),
            new("c", "3", "clap", null, start.AddSeconds(1)),
        ]);

        var timeline = await Store.TimelineAsync("live-4");

        Assert.Equal([(start, "like", 2L), (start.AddSeconds(1), "clap", 1L)], timeline.Select(point => (point.Second, point.Kind, point.Count)));
    }
}
