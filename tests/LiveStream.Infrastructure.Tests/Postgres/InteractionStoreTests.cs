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

    [Fact]
    public async Task A_key_taken_by_a_reaction_or_comment_is_refused_to_the_other_within_and_across_batches()
    {
        // Arrange
        await Store.AppendAsync("live-keys", [Reaction("ana", "taken-by-reaction", "clap"), Comment("ana", "taken-by-comment", "first words")]);

        // Act
        var results = await Store.AppendAsync("live-keys", [
            Comment("ana", "taken-by-reaction", "sneaked in"), Reaction("ana", "taken-by-comment", "heart"),
            Reaction("bo", "shared", "like"), Comment("bo", "shared", "and a comment"),
            Reaction("ana", "taken-by-reaction", "clap"), Comment("ana", "taken-by-comment", "first words"),
        ]);

        // Assert: the other body under a taken key is refused; the same request again is a plain retry.
        Assert.Equal([false, false, true, false, false, false], results.Select(result => result.Inserted));
        Assert.Equal([true, true, false, true, false, false], results.Select(result => result.KeyReused));
        Assert.Equal(1, (await Store.CountReactionsAsync("live-keys"))["clap"]);
        Assert.Equal(1, (await Store.CountReactionsAsync("live-keys"))["like"]);
        Assert.Equal("first words", Assert.Single(await Store.LatestCommentsAsync("live-keys", 10)).Text);
    }

    [Fact]
    public async Task Reactions_stored_by_the_previous_schema_and_by_this_one_are_each_counted_once_and_keep_their_keys()
    {
        // Arrange: a reaction as code before sql/0055 stored it (a session_reactions row, a key row without a kind), as
        // a silo still on that code does during a rolling deploy, then reactions stored by this code.
        var start = new DateTimeOffset(2026, 11, 23, 18, 0, 0, TimeSpan.Zero);
        await using (var connection = await _sources!.Primary.OpenConnectionAsync())
        {
            await ExecuteAsync(connection, """
                INSERT INTO session_reactions VALUES ('live-mixed', 'ana', 'before', 'like', '2026-11-23T18:00:00.5Z');
                INSERT INTO session_request_keys (live_id, user_id, request_key, fingerprint) VALUES ('live-mixed', 'ana', 'before', 'r:like');
                """);
        }

        // Act
        var results = await Store.AppendAsync("live-mixed", [
            new("bo", "after", "like", null, start.AddMilliseconds(700)), new("bo", "later", "clap", null, start.AddSeconds(1)),
            Reaction("ana", "before", "like"), Comment("ana", "before", "a comment under the old reaction's key"),
        ]);

        // Assert
        Assert.Equal([true, true, false, false], results.Select(result => result.Inserted));
        Assert.True(results[3].KeyReused);
        var counts = await Store.CountReactionsAsync("live-mixed");
        Assert.Equal(2, counts["like"]);
        Assert.Equal(1, counts["clap"]);
        var timeline = await Store.TimelineAsync("live-mixed");
        Assert.Equal([(start, "like", 2L), (start.AddSeconds(1), "clap", 1L)], timeline.Select(point => (point.Second, point.Kind, point.Count)));
    }

    [Theory]
    [InlineData("comments")]
    [InlineData("reactions")]
    public async Task A_write_reads_none_of_a_busy_sessions_rows_even_one_the_statistics_never_saw(string writing)
    {
        // Arrange: statistics gathered while other sessions filled the tables, then a live session busier than all of
        // them, as in production where the session being written is always newer than the last ANALYZE.
        await using var connection = await _sources!.Primary.OpenConnectionAsync();
        await ExecuteAsync(connection, """
            INSERT INTO session_reactions SELECT 'old-' || (i % 100), 'u' || (i % 50), 'r' || i, 'clap', now() FROM generate_series(1, 20000) i;
            INSERT INTO session_comments (live_id, user_id, request_key, body, posted_at) SELECT 'old-' || (i % 100), 'u' || (i % 50), 'c' || i, 'hi', now() FROM generate_series(1, 5000) i;
            INSERT INTO session_request_keys SELECT live_id, user_id, request_key, 'r:clap' FROM session_reactions;
            ANALYZE session_reactions;
            ANALYZE session_comments;
            ANALYZE session_request_keys;
            INSERT INTO session_request_keys SELECT 'hot', 'u' || (i % 50), 'r' || i, 'r:clap', 'clap', now() FROM generate_series(1, 30000) i;
            INSERT INTO session_comments (live_id, user_id, request_key, body, posted_at) SELECT 'hot', 'u' || (i % 50), 'c' || i, 'hi', now() FROM generate_series(1, 30000) i;
            INSERT INTO session_request_keys SELECT live_id, user_id, request_key, 'c:' || md5(body) FROM session_comments WHERE live_id = 'hot';
            """);
        var sql = writing == "comments" ? PostgresInteractionStore.AppendCommentsSql : PostgresInteractionStore.AppendReactionsSql;

        // Act: the store's own statement for a batch of three, planned and run as the store runs it, then undone.
        var rowsRead = await RowsReadAsync(connection, sql, ["u1", "u2", "u3"], ["new-1", "new-2", "new-3"]);

        // Assert: the session's 30,000 reactions and comments stay unread.
        Assert.Equal(0, rowsRead);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static readonly string[] SessionTables = ["session_reactions", "session_comments", "session_request_keys"];

    /// <summary>Rows the executed plan took out of the session tables (returned or filtered away), from EXPLAIN ANALYZE.</summary>
    private static async Task<long> RowsReadAsync(NpgsqlConnection connection, string sql, string[] users, string[] keys)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand($"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "hot" });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = users });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. keys.Select(_ => "clap")] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. keys.Select(_ => DateTimeOffset.UtcNow)] });
        var plan = System.Text.Json.JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!);
        await transaction.RollbackAsync();
        return RowsRead(plan.RootElement[0].GetProperty("Plan"));
    }

    private static long RowsRead(System.Text.Json.JsonElement node)
    {
        long read = 0;
        // A ModifyTable node's rows are the ones it wrote, not read.
        if (node.GetProperty("Node Type").GetString() != "ModifyTable"
            && node.TryGetProperty("Relation Name", out var relation) && SessionTables.Contains(relation.GetString()))
        {
            read += (long)(node.GetProperty("Actual Rows").GetDouble() * node.GetProperty("Actual Loops").GetDouble());
            read += node.TryGetProperty("Rows Removed by Filter", out var filtered) ? filtered.GetInt64() : 0;
            read += node.TryGetProperty("Rows Removed by Index Recheck", out var rechecked) ? rechecked.GetInt64() : 0;
        }

        if (node.TryGetProperty("Plans", out var children))
        {
            read += children.EnumerateArray().Sum(RowsRead);
        }

        return read;
    }
}
