using LiveStream.Abstractions.Reactions;
using Npgsql;
using NpgsqlTypes;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>A reaction or comment waiting to be written; <see cref="RequestKey"/> makes a retry land on the same row.</summary>
public sealed record PendingInteraction(string UserId, string RequestKey, string? Kind, string? Comment, DateTimeOffset At);

/// <summary>
/// Whether a pending interaction was new (false: a retry of one already stored) and, for a comment, its id.
/// <see cref="KeyReused"/>: not stored because its request key was already used by this user for a different
/// reaction or comment (another body under the same Idempotency-Key).
/// </summary>
public readonly record struct AppendResult(bool Inserted, long? CommentId, bool KeyReused = false);

public sealed record TimelinePoint(DateTimeOffset Second, string Kind, long Count);

/// <summary>The durable side of a session's reactions and comments.</summary>
public interface IInteractionStore
{
    /// <summary>Writes a whole group commit in one round-trip; results are in the order of <paramref name="interactions"/>.</summary>
    Task<IReadOnlyList<AppendResult>> AppendAsync(string liveId, IReadOnlyList<PendingInteraction> interactions, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, long>> CountReactionsAsync(string liveId, CancellationToken cancellationToken = default);

    /// <summary>Visible comments with an id above <paramref name="afterCommentId"/>, oldest first, from the read connection.</summary>
    Task<IReadOnlyList<Comment>> ListCommentsAsync(string liveId, long afterCommentId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The newest visible comments, oldest first, from the primary (what a grain reloads on activation).</summary>
    Task<IReadOnlyList<Comment>> LatestCommentsAsync(string liveId, int count, CancellationToken cancellationToken = default);

    Task<bool> DeleteCommentAsync(string liveId, long commentId, CancellationToken cancellationToken = default);

    /// <summary>Reactions per second and kind, for a replay to show when the room reacted.</summary>
    Task<IReadOnlyList<TimelinePoint>> TimelineAsync(string liveId, CancellationToken cancellationToken = default);
}

public sealed class PostgresInteractionStore(LiveStreamDataSources dataSources) : IInteractionStore
{
    // Bounded (DatabaseCircuit.BoundAsync): every reaction and comment of a session waits on this flush.
    public Task<IReadOnlyList<AppendResult>> AppendAsync(string liveId, IReadOnlyList<PendingInteraction> interactions, CancellationToken cancellationToken = default) =>
        dataSources.Circuit.BoundAsync(AppendUnboundedAsync(liveId, interactions, cancellationToken));

    private async Task<IReadOnlyList<AppendResult>> AppendUnboundedAsync(string liveId, IReadOnlyList<PendingInteraction> interactions, CancellationToken cancellationToken)
    {
        var reactions = interactions.Where(interaction => interaction.Kind is not null).ToList();
        var comments = interactions.Where(interaction => interaction.Comment is not null).ToList();

        await using var batch = dataSources.Primary.CreateBatch();
        if (reactions.Count > 0)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO session_reactions (live_id, user_id, request_key, kind, reacted_at)
                SELECT $1, u, k, r, t FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(u, k, r, t)
                WHERE NOT EXISTS (SELECT 1 FROM session_comments c WHERE c.live_id = $1 AND c.user_id = u AND c.request_key = k)
                ON CONFLICT DO NOTHING
                RETURNING user_id, request_key, NULL::bigint
                """);
            AddColumns(command, liveId, reactions, interaction => interaction.Kind!);
            batch.BatchCommands.Add(command);
        }

        if (comments.Count > 0)
        {
            var command = new NpgsqlBatchCommand("""
                INSERT INTO session_comments (live_id, user_id, request_key, body, posted_at)
                SELECT $1, u, k, b, t FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS x(u, k, b, t, n)
                WHERE NOT EXISTS (SELECT 1 FROM session_reactions r WHERE r.live_id = $1 AND r.user_id = u AND r.request_key = k)
                ORDER BY n
                ON CONFLICT DO NOTHING
                RETURNING user_id, request_key, comment_id
                """);
            AddColumns(command, liveId, comments, interaction => interaction.Comment!);
            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count == 0)
        {
            return [];
        }

        var stored = new Dictionary<(string UserId, string RequestKey, bool IsComment), long?>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            var isComment = reactions.Count == 0;
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    stored[(reader.GetString(0), reader.GetString(1), isComment)] = reader.IsDBNull(2) ? null : reader.GetInt64(2);
                }

                isComment = true;
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        var results = new AppendResult[interactions.Count];
        var repeated = new List<int>();
        for (var i = 0; i < interactions.Count; i++)
        {
            var interaction = interactions[i];
            var key = (interaction.UserId, interaction.RequestKey, interaction.Comment is not null);
            // Within one batch the same request may appear twice; only its first occurrence counts as new.
            if (stored.Remove(key, out var commentId))
            {
                results[i] = new AppendResult(true, commentId);
            }
            else
            {
                repeated.Add(i);
            }
        }

        if (repeated.Count > 0)
        {
            // Rare (client retries), so the hot path pays nothing: a repeated key is a replay only when what is stored
            // under it is the same reaction or the same comment text; anything else is the key reused for another body.
            var first = await StoredUnderKeysAsync(liveId, [.. repeated.Select(i => interactions[i])], cancellationToken);
            foreach (var i in repeated)
            {
                var interaction = interactions[i];
                var same = first.TryGetValue((interaction.UserId, interaction.RequestKey), out var original)
                    && original.IsComment == (interaction.Comment is not null)
                    && original.Value == (interaction.Comment ?? interaction.Kind);
                results[i] = new AppendResult(false, null, KeyReused: !same);
            }
        }

        return results;
    }

    private async Task<Dictionary<(string UserId, string RequestKey), (bool IsComment, string Value)>> StoredUnderKeysAsync(
        string liveId, IReadOnlyList<PendingInteraction> interactions, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand("""
            SELECT false, r.user_id, r.request_key, r.kind FROM session_reactions r
            JOIN unnest($2::text[], $3::text[]) AS x(u, k) ON r.user_id = x.u AND r.request_key = x.k WHERE r.live_id = $1
            UNION ALL
            SELECT true, c.user_id, c.request_key, c.body FROM session_comments c
            JOIN unnest($2::text[], $3::text[]) AS x(u, k) ON c.user_id = x.u AND c.request_key = x.k WHERE c.live_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(row => row.UserId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(row => row.RequestKey)] });
        var stored = new Dictionary<(string, string), (bool, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            stored.TryAdd((reader.GetString(1), reader.GetString(2)), (reader.GetBoolean(0), reader.GetString(3)));
        }

        return stored;
    }

