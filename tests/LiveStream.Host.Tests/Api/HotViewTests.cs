using System.Net;
using System.Net.Http.Headers;
using LiveStream.Host.Tests.Reactions;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Api;

/// <summary>
/// The views the API process keeps (session detail with counts, mentor page, a mentor's first page of sessions): conditional GETs, and how stale a
/// reader may see them (HotViews:MaxStaleness, 1 s by default; 0 for the author of a change).
/// </summary>
[Collection(ReactionCollection.Name)]
public sealed class HotViewTests(ReactionFixture fixture)
{
    [Fact]
    public async Task A_poller_gets_304_until_the_session_detail_changes()
    {
        // Arrange
        using var api = new ApiClient(fixture.All.CreateClient());
        var (mentorId, liveId, _) = await fixture.LiveSessionAsync(api);
        var viewer = await api.CreateMenteeAsync(Ids.New("viewer"));
        var path = $"/mentor/{mentorId}/live/{liveId}";
        using var first = await api.SendAsync(HttpMethod.Get, path, token: viewer);
        var tag = first.Headers.ETag;

        // Act
        using var unchanged = await ConditionalGetAsync(api, path, viewer, tag!);
        using var reacted = await api.SendAsync(HttpMethod.Post, $"{path}/reaction", new { reaction = "heart" }, viewer);
        using var changed = await ConditionalGetAsync(api, path, viewer, tag!);

        // Assert
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.NotNull(tag);
        Assert.Equal(HttpStatusCode.NotModified, unchanged.StatusCode);
        Assert.Empty(await unchanged.Content.ReadAsByteArrayAsync());
        Assert.Equal(tag, unchanged.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, reacted.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.NotEqual(tag, changed.Headers.ETag);
        Assert.Equal(1, (await ApiClient.JsonAsync(changed)).GetProperty("reactions").GetProperty("heart").GetInt64());
    }

    [Fact]
    public async Task Every_api_process_gives_the_same_tag_for_the_same_mentor_page()
    {
        using var all = new ApiClient(fixture.All.CreateClient());
        using var front = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        await all.CreateMentorAsync(mentorId, "engines");
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));

        using var fromAll = await all.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}", token: viewer);
        using var fromFront = await ConditionalGetAsync(front, $"/mentor/{mentorId}", viewer, fromAll.Headers.ETag!);

        Assert.Equal(HttpStatusCode.OK, fromAll.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, fromFront.StatusCode);
    }

    [Fact]
    public async Task The_mentor_sees_their_own_changes_at_once_and_viewers_within_a_second()
    {
        // Arrange: a viewer reads the page through the api process, so it is cached there.
        using var all = new ApiClient(fixture.All.CreateClient());
        using var front = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var mentorToken = await all.CreateMentorAsync(mentorId, "engines", displayName: "Ada");
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));
        using (var cached = await front.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}", token: viewer))
        {
            Assert.Equal("Ada", (await ApiClient.JsonAsync(cached)).GetProperty("displayName").GetString());
        }

        // Act: the mentor renames themself through the other process and reads back through the api process.
        using var renamed = await all.SendAsync(HttpMethod.Put, $"/mentor/{mentorId}", new { displayName = "Ada Lovelace" }, mentorToken);
        using var mentorRead = await front.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}", token: mentorToken);
        var viewerSees = await EventuallyAsync(front, $"/mentor/{mentorId}", viewer, page => page.GetProperty("displayName").GetString() == "Ada Lovelace");

        // Assert
        Assert.Equal(HttpStatusCode.OK, renamed.StatusCode);
        Assert.Equal("Ada Lovelace", (await ApiClient.JsonAsync(mentorRead)).GetProperty("displayName").GetString());
        Assert.True(viewerSees < TimeSpan.FromSeconds(3), $"The viewer saw the new name after {viewerSees.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task A_new_session_is_in_the_mentors_own_list_at_once_and_in_a_viewers_within_a_second()
    {
        // Arrange: a viewer reads the mentor's (empty) first page through the api process, so it is cached there.
        using var all = new ApiClient(fixture.All.CreateClient());
        using var front = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var mentorToken = await all.CreateMentorAsync(mentorId, "engines");
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));
        var list = $"/mentor/{mentorId}/live/";
        using (var empty = await front.SendAsync(HttpMethod.Get, list, token: viewer))
        {
            Assert.Equal(0, (await ApiClient.JsonAsync(empty)).GetProperty("items").GetArrayLength());
        }

        // Act: the mentor schedules through the other process and lists through the api process.
        using var scheduled = await all.SendAsync(
            HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Fresh", scheduledStart = DateTimeOffset.UtcNow.AddHours(1) }, mentorToken);
        using var mentorList = await front.SendAsync(HttpMethod.Get, list, token: mentorToken);
        var viewerSees = await EventuallyAsync(front, list, viewer, page => page.GetProperty("items").GetArrayLength() == 1);

        // Assert
        Assert.Equal(HttpStatusCode.Created, scheduled.StatusCode);
        Assert.Equal("Fresh", Assert.Single((await ApiClient.JsonAsync(mentorList)).GetProperty("items").EnumerateArray()).GetProperty("title").GetString());
        Assert.True(viewerSees < TimeSpan.FromSeconds(3), $"The viewer saw the new session after {viewerSees.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public async Task A_viewer_told_of_a_state_change_by_the_feed_reads_the_new_state_back_at_once()
    {
        // Arrange: the viewer's feed and a read of the detail go through the api process, so it holds the view.
        using var all = new ApiClient(fixture.All.CreateClient());
        using var front = new ApiClient(fixture.Api.CreateClient());
        var mentorId = Ids.New("mentor");
        var mentorToken = await all.CreateMentorAsync(mentorId, "engines");
        var viewer = await all.CreateMenteeAsync(Ids.New("viewer"));
        var liveId = await all.ScheduleAsync(mentorId, "engines", mentorToken, "Soon over");
        var path = $"/mentor/{mentorId}/live/{liveId}";
        await using var feed = await SseClient.ConnectAsync(front.Http, $"{path}/reaction/stream", viewer);
        await feed.NextAsync("counts", TimeSpan.FromSeconds(10));
        using (var before = await front.SendAsync(HttpMethod.Get, path, token: viewer))
        {
            Assert.Equal("scheduled", (await ApiClient.JsonAsync(before)).GetProperty("state").GetString());
        }

        // Act: the mentor cancels through the other process; the viewer hears of it and reads the detail again, as
        // the page does (a page that heard "ending" must not be handed the live stream again).
        using var cancelled = await all.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}", token: mentorToken);
        await feed.NextAsync("state", TimeSpan.FromSeconds(10), data => data.GetProperty("state").GetString() == "cancelled");
        using var after = await front.SendAsync(HttpMethod.Get, path, token: viewer);

        // Assert
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("cancelled", (await ApiClient.JsonAsync(after)).GetProperty("state").GetString());
    }

    private static Task<HttpResponseMessage> ConditionalGetAsync(ApiClient api, string path, string token, EntityTagHeaderValue tag) =>
        api.SendAsync(HttpMethod.Get, path, token: token, headers: new Dictionary<string, string> { ["If-None-Match"] = tag.ToString() });

    /// <summary>How long until the page satisfies the condition (polled; gives up after 10 s).</summary>
    private static async Task<TimeSpan> EventuallyAsync(ApiClient api, string path, string token, Func<System.Text.Json.JsonElement, bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
            if (condition(await ApiClient.JsonAsync(response)))
            {
                return clock.Elapsed;
            }

            await Task.Delay(50);
        }

        return clock.Elapsed;
    }
}
