using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LiveStream.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace LiveStream.Host.Tests.Reactions;

/// <summary>
/// Acceptance 1, last part: a process killed with <c>kill -9</c> in the middle of a load run loses nothing it
/// acknowledged. Clients record every 2xx answer; after a restart, the store and the API are compared with it.
/// </summary>
public sealed class ReactionDurabilityTests(ITestOutputHelper output)
{
    private const string CallbackSecret = "reaction-durability-callback-secret";
    private const int Viewers = 8;
    private static readonly string[] Kinds = ["like", "clap", "heart"];

    [Fact]
    public async Task Nothing_acknowledged_is_lost_when_the_process_is_killed_during_a_load_run()
    {
        // Arrange: one process, a live session, and viewers with budgets high enough never to be rate limited.
        await using var database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>
            {
                ["Media:Local:CallbackSecret"] = CallbackSecret,
                ["RateLimits:ReactionsPerSecond"] = "100000",
                ["RateLimits:ReactionBurst"] = "100000",
                ["RateLimits:CommentsPerMinute"] = "100000",
                ["RateLimits:CommentBurst"] = "100000",
            },
        };
        var first = await HostProcess.StartAsync(options);
        var acknowledged = new ConcurrentBag<Acknowledged>();
        var failures = new ConcurrentBag<string>();
        string mentorId, liveId;
        int siloPort, gatewayPort;
        try
        {
            using var api = new ApiClient(first.CreateClient());
            (mentorId, liveId, _) = await ReactionFixture.StartLiveSessionAsync(api, CallbackSecret);
            var viewers = new List<(string Id, string Token)>();
            for (var i = 0; i < Viewers; i++)
            {
                var viewerId = Ids.New("viewer");
                viewers.Add((viewerId, await api.CreateMenteeAsync(viewerId)));
            }

            // Act: every viewer posts back to back until the process dies under it.
            using var stop = new CancellationTokenSource();
            var clients = viewers.Select(viewer => Task.Run(() => PostUntilFailureAsync(
                first.BaseAddress, mentorId, liveId, viewer.Id, viewer.Token, acknowledged, failures, stop.Token))).ToList();
            var clock = Stopwatch.StartNew();
            while (acknowledged.Count < 300 && clock.Elapsed < TimeSpan.FromSeconds(10) && failures.IsEmpty)
            {
                await Task.Delay(50);
            }

            (siloPort, gatewayPort) = (first.SiloPort, first.GatewayPort);
            await first.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }
        finally
        {
            await first.DisposeAsync();
        }

        // A restarted process takes its old silo address back, which retires the dead incarnation at once.
        await using var second = await HostProcess.StartAsync(options with { SiloPort = siloPort, GatewayPort = gatewayPort });
        using var again = new ApiClient(second.CreateClient());
        var reader = await again.TokenAsync(Ids.New("reader"), "mentee");

        // Assert
        Assert.True(failures.IsEmpty, $"Answers other than 2xx before the kill: {string.Join("; ", failures.Take(5))}");
        Assert.True(acknowledged.Count >= 100, $"Only {acknowledged.Count} interactions were acknowledged before the kill; the run proves little.");
        var stored = await StoredAsync(database.ConnectionString, liveId);
        output.WriteLine($"{acknowledged.Count} acknowledged before the kill, {stored.Keys.Count} stored");
        var missing = acknowledged.Where(ack => !stored.Keys.Contains((ack.UserId, ack.RequestKey, ack.CommentId is not null))).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {acknowledged.Count} acknowledged interactions are not stored, e.g. {missing.FirstOrDefault()}");
        foreach (var ack in acknowledged.Where(ack => ack.CommentId is not null))
        {
            Assert.Equal(ack.CommentId, stored.CommentIds[(ack.UserId, ack.RequestKey)]);
        }

        using var read = await again.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/reaction", token: reader);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var counts = (await ApiClient.JsonAsync(read)).GetProperty("counts");
        foreach (var kind in Kinds)
        {
            var acknowledgedOfKind = acknowledged.Count(ack => ack.Kind == kind);
            Assert.Equal(stored.Counts.GetValueOrDefault(kind), counts.GetProperty(kind).GetInt64());
            Assert.True(counts.GetProperty(kind).GetInt64() >= acknowledgedOfKind, $"{kind}: {counts.GetProperty(kind).GetInt64()} counted, {acknowledgedOfKind} acknowledged");
        }

