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
    // A write first claims its request key in session_request_keys (sql/0054_session_request_keys.sql) and is stored
    // only if the claim succeeded: uniqueness across reactions and comments is a unique-index conflict check, with no
    // plan that could read the session's history. A reaction is nothing but its claim with a kind and a time
    // (sql/0055_reactions_in_request_keys.sql); a comment's text goes to session_comments. A key claimed twice within
    // one batch is stored once: the second is a conflict like any other. A reaction's fingerprint repeats its kind so
    // that silos still on the previous code, which compare fingerprints only, tell its retries from a reused key.
    internal const string AppendReactionsSql = """
        INSERT INTO session_request_keys (live_id, user_id, request_key, fingerprint, kind, reacted_at)
        SELECT $1, u, k, 'r:' || r, r, t FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS x(u, k, r, t)
        ON CONFLICT DO NOTHING
        RETURNING user_id, request_key, NULL::bigint
        """;

    // Reactions written before 0055 (or by a silo still on the previous code during a rolling deploy) are rows of
    // session_reactions whose key row has no kind; every reaction is counted from exactly one of the two.
    private const string ReactionsOfSessionSql = """
        SELECT kind, reacted_at FROM session_reactions WHERE live_id = $1
        UNION ALL
        SELECT kind, reacted_at FROM session_request_keys WHERE live_id = $1 AND kind IS NOT NULL
        """;

    private const string CountReactionsSql = $"SELECT kind, count(*) FROM ({ReactionsOfSessionSql}) r GROUP BY kind";

    private const string TimelineSql =
        $"SELECT date_trunc('second', reacted_at) AS second, kind, count(*) FROM ({ReactionsOfSessionSql}) r GROUP BY 1, 2 ORDER BY 1, 2";

    internal const string AppendCommentsSql = """
        WITH claimed AS (
            INSERT INTO session_request_keys (live_id, user_id, request_key, fingerprint)
            SELECT $1, u, k, 'c:' || md5(b) FROM unnest($2::text[], $3::text[], $4::text[]) AS x(u, k, b)
            ON CONFLICT DO NOTHING
            RETURNING user_id, request_key)
        INSERT INTO session_comments (live_id, user_id, request_key, body, posted_at)
        SELECT $1, u, k, b, t FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) WITH ORDINALITY AS x(u, k, b, t, n)
        WHERE (u, k) IN (SELECT user_id, request_key FROM claimed)
        ORDER BY n
        ON CONFLICT DO NOTHING
        RETURNING user_id, request_key, comment_id
        """;

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
            var command = new NpgsqlBatchCommand(AppendReactionsSql);
            AddColumns(command, liveId, reactions, interaction => interaction.Kind!);
            batch.BatchCommands.Add(command);
        }

        if (comments.Count > 0)
        {
            var command = new NpgsqlBatchCommand(AppendCommentsSql);
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
            var same = await SameAsStoredAsync(liveId, [.. repeated.Select(i => interactions[i])], cancellationToken);
            for (var j = 0; j < repeated.Count; j++)
            {
                results[repeated[j]] = new AppendResult(false, null, KeyReused: !same[j]);
            }
        }

        return results;
    }

    /// <summary>For each item whose key was already taken: whether it is the request stored under that key again.</summary>
    private async Task<bool[]> SameAsStoredAsync(string liveId, IReadOnlyList<PendingInteraction> interactions, CancellationToken cancellationToken)
    {
        // Every condition of the lookup comes from the item, so the only plans are a key lookup per item or a scan of
        // the whole table, never a read of one session's rows filtered by key.
        await using var command = dataSources.Primary.CreateCommand("""
            SELECT x.n, s.fingerprint = CASE WHEN x.c THEN 'c:' || md5(x.v) ELSE 'r:' || x.v END
            FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::text[]) WITH ORDINALITY AS x(l, u, k, c, v, n)
            CROSS JOIN LATERAL (
                SELECT fingerprint FROM session_request_keys s
                WHERE s.live_id = x.l AND s.user_id = x.u AND s.request_key = x.k
                LIMIT 1) s
            """);
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(_ => liveId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(row => row.UserId)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(row => row.RequestKey)] });
        command.Parameters.Add(new NpgsqlParameter<bool[]> { TypedValue = [.. interactions.Select(row => row.Comment is not null)] });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. interactions.Select(row => row.Comment ?? row.Kind!)] });
        var same = new bool[interactions.Count];
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            same[reader.GetInt64(0) - 1] = reader.GetBoolean(1);
        }

        return same;
    }

    public async Task<IReadOnlyDictionary<string, long>> CountReactionsAsync(string liveId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand(CountReactionsSql);
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
        await using var command = dataSources.Read.CreateCommand(TimelineSql);
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