    public async Task<IReadOnlyDictionary<string, long>> CountReactionsAsync(string liveId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand("SELECT kind, count(*) FROM session_reactions WHERE live_id = $1 GROUP BY kind");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }

        return counts;
    }

    public Task<IReadOnlyList<Comment>> ListCommentsAsync(string liveId, long afterCommentId, int limit, CancellationToken cancellationToken = default) =>
        ReadCommentsAsync(dataSources.Read, """
            SELECT comment_id, user_id, body, posted_at FROM session_comments
            WHERE live_id = $1 AND comment_id > $2 AND deleted_at IS NULL
            ORDER BY comment_id LIMIT $3
            """, liveId, afterCommentId, limit, cancellationToken);

    public async Task<IReadOnlyList<Comment>> LatestCommentsAsync(string liveId, int count, CancellationToken cancellationToken = default)
    {
        var newestFirst = await ReadCommentsAsync(dataSources.Primary, """
            SELECT comment_id, user_id, body, posted_at FROM session_comments
            WHERE live_id = $1 AND comment_id > $2 AND deleted_at IS NULL
            ORDER BY comment_id DESC LIMIT $3
            """, liveId, 0, count, cancellationToken);
        return [.. newestFirst.Reverse()];
    }

    public async Task<bool> DeleteCommentAsync(string liveId, long commentId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand(
            "UPDATE session_comments SET deleted_at = now() WHERE live_id = $1 AND comment_id = $2 AND deleted_at IS NULL");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = commentId });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task<IReadOnlyList<TimelinePoint>> TimelineAsync(string liveId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Read.CreateCommand("""
            SELECT date_trunc('second', reacted_at) AS second, kind, count(*) FROM session_reactions
            WHERE live_id = $1 GROUP BY 1, 2 ORDER BY 1, 2
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        var points = new List<TimelinePoint>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            points.Add(new TimelinePoint(reader.GetFieldValue<DateTimeOffset>(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return points;
    }

    private static void AddColumns(NpgsqlBatchCommand command, string liveId, List<PendingInteraction> rows, Func<PendingInteraction, string> value)
    {
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(row => row.UserId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(row => row.RequestKey)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. rows.Select(value)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]> { TypedValue = [.. rows.Select(row => row.At.ToUniversalTime())], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
    }

    private static async Task<IReadOnlyList<Comment>> ReadCommentsAsync(NpgsqlDataSource source, string sql, string liveId, long after, int limit, CancellationToken cancellationToken)
    {
        await using var command = source.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var comments = new List<Comment>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            comments.Add(new Comment(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return comments;
    }
}
