using Npgsql;

namespace LiveStream.Infrastructure.Postgres;

/// <summary>
/// The follower edges (mentor ← mentee). They live in a table of their own rather than in either grain's
/// state so a mentor with 100,000 followers never loads them all, and the notification fan-out can page
/// through them by key.
/// </summary>
public interface IFollowStore
{
    Task FollowAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default);

    Task UnfollowAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default);

    Task<bool> IsFollowingAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default);

    /// <summary>Followers of a mentor in mentee-id order, strictly after <paramref name="afterMenteeId"/>.</summary>
    Task<IReadOnlyList<string>> ListFollowersAsync(string mentorId, string? afterMenteeId, int limit, CancellationToken cancellationToken = default);

    Task<long> CountFollowersAsync(string mentorId, CancellationToken cancellationToken = default);
}

public sealed class PostgresFollowStore(LiveStreamDataSources dataSources) : IFollowStore
{
    public async Task FollowAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand(
            "INSERT INTO follows (mentor_id, mentee_id) VALUES ($1, $2) ON CONFLICT (mentor_id, mentee_id) DO NOTHING");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task UnfollowAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand("DELETE FROM follows WHERE mentor_id = $1 AND mentee_id = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> IsFollowingAsync(string mentorId, string menteeId, CancellationToken cancellationToken = default)
    {
        // Read from the primary: the fan-out asks this right before delivering, and a replica may lag an unfollow.
        await using var command = dataSources.Primary.CreateCommand("SELECT EXISTS (SELECT 1 FROM follows WHERE mentor_id = $1 AND mentee_id = $2)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = menteeId });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<IReadOnlyList<string>> ListFollowersAsync(string mentorId, string? afterMenteeId, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Primary.CreateCommand(
            "SELECT mentee_id FROM follows WHERE mentor_id = $1 AND mentee_id > $2 ORDER BY mentee_id LIMIT $3");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = afterMenteeId ?? string.Empty });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        var followers = new List<string>(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            followers.Add(reader.GetString(0));
        }

        return followers;
    }

    public async Task<long> CountFollowersAsync(string mentorId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSources.Read.CreateCommand("SELECT count(*) FROM follows WHERE mentor_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = mentorId });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