        var listed = await AllCommentIdsAsync(again, mentorId, liveId, reader);
        var unlisted = acknowledged.Where(ack => ack.CommentId is { } id && !listed.Contains(id)).ToList();
        Assert.True(unlisted.Count == 0, $"{unlisted.Count} acknowledged comments are missing from the API's pages, e.g. {unlisted.FirstOrDefault()}");
    }

    private sealed record Acknowledged(string UserId, string RequestKey, string? Kind, long? CommentId);

    private sealed record Stored(
        HashSet<(string UserId, string RequestKey, bool IsComment)> Keys,
        Dictionary<(string UserId, string RequestKey), long> CommentIds,
        Dictionary<string, long> Counts);

    private static async Task PostUntilFailureAsync(
        Uri baseAddress, string mentorId, string liveId, string viewerId, string token,
        ConcurrentBag<Acknowledged> acknowledged, ConcurrentBag<string> failures, CancellationToken stop)
    {
        using var api = new ApiClient(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) });
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var key = $"{viewerId}-{i}";
            var isComment = i % 2 == 1;
            var kind = Kinds[i % Kinds.Length];
            var text = $"comment {key}";
            HttpResponseMessage response;
            try
            {
                response = await api.SendAsync(
                    HttpMethod.Post,
                    // The full answer: it carries the comment id this viewer saw, which must be the one stored.
                    $"/mentor/{mentorId}/live/{liveId}/reaction?answer=full",
                    isComment ? new { comment = text } : new { reaction = kind },
                    token,
                    new Dictionary<string, string> { ["Idempotency-Key"] = key });
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // The process died with this request in flight: it was never acknowledged, so it may or may not be stored.
                return;
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    failures.Add($"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(CancellationToken.None)}");
                    return;
                }

                var answer = await ApiClient.JsonAsync(response);
                long? commentId = null;
                if (isComment)
                {
                    // The answer carries the newest comments, this one included: that is the id the viewer saw.
                    var own = answer.GetProperty("comments").EnumerateArray().FirstOrDefault(comment => comment.GetProperty("text").GetString() == text);
                    if (own.ValueKind != JsonValueKind.Object)
                    {
                        failures.Add($"the answer to '{text}' does not carry it");
                        return;
                    }

                    commentId = own.GetProperty("commentId").GetInt64();
                }

                acknowledged.Add(new Acknowledged(viewerId, key, isComment ? null : kind, commentId));
            }
        }
    }

    private static async Task<Stored> StoredAsync(string connectionString, string liveId)
    {
        var stored = new Stored([], [], new Dictionary<string, long>(StringComparer.Ordinal));
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var reactions = new NpgsqlCommand("SELECT user_id, request_key, kind FROM session_request_keys WHERE live_id = @live AND kind IS NOT NULL", connection))
        {
            reactions.Parameters.AddWithValue("live", liveId);
            await using var rows = await reactions.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                stored.Keys.Add((rows.GetString(0), rows.GetString(1), false));
                stored.Counts[rows.GetString(2)] = stored.Counts.GetValueOrDefault(rows.GetString(2)) + 1;
            }
        }

        await using (var comments = new NpgsqlCommand("SELECT user_id, request_key, comment_id FROM session_comments WHERE live_id = @live", connection))
        {
            comments.Parameters.AddWithValue("live", liveId);
            await using var rows = await comments.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                stored.Keys.Add((rows.GetString(0), rows.GetString(1), true));
                stored.CommentIds[(rows.GetString(0), rows.GetString(1))] = rows.GetInt64(2);
            }
        }

        return stored;
    }

    private static async Task<HashSet<long>> AllCommentIdsAsync(ApiClient api, string mentorId, string liveId, string token)
    {
        var ids = new HashSet<long>();
        var after = "0";
        while (true)
        {
            using var page = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/reaction?after={after}&limit=100", token: token);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var json = await ApiClient.JsonAsync(page);
            var comments = json.GetProperty("comments").EnumerateArray().ToList();
            if (comments.Count == 0)
            {
                return ids;
            }

            ids.UnionWith(comments.Select(comment => comment.GetProperty("commentId").GetInt64()));
            after = json.GetProperty("next").GetString()!;
        }
    }
}
