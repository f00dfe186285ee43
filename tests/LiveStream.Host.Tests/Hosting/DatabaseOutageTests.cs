using System.Diagnostics;
using System.Net;
using LiveStream.Testing;
using Npgsql;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>
/// The database is the one shared dependency: when it goes away a request that needs it is refused quickly with
/// 503 + Retry-After (never 500, never a hang), and when it comes back the same process serves it again.
/// Each test runs a PostgreSQL server of its own, since it stops it or replicates it.
/// </summary>
public sealed class DatabaseOutageTests
{
    private static readonly TimeSpan FailFast = TimeSpan.FromSeconds(2);

    // A process start takes seconds on a quiet box and over a minute on a shared, saturated one.
    private static readonly TimeSpan SlowBoxStart = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_stopped_database_answers_503_with_Retry_After_within_2_s_and_the_same_process_recovers_when_it_returns()
    {
        // Arrange
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database, HostProcess.NewSigningKey()) { ReadyTimeout = SlowBoxStart });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        var read = $"/mentee/{menteeId}/notifications";
        var write = $"/mentee/{menteeId}/following/{mentorId}";
        using (var warm = await api.SendAsync(HttpMethod.Get, read, token: menteeToken))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Act: the database goes away under a running process.
        await server.StopAsync();
        var (readStatus, readRetryAfter, readTime) = await TimedAsync(api, HttpMethod.Get, read, menteeToken);
        var (writeStatus, writeRetryAfter, writeTime) = await TimedAsync(api, HttpMethod.Put, write, menteeToken);

        // Assert: refused fast, with a hint when to come back.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, readStatus);
        Assert.NotNull(readRetryAfter);
        Assert.True(readTime < FailFast, $"read took {readTime.TotalMilliseconds:F0} ms");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, writeStatus);
        Assert.NotNull(writeRetryAfter);
        Assert.True(writeTime < FailFast, $"write took {writeTime.TotalMilliseconds:F0} ms");
        await server.StartAgainAsync();
        Assert.Equal(0L, await ScalarAsync<long>(database, "SELECT count(*) FROM follows WHERE mentee_id = $1", menteeId)); // refused: not done

        // Act: the database is back; the same process, no restart.
        var recovered = await EventuallyAsync(async () =>
            (await TimedAsync(api, HttpMethod.Get, read, menteeToken)).Status == HttpStatusCode.OK
            && (await TimedAsync(api, HttpMethod.Put, write, menteeToken)).Status == HttpStatusCode.NoContent);

        // Assert
        Assert.True(recovered, $"no recovery without a restart:\n{host.Output[^Math.Min(host.Output.Length, 4000)..]}");
        Assert.False(host.HasExited);
        Assert.Equal(1L, await ScalarAsync<long>(database, "SELECT count(*) FROM follows WHERE mentee_id = $1", menteeId));
    }

    [Fact]
    public async Task Once_a_restarted_database_serves_again_no_request_fails_on_a_connection_pooled_before_the_restart()
    {
        // Arrange: grain state written, so the grain-storage pool holds connections to the server about to restart.
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database, HostProcess.NewSigningKey()) { ReadyTimeout = SlowBoxStart });
        using var api = new ApiClient(host.CreateClient());
        var menteeId = Ids.New("mentee");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        var mentors = new List<(string Id, string Token)>();
        for (var index = 0; index < 4; index++)
        {
            var mentorId = Ids.New("mentor");
            mentors.Add((mentorId, await api.CreateMentorAsync(mentorId, "engines")));
        }

        var read = $"/mentee/{menteeId}/notifications";

        // Act: the server restarts; wait until a read through our own store succeeds again.
        await server.StopAsync();
        using (var refused = await api.SendAsync(HttpMethod.Get, read, token: menteeToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        await server.StartAgainAsync();
        Assert.True(await EventuallyAsync(async () => (await TimedAsync(api, HttpMethod.Get, read, menteeToken)).Status == HttpStatusCode.OK));

        // Then grain-state writes (Orleans' pool, untouched during the outage: the circuit refused those writes).
        var statuses = new List<HttpStatusCode>();
        foreach (var (mentorId, token) in mentors)
        {
            using var renamed = await api.SendAsync(HttpMethod.Put, $"/mentor/{mentorId}", new { displayName = "Grace Hopper" }, token);
            statuses.Add(renamed.StatusCode);
        }

        // Assert
        Assert.True(statuses.All(status => status == HttpStatusCode.OK), $"{string.Join(", ", statuses)}\n{host.Output[^Math.Min(host.Output.Length, 6000)..]}");
    }

    [Fact]
    public async Task A_hung_database_keeps_live_session_reads_answering_refuses_writes_with_503_within_2_s_and_recovers_when_it_answers_again()
    {
        // Arrange: a live session, read once so its grain holds it in memory.
        const string callbackSecret = "outage-tests-media-callback-secret-0001";
        await using var server = await PostgresServer.StartAsync();
        var database = await server.CreateDatabaseAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database, HostProcess.NewSigningKey())
        {
            ReadyTimeout = SlowBoxStart,
            Settings = new Dictionary<string, string> { ["Media:Local:CallbackSecret"] = callbackSecret },
        });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(Ids.New("mentee"));
        var liveId = await api.ScheduleLiveSessionAsync(mentorId, mentorToken, callbackSecret);
        var read = $"/mentor/{mentorId}/live/{liveId}";
        var write = $"/mentor/{mentorId}/live/{liveId}/reaction";
        Assert.Equal(HttpStatusCode.OK, (await TimedAsync(api, HttpMethod.Get, read, menteeToken)).Status);

        // Act: every server process stops answering; connections stay open.
        await server.FreezeAsync();
        var reads = new List<(HttpStatusCode Status, string? RetryAfter, TimeSpan Elapsed)>();
        var writes = new List<(HttpStatusCode Status, string? RetryAfter, TimeSpan Elapsed)>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                writes.Add(await TimedReactionAsync(api, write, menteeToken, $"hung-{i}"));
                reads.Add(await TimedAsync(api, HttpMethod.Get, read, menteeToken));
            }
        }
        finally
        {
            await server.ThawAsync();
        }

        // Assert: the session is still served from memory; writes are refused fast with a hint when to come back.
        Assert.All(reads, answer =>
        {
            Assert.Equal(HttpStatusCode.OK, answer.Status);
            Assert.True(answer.Elapsed < TimeSpan.FromSeconds(3), $"read took {answer.Elapsed.TotalMilliseconds:F0} ms");
        });
        Assert.All(writes, answer =>
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
            Assert.NotNull(answer.RetryAfter);
            Assert.True(answer.Elapsed < FailFast, $"write took {answer.Elapsed.TotalMilliseconds:F0} ms");
        });

        // Act + Assert: the database answers again; the same process takes writes without a restart.
        var recovered = await EventuallyAsync(async () => (await TimedReactionAsync(api, write, menteeToken, Ids.New("after"))).Status == HttpStatusCode.OK);
        Assert.True(recovered, $"no recovery after the thaw:\n{host.Output[^Math.Min(host.Output.Length, 4000)..]}");
        Assert.False(host.HasExited);
    }

    [Fact]
    public async Task With_a_replica_configured_inbox_pages_are_read_from_the_replica_and_writes_go_to_the_primary()
    {
        // Arrange: a primary and its streaming replica; the host reads lag-tolerant pages from the replica.
        await using var primary = await PostgresServer.StartAsync();
        var database = await primary.CreateDatabaseAsync();
        await using var replica = await primary.StartReplicaAsync();
        var replicaDatabase = replica.ConnectionStringFor(database);
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string> { ["ConnectionStrings:PostgresRead"] = replicaDatabase },
            ReadyTimeout = SlowBoxStart,
        });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        Assert.True(await EventuallyAsync(async () => await ScalarAsync<long>(replicaDatabase, "SELECT count(*) FROM follows") == 0));

        // Act: the replica stops replaying (lagging); a row changes on the primary and a write is made.
        await ScalarAsync<object>(replicaDatabase, "SELECT pg_wal_replay_pause()");
        await ScalarAsync<object>(database,
            "INSERT INTO notifications (live_id, mentee_id, kind, mentor_id, title, body) VALUES ('live-x', $1, 'scheduled', $2, 'Soon', 'A session')",
            menteeId, mentorId);
        using var follow = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/following/{mentorId}", token: menteeToken);
        using var lagging = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications", token: menteeToken);
        var laggingItems = (await ApiClient.JsonAsync(lagging)).GetProperty("items").GetArrayLength();

        // Assert: the write landed on the primary only; the list came from the lagging replica.
        Assert.Equal(HttpStatusCode.NoContent, follow.StatusCode);
        Assert.Equal(1L, await ScalarAsync<long>(database, "SELECT count(*) FROM follows WHERE mentee_id = $1", menteeId));
        Assert.Equal(0L, await ScalarAsync<long>(replicaDatabase, "SELECT count(*) FROM follows WHERE mentee_id = $1", menteeId));
        Assert.Equal(HttpStatusCode.OK, lagging.StatusCode);
        Assert.Equal(0, laggingItems);

        // Act + Assert: replay resumes and the page catches up.
        await ScalarAsync<object>(replicaDatabase, "SELECT pg_wal_replay_resume()");
        Assert.True(await EventuallyAsync(async () =>
        {
            using var page = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications", token: menteeToken);
            return page.StatusCode == HttpStatusCode.OK && (await ApiClient.JsonAsync(page)).GetProperty("items").GetArrayLength() == 1;
        }));
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter, TimeSpan Elapsed)> TimedAsync(ApiClient api, HttpMethod method, string path, string token)
    {
        var watch = Stopwatch.StartNew();
        using var response = await api.SendAsync(method, path, token: token);
        watch.Stop();
        return (response.StatusCode, response.Headers.RetryAfter?.ToString(), watch.Elapsed);
    }

    private static async Task<(HttpStatusCode Status, string? RetryAfter, TimeSpan Elapsed)> TimedReactionAsync(ApiClient api, string path, string token, string idempotencyKey)
    {
        var watch = Stopwatch.StartNew();
        using var response = await api.SendAsync(HttpMethod.Post, path, new { reaction = "clap" }, token, new Dictionary<string, string> { ["Idempotency-Key"] = idempotencyKey });
        watch.Stop();
        return (response.StatusCode, response.Headers.RetryAfter?.ToString(), watch.Elapsed);
    }

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(200);
        }

        return false;
    }

    private static async Task<T?> ScalarAsync<T>(string connectionString, string sql, params object[] parameters)
    {
        // Unpooled: the test's own connections must not outlive a server restart.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }
}
