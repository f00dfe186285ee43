using System.Diagnostics;
using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Reactions;

/// <summary>
/// Two processes of one cluster: an `all` process and an `api` front end. Sessions go live through the media
/// callback the ingest server calls (the real nginx path is covered by the media tests).
/// </summary>
public sealed class ReactionFixture : IAsyncLifetime
{
    public const string CallbackSecret = "reaction-tests-callback-secret-0001";

    public const int MaxStreamsPerUser = 2;

    public const int MaxStreamsOnApi = 3;

    public const int MaxUpcomingSessionsOnApi = 2;

    private const string StreamLimits = nameof(StreamLimits);

    private TestDatabase? _database;

    public HostProcess All { get; private set; } = null!;

    public HostProcess Api { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(_database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>
            {
                ["Media:Local:CallbackSecret"] = CallbackSecret,
                ["RateLimits:CommentBurst"] = "3",
                ["RateLimits:CommentsPerMinute"] = "6",
                ["RateLimits:ScheduleBurst"] = "3",
                ["RateLimits:SchedulesPerHour"] = "6",
                [$"{StreamLimits}:MaxStreamsPerUser"] = MaxStreamsPerUser.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        };
        All = await HostProcess.StartAsync(options);
        // The api process also has small process-wide caps: 3 open live feeds, 2 upcoming sessions per mentor.
        Api = await HostProcess.StartAsync(options with
        {
            Role = "api",
            Settings = new Dictionary<string, string>(options.Settings)
            {
                [$"{StreamLimits}:MaxStreamsPerProcess"] = MaxStreamsOnApi.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["RateLimits:MaxUpcomingSessions"] = MaxUpcomingSessionsOnApi.ToString(System.Globalization.CultureInfo.InvariantCulture),
            },
        });
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await All.DisposeAsync();
        await _database!.DisposeAsync();
    }

    /// <summary>A live session of a fresh mentor; returns its ids and the mentor's token.</summary>
    public Task<(string MentorId, string LiveId, string MentorToken)> LiveSessionAsync(ApiClient api) => StartLiveSessionAsync(api, CallbackSecret);

    /// <summary>Takes a fresh mentor's session live through the ingest callback of a host configured with <paramref name="callbackSecret"/>.</summary>
    public static async Task<(string MentorId, string LiveId, string MentorToken)> StartLiveSessionAsync(ApiClient api, string callbackSecret)
    {
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleLiveSessionAsync(mentorId, token, callbackSecret);
        return (mentorId, liveId, token);
    }
}

[CollectionDefinition(Name)]
public sealed class ReactionCollection : ICollectionFixture<ReactionFixture>
{
    public const string Name = "reactions";
}

[Collection(ReactionCollection.Name)]
public sealed class ReactionApiTests(ReactionFixture fixture)
{
    [Fact]
    public async Task A_reaction_is_counted_once_when_retried_with_the_same_idempotency_key()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var key = new Dictionary<string, string> { ["Idempotency-Key"] = "tap-42" };

