using System.Diagnostics;
using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Reactions;

/// <summary>
/// Caps on what one user (or everyone together) can hold open or pile up: live feeds per user and per API process,
/// live feeds that outlive their token, upcoming sessions per mentor, and an Idempotency-Key reused for another body.
/// </summary>
[Collection(ReactionCollection.Name)]
public sealed class AbuseLimitTests(ReactionFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_user_over_the_live_feed_cap_gets_429_and_a_slot_is_free_again_once_a_feed_disconnects()
    {
        // Arrange: the user holds as many feeds as allowed.
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction/stream";
        var open = new List<SseClient>();
        for (var i = 0; i < ReactionFixture.MaxStreamsPerUser; i++)
        {
            open.Add(await SseClient.ConnectAsync(api.Http, path, viewer));
        }

        try
        {
            // Act
            using var refused = await SseClient.OpenAsync(api.Http, path, viewer);
            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var reopened = await ConnectWithinAsync(api.Http, path, viewer, Deadline);
            open.Add(reopened);

            // Assert
            var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Contains("MaxStreamsPerUser", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            await reopened.NextAsync("counts", Deadline);
        }
        finally
        {
            foreach (var feed in open)
            {
                await feed.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_api_process_over_its_live_feed_cap_answers_429_to_any_user()
    {
        // Arrange: as many different viewers as the api process allows (earlier tests' feeds may still be closing).
        using var all = new ApiClient(fixture.All.CreateClient());
        using var front = new ApiClient(fixture.Api.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(all);
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction/stream";
        var open = new List<SseClient>();
        try
        {
            for (var i = 0; i < ReactionFixture.MaxStreamsOnApi; i++)
            {
                open.Add(await ConnectWithinAsync(front.Http, path, await all.CreateMenteeAsync(Ids.New("viewer")), Deadline));
            }

            // Act
            using var refused = await SseClient.OpenAsync(front.Http, path, await all.CreateMenteeAsync(Ids.New("late")));

            // Assert
            var problem = await ApiClient.AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
            Assert.Contains("MaxStreamsPerProcess", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.NotNull(refused.Headers.RetryAfter);
        }
        finally
        {
            foreach (var feed in open)
            {
                await feed.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_live_feed_ends_when_the_token_that_opened_it_expires()
    {
        // Arrange: a token that expires in a few seconds.
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewerId = Ids.New("viewer");
        await api.CreateMenteeAsync(viewerId);
        var expires = DateTimeOffset.UtcNow.AddSeconds(6);
        var shortLived = TestTokens.Create(fixture.All.Options.SigningKey, viewerId, "mentee", expires);
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction/stream";
        await using var feed = await SseClient.ConnectAsync(api.Http, path, shortLived);
        await feed.NextAsync("counts", Deadline);

        // Act
        var ended = await Task.WhenAny(feed.Completion, Task.Delay(TimeSpan.FromSeconds(30))) == feed.Completion;
        var endedAt = DateTimeOffset.UtcNow;

        // Assert: closed by the server at expiry (not at the validator's clock skew, not never).
        Assert.True(ended, "The feed was still open 30 s after its token expired.");
        Assert.InRange(endedAt, expires.AddSeconds(-1), expires.AddSeconds(5));
    }

    [Fact]
    public async Task A_mentor_at_the_upcoming_session_quota_gets_409_naming_the_limit_and_nothing_is_scheduled()
    {
        // Arrange: the api process allows 2 upcoming sessions per mentor.
        using var api = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        for (var i = 0; i < ReactionFixture.MaxUpcomingSessionsOnApi; i++)
        {
            await api.ScheduleAsync(mentorId, "engines", token, title: $"Session {i}");
        }

        // Act
        using var refused = await api.SendAsync(
            HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "One too many", scheduledStart = DateTimeOffset.UtcNow.AddDays(2) }, token);
        using var list = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(refused, HttpStatusCode.Conflict, "MaxUpcomingSessions");
        Assert.Equal(ReactionFixture.MaxUpcomingSessionsOnApi, (await ApiClient.JsonAsync(list)).GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task An_idempotency_key_reused_for_another_reaction_gets_422_and_is_not_counted()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Ids.New("tap") };
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction";

        // Act
        using var first = await api.SendAsync(HttpMethod.Post, path, new { reaction = "clap" }, viewer, key);
        using var other = await api.SendAsync(HttpMethod.Post, path, new { reaction = "heart" }, viewer, key);
        using var read = await api.SendAsync(HttpMethod.Get, path, token: viewer);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        await ApiClient.AssertProblemAsync(other, (HttpStatusCode)422, "Idempotency-Key");
        var counts = (await ApiClient.JsonAsync(read)).GetProperty("counts");
        Assert.Equal(1, counts.GetProperty("clap").GetInt64());
        Assert.Equal(0, counts.GetProperty("heart").GetInt64());
    }

    [Fact]
    public async Task An_idempotency_key_of_a_reaction_reused_for_a_comment_gets_422_and_no_comment_is_stored()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Ids.New("tap") };
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction";

        // Act
        using var reaction = await api.SendAsync(HttpMethod.Post, path, new { reaction = "clap" }, viewer, key);
        using var comment = await api.SendAsync(HttpMethod.Post, path, new { comment = "Sneaked in under a used key" }, viewer, key);
        using var read = await api.SendAsync(HttpMethod.Get, path, token: viewer);

        // Assert
        Assert.Equal(HttpStatusCode.OK, reaction.StatusCode);
        await ApiClient.AssertProblemAsync(comment, (HttpStatusCode)422, "Idempotency-Key");
        Assert.Equal(0, (await ApiClient.JsonAsync(read)).GetProperty("comments").GetArrayLength());
    }

    [Fact]
    public async Task A_comment_retried_with_the_same_key_and_body_gets_the_same_answer_and_is_stored_once_while_another_body_gets_422()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = Ids.New("note") };
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction";

        // Act
        using var first = await api.SendAsync(HttpMethod.Post, $"{path}?answer=full", new { comment = "Is the carry flag set?" }, viewer, key);
        using var retry = await api.SendAsync(HttpMethod.Post, $"{path}?answer=full", new { comment = "Is the carry flag set?" }, viewer, key);
        using var changed = await api.SendAsync(HttpMethod.Post, $"{path}?answer=full", new { comment = "Something else entirely" }, viewer, key);
        using var read = await api.SendAsync(HttpMethod.Get, path, token: viewer);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await retry.Content.ReadAsStringAsync());
        await ApiClient.AssertProblemAsync(changed, (HttpStatusCode)422, "Idempotency-Key");
        var stored = Assert.Single((await ApiClient.JsonAsync(read)).GetProperty("comments").EnumerateArray());
        Assert.Equal("Is the carry flag set?", stored.GetProperty("text").GetString());
    }

    /// <summary>Connects, retrying while the server still counts a feed that is closing.</summary>
    private static async Task<SseClient> ConnectWithinAsync(HttpClient http, string path, string token, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var answer = await SseClient.OpenAsync(http, path, token);
            if (answer.StatusCode != HttpStatusCode.TooManyRequests)
            {
                return SseClient.Read(answer);
            }

            answer.Dispose();

            Assert.True(clock.Elapsed < timeout, $"Still refused after {timeout}: the closed feed's slot was not given back.");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
