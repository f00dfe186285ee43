using LiveStream.Abstractions.Sessions;
using Npgsql;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// The index of each mentor's sessions (table <c>mentor_sessions</c>), one row per session, so recording a
/// change costs one upsert and listing a page one index range scan however many sessions the mentor has had.
/// </summary>
public interface ISessionIndexStore
{
    Task UpsertAsync(string mentorId, SessionSummary summary, CancellationToken cancellationToken = default);

    Task UpsertManyAsync(string mentorId, IReadOnlyCollection<SessionSummary> summaries, CancellationToken cancellationToken = default);

    /// <summary>
    /// Up to <paramref name="limit"/> sessions newest scheduled first (ties: live id descending), strictly after the
    /// session <paramref name="afterLiveId"/>; null when that session is not one of this mentor's.
    /// </summary>
    Task<IReadOnlyList<SessionSummary>?> ListAsync(string mentorId, string? afterLiveId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The mentor's sessions that have not ended (scheduled, starting, live, ending), other than <paramref name="exceptLiveId"/>;
    /// one still scheduled whose start is more than <paramref name="staleAfter"/> past does not count.
    /// </summary>
    Task<int> CountUpcomingAsync(string mentorId, string exceptLiveId, TimeSpan staleAfter, CancellationToken cancellationToken = default);
}

public sealed class PostgresSessionIndexStore(LiveStreamDataSources dataSources) : ISessionIndexStore
{
    private const string Upsert = """
        INSERT INTO mentor_sessions (mentor_id, live_id, course_id, title, state, scheduled_start, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (mentor_id, live_id) DO UPDATE SET
            course_id = EXCLUDED.course_id, title = EXCLUDED.title, state = EXCLUDED.state,
            scheduled_start = EXCLUDED.scheduled_start, created_at = EXCLUDED.created_at
        """;

    // Bounded (DatabaseCircuit.BoundAsync): scheduling waits on it inside the mentor grain's turn.
    public Task UpsertAsync(string mentorId, SessionSummary summary, CancellationToken cancellationToken = default) =>
        dataSources.Circuit.BoundAsync(UpsertUnboundedAsync(mentorId, summary, cancellationToken));

    private async Task UpsertUnboundedAsync(string mentorId, SessionSummary summary, CancellationToken cancellationToken)
    {
        await using var command = dataSources.Primary.CreateCommand(Upsert);
        AddRow(command.Parameters, mentorId, summary);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UpsertManyAsync(string mentorId, IReadOnlyCollection<SessionSummary> summaries, CancellationToken cancellationToken = default)
    {
        if (summaries.Count == 0)
        {
            return;
        }

        await using var batch = dataSources.Primary.CreateBatch();
        foreach (var summary in summaries)
        {
            var command = new NpgsqlBatchCommand(Upsert);
            AddRow(command.Parameters, mentorId, summary);
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    // Bounded: scheduling waits on it inside the mentor grain's turn.
    public Task<int> CountUpcomingAsync(string mentorId, string exceptLiveId, TimeSpan staleAfter, CancellationToken cancellationToken = default) =>
        dataSources.Circuit.BoundAsync(CountUpcomingUnboundedAsync(mentorId, exceptLiveId, staleAfter, cancellationToken));

    private async Task<int> CountUpcomingUnboundedAsync(string mentorId, string exceptLiveId, TimeSpan staleAfter, CancellationToken cancellationToken)
    {
        // Primary: the count decides whether a schedule is refused, so it must see the mentor's last one. The states are
        // literals (Scheduled 0, Starting 1, Live 2, Ending 3), written as the partial index mentor_sessions_upcoming
        // has them, so the planner reads that index and the count does not grow with the mentor's history.
        await using var command = dataSources.Primary.CreateCommand("""
            SELECT count(*) FROM mentor_sessions
            WHERE mentor_id = $1 AND live_id <> $2 AND state IN (0, 1, 2, 3)
              AND (state <> 0 OR scheduled_start > now() - $3)
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = exceptLiveId });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = staleAfter });
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    // Bounded: a reader gets 503 in seconds from a hung database, like every other database read.
    public Task<IReadOnlyList<SessionSummary>?> ListAsync(string mentorId, string? afterLiveId, int limit, CancellationToken cancellationToken = default) =>
        dataSources.Circuit.BoundAsync(ListUnboundedAsync(mentorId, afterLiveId, limit, cancellationToken));

    private async Task<IReadOnlyList<SessionSummary>?> ListUnboundedAsync(string mentorId, string? afterLiveId, int limit, CancellationToken cancellationToken)
    {
        // Primary: a mentor lists right after scheduling, and a replica may not have the row yet.
        await using var command = dataSources.Primary.CreateCommand(afterLiveId is null
            ? "SELECT live_id, course_id, title, state, scheduled_start, created_at FROM mentor_sessions WHERE mentor_id = $1 ORDER BY scheduled_start DESC, live_id DESC LIMIT $2"
            // No row: the cursor names no session of this mentor. One row of NULLs: the cursor was the last session.
            : """
              SELECT s.live_id, s.course_id, s.title, s.state, s.scheduled_start, s.created_at
              FROM (SELECT scheduled_start, live_id FROM mentor_sessions WHERE mentor_id = $1 AND live_id = $3) c
              LEFT JOIN LATERAL (
                  SELECT * FROM mentor_sessions s
                  WHERE s.mentor_id = $1 AND (s.scheduled_start, s.live_id) < (c.scheduled_start, c.live_id)
                  ORDER BY s.scheduled_start DESC, s.live_id DESC LIMIT $2) s ON true
              ORDER BY s.scheduled_start DESC, s.live_id DESC
              """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        if (afterLiveId is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterLiveId });
        }

        var page = new List<SessionSummary>(limit);
        var cursorFound = afterLiveId is null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            cursorFound = true;
            if (reader.IsDBNull(0))
            {
                break;
            }

            page.Add(new SessionSummary(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                (SessionState)reader.GetInt16(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return cursorFound ? page : null;
    }

    private static void AddRow(NpgsqlParameterCollection parameters, string mentorId, SessionSummary summary)
    {
        parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = summary.LiveId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = summary.CourseId });
        parameters.Add(new NpgsqlParameter<string> { TypedValue = summary.Title });
        parameters.Add(new NpgsqlParameter<short> { TypedValue = (short)summary.State });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = summary.ScheduledStart.ToUniversalTime() });
        parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = summary.CreatedAt.ToUniversalTime() });
    }
}