        // Act
        using var first = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "clap" }, viewer, key);
        using var retry = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "clap" }, viewer, key);
        using var read = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/reaction", token: viewer);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        Assert.Equal(1, (await ApiClient.JsonAsync(read)).GetProperty("counts").GetProperty("clap").GetInt64());
    }

    [Fact]
    public async Task A_full_reaction_answer_carries_the_counts_the_session_detail_also_shows_and_the_latest_comments()
    {
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));

        using var comment = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { comment = "Where is the carry?" }, viewer);
        using var heart = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction?answer=full", new { reaction = "heart" }, viewer);
        var answer = await ApiClient.JsonAsync(heart);
        using var detail = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: viewer);

        Assert.Equal(HttpStatusCode.OK, comment.StatusCode);
        Assert.Equal(1, (await ApiClient.JsonAsync(detail)).GetProperty("reactions").GetProperty("heart").GetInt64());
        Assert.Equal(1, answer.GetProperty("counts").GetProperty("heart").GetInt64());
        Assert.Equal("Where is the carry?", Assert.Single(answer.GetProperty("comments").EnumerateArray()).GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_reaction_answers_with_the_counts_only_unless_the_full_answer_is_asked_for()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var path = $"/mentor/{mentorId}/live/{liveId}/reaction";

        // Act
        using var comment = await api.SendAsync(HttpMethod.Post, path, new { comment = "Counts only, please" }, viewer);
        using var clap = await api.SendAsync(HttpMethod.Post, path, new { reaction = "clap" }, viewer);
        using var unknown = await api.SendAsync(HttpMethod.Post, $"{path}?answer=everything", new { reaction = "clap" }, viewer);
        using var read = await api.SendAsync(HttpMethod.Get, path, token: viewer);

        // Assert
        var answer = await ApiClient.JsonAsync(clap);
        Assert.Equal(HttpStatusCode.OK, comment.StatusCode);
        Assert.Equal(1, answer.GetProperty("counts").GetProperty("clap").GetInt64());
        Assert.False(answer.TryGetProperty("comments", out _));
        await ApiClient.AssertProblemAsync(unknown, HttpStatusCode.BadRequest, "answer");
        Assert.Equal(1, (await ApiClient.JsonAsync(read)).GetProperty("counts").GetProperty("clap").GetInt64());
    }

    [Theory]
    [InlineData("{\"reaction\":\"applause\"}", "reaction")]
    [InlineData("{}", "reaction")]
    [InlineData("{\"reaction\":\"like\",\"comment\":\"both\"}", "comment")]
    [InlineData("{\"reaction\":5}", "reaction")]
    public async Task Invalid_interactions_are_400_naming_the_field(string body, string field)
    {
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));

        using var response = await api.SendRawAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", body, viewer);

        await ApiClient.AssertProblemAsync(response, HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task Reacting_to_a_session_that_is_not_live_is_409_and_another_mentor_is_403()
    {
        using var api = new ApiClient(fixture.All.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var otherMentor = await api.CreateMentorAsync(Ids.New("other"), "c");

        using var notLive = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "like" }, viewer);
        using var stranger = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "like" }, otherMentor);

        await ApiClient.AssertProblemAsync(notLive, HttpStatusCode.Conflict);
        await ApiClient.AssertProblemAsync(stranger, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Too_many_comments_are_429_with_retry_after()
    {
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 4; i++)
        {
            var response = await api.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { comment = $"spam {i}" }, viewer);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
                break;
            }

            response.Dispose();
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        await ApiClient.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
        limited.Dispose();
    }

    [Fact]
    public async Task A_users_comment_limit_holds_once_across_two_api_processes_not_once_per_process()
    {
        // Arrange: the same viewer's comments alternate between the two processes (burst 3, then 6 a minute).
        using var all = new ApiClient(fixture.All.CreateClient());
        using var api = new ApiClient(fixture.Api.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(all);
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));
        var watch = Stopwatch.StartNew();

        // Act
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 8; i++)
        {
            answers.Add(await (i % 2 == 0 ? all : api).SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { comment = $"spam {i}" }, viewer));
        }

        // Assert: per-process limits would have let 6 through; only what refilled meanwhile may add to the burst.
        var accepted = answers.Count(answer => answer.StatusCode == HttpStatusCode.OK);
        var refilled = (int)(watch.Elapsed.TotalMinutes * 6);
        Assert.InRange(accepted, 3, 3 + refilled);
        foreach (var limited in answers.Where(answer => answer.StatusCode != HttpStatusCode.OK))
        {
            await ApiClient.AssertProblemAsync(limited, HttpStatusCode.TooManyRequests);
            Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        }

        answers.ForEach(answer => answer.Dispose());
    }

    [Fact]
    public async Task A_users_reaction_limit_holds_once_across_two_api_processes_that_hold_tokens_in_advance()
    {
        // Arrange: the default reaction budget (burst 20, 10 a second), large enough for each process to take tokens
        // five at a time; the same viewer's taps alternate between the two processes.
        using var all = new ApiClient(fixture.All.CreateClient());
        using var api = new ApiClient(fixture.Api.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(all);
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));
        var watch = Stopwatch.StartNew();

        // Act
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 60; i++)
        {
            using var answer = await (i % 2 == 0 ? all : api).SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { reaction = "clap" }, viewer);
            statuses.Add(answer.StatusCode);
        }

        var elapsed = watch.Elapsed;
        using var read = await all.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/reaction", null, viewer);

        // Assert: never more than the burst plus what refilled; tokens a process holds are not lost to the user
        // while they tap (at least half the burst gets through), and what was answered 200 is what was counted.
        var accepted = statuses.Count(status => status == HttpStatusCode.OK);
        Assert.All(statuses, status => Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.InRange(accepted, 10, 20 + (int)Math.Ceiling(elapsed.TotalSeconds * 10));
        Assert.Equal(accepted, (await ApiClient.JsonAsync(read)).GetProperty("counts").GetProperty("clap").GetInt64());
    }

    [Fact]
    public async Task A_mentors_scheduling_limit_holds_across_two_api_processes()
    {
        // Arrange: burst 3, then 6 an hour.
        using var all = new ApiClient(fixture.All.CreateClient());
        using var api = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await all.CreateMentorAsync(mentorId, "engines");

        // Act
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 5; i++)
        {
            var response = await (i % 2 == 0 ? all : api).SendAsync(
                HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = $"Session {i}", scheduledStart = DateTimeOffset.UtcNow.AddDays(1) }, token);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
                continue;
            }

            response.Dispose();
        }

        // Assert
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);
        await ApiClient.AssertProblemAsync(limited!, HttpStatusCode.TooManyRequests);
        Assert.True(limited!.Headers.RetryAfter?.Delta >= TimeSpan.FromMinutes(1));
        var sessions = await ApiClient.JsonAsync(await all.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live", token: token));
        Assert.Equal(3, sessions.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task A_comment_reaches_a_viewer_connected_through_another_api_process_within_a_second()
    {
        // Arrange: the viewer listens through the api process; the comment is posted through the all process.
        using var poster = new ApiClient(fixture.All.CreateClient());
        using var watcher = new ApiClient(fixture.Api.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(poster);
        var viewer = await poster.CreateMenteeAsync(Ids.New("viewer"));
        await using var feed = await SseClient.ConnectAsync(watcher.Http, $"/mentor/{mentorId}/live/{liveId}/reaction/stream", viewer);
        await feed.NextAsync("counts", TimeSpan.FromSeconds(10));

        // Act
        var clock = Stopwatch.StartNew();
        using var posted = await poster.SendAsync(HttpMethod.Post, $"/mentor/{mentorId}/live/{liveId}/reaction", new { comment = "Hello from the other node" }, viewer);
        var comment = await feed.NextAsync("comment", TimeSpan.FromSeconds(5), data => data.GetProperty("text").GetString() == "Hello from the other node");
        var elapsed = clock.Elapsed;

        // Assert
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.True(elapsed < TimeSpan.FromSeconds(1), $"The comment took {elapsed.TotalMilliseconds:0} ms to reach the other API process.");
        Assert.Equal("Hello from the other node", comment.GetProperty("text").GetString());
    }
}
