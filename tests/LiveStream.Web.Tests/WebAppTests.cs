using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using LiveStream.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace LiveStream.Web.Tests;

[Collection(WebCollection.Name)]
public sealed class WebAppTests(WebFixture fixture)
{
    [Theory]
    [InlineData(390)]
    [InlineData(1280)]
    public async Task Every_page_fits_the_screen_without_console_errors_and_bad_input_shows_the_api_field_errors(int width)
    {
        // Arrange
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        await using var mentor = await fixture.OpenAsync(width);
        await using var mentee = await fixture.OpenAsync(width);

        // Act + Assert: the sign-in form shows the API's error next to the user id.
        mentor.ExpectRejection("/auth/dev-token");
        await mentor.Page.GotoAsync("/");
        await mentor.Page.SubmitAsync("dev-token", ("userId", "not a valid id!"));
        await Expect(mentor.Page.FieldError("dev-token", "userId")).ToContainTextAsync("'userId' must match");
        await mentor.AssertFitsAndCleanAsync("sign-in page");

        // The console: a profile without a name, then a session without a title, are refused field by field.
        mentor.ExpectRejection("/livestream");
        mentor.ExpectRejection($"/mentor/{mentorId}");
        await mentor.SignInAsync(mentorId, "mentor");
        await mentor.Page.SubmitAsync("mentor-profile", ("displayName", ""));
        await Expect(mentor.Page.FieldError("mentor-profile", "displayName")).ToContainTextAsync("displayName");
        await mentor.CreateMentorAsync(mentorId);
        await mentor.Page.SubmitAsync("schedule", ("title", ""));
        await Expect(mentor.Page.FieldError("schedule", "title")).ToContainTextAsync("title");
        await mentor.AssertFitsAndCleanAsync("console");
        var liveId = await mentor.Page.ScheduleAsync("Office hours");
        await mentor.Page.Locator("[data-reveal-key]").ClickAsync();
        await Expect(mentor.Page.Locator("[data-stream-key]")).ToHaveAttributeAsync("type", "text");
        await mentor.AssertFitsAndCleanAsync("console session");

        // The mentee: home, the mentor's page (follow), the inbox with the next session's notice, the session page.
        await mentee.CreateMenteeAsync(menteeId);
        await mentee.AssertFitsAndCleanAsync("mentee home");
        await mentee.Page.GotoAsync($"/#/mentor/{mentorId}");
        await mentee.Page.Locator("[data-follow]").ClickAsync();
        await Expect(mentee.Page.Locator("[data-follow]")).ToHaveTextAsync("Unfollow");
        await Expect(mentee.Page.Locator($"[data-live-id='{liveId}']")).ToBeVisibleAsync();
        await mentee.AssertFitsAndCleanAsync("mentor page");
        var followedLiveId = await ScheduleThroughApiAsync(mentorId, "After the follow");
        await mentee.Page.GotoAsync("/#/inbox");
        await WaitForAsync(mentee.Page, $"[data-notification=scheduled] a[href*='{followedLiveId}']");
        await mentee.AssertFitsAndCleanAsync("inbox");
        await mentee.Page.Locator($"a[href*='{followedLiveId}']").ClickAsync();
        await Expect(mentee.Page.Locator("[data-state=scheduled]")).ToBeVisibleAsync();
        await mentee.AssertFitsAndCleanAsync("session page (scheduled)");
    }

    [Fact]
    public async Task Broadcast_from_the_console_plays_for_mentees_who_react_and_comment_and_the_replay_shows_when_they_reacted()
    {
        // Arrange: the mentor schedules on the console and reads the encoder settings from it.
        var mentorId = Ids.New("mentor");
        await using var mentor = await fixture.OpenAsync(1280);
        await using var phone = await fixture.OpenAsync(390);
        await using var desktop = await fixture.OpenAsync(1280);
        await mentor.CreateMentorAsync(mentorId);
        var liveId = await mentor.Page.ScheduleAsync("Loops on the engine");
        await mentor.Page.Locator("[data-reveal-key]").ClickAsync();
        var ingestUrl = await mentor.Page.Locator("[data-ingest-url]").InputValueAsync();
        var streamKey = await mentor.Page.Locator("[data-stream-key]").InputValueAsync();
        await phone.CreateMenteeAsync(Ids.New("mentee"));
        await desktop.CreateMenteeAsync(Ids.New("mentee"));
        var mentorToken = await fixture.TokenAsync(mentorId, "mentor");
        var sessionPath = $"/mentor/{mentorId}/live/{liveId}";

        // Act 1: start, publish, and open the mentee pages the moment the session says live.
        await mentor.Page.Locator("[data-action=start]").ClickAsync();
        using var publisher = Ffmpeg.Publish($"{ingestUrl}/{streamKey}", 300); // stopped from the console long before
        await WaitForStateAsync(sessionPath, mentorToken, "live");
        await phone.Page.GotoAsync($"/#/session/{mentorId}/{liveId}");
        await desktop.Page.GotoAsync($"/#/session/{mentorId}/{liveId}");

        // Assert 1: it plays on the phone at once, and on the other page and the console preview.
        await phone.Page.WaitForPlayingAsync("[data-player]");
        await desktop.Page.WaitForPlayingAsync("[data-player]");
        await mentor.Page.WaitForPlayingAsync("[data-preview]");
        await phone.Page.ScreenshotAsync("session-live-phone.png");

        // Act 2: the phone reacts and comments (one comment tries to inject markup).
        // Each reaction is stamped by the server between the click and its answer: that window is where it belongs.
        var reactionWindows = new List<(DateTimeOffset From, DateTimeOffset To)>();
        async Task ReactAsync(string kind)
        {
            var from = DateTimeOffset.UtcNow;
            await AcknowledgedAsync(phone.Page, () => phone.Page.Locator($"[data-reaction={kind}]").ClickAsync());
            reactionWindows.Add((from, DateTimeOffset.UtcNow));
        }

        await ReactAsync("clap");
        var clock = Stopwatch.StartNew();
        await Expect(mentor.Page.Locator("[data-count-for=clap]")).ToHaveTextAsync("1");
        var reactionSeen = clock.Elapsed;
        await ReactAsync("clap");
        await ReactAsync("heart");
        await ReactAsync("insightful");
        const string hostile = "<script>window.injected = 1</script><img src=x onerror=\"window.injected = 2\"> nice";
        await AcknowledgedAsync(phone.Page, () => phone.Page.SubmitAsync("comment", ("comment", "Great explanation!")));
        clock.Restart();
        var greatComment = mentor.Page.Locator(".comments li", new() { HasText = "Great explanation!" });
        await Expect(greatComment).ToBeVisibleAsync();
        var commentSeen = clock.Elapsed;
        await phone.Page.SubmitAsync("comment", ("comment", hostile));
        var hostileComment = mentor.Page.Locator(".comments li .text", new() { HasText = "<script>" });
        await Expect(hostileComment).ToHaveTextAsync(hostile);
        await Expect(desktop.Page.Locator("[data-count-for=clap]")).ToHaveTextAsync("2");
        await Expect(desktop.Page.Locator(".comments li", new() { HasText = "Great explanation!" })).ToBeVisibleAsync();
        await Expect(mentor.Page.Locator("[data-viewers]")).Not.ToHaveTextAsync("0");
        await desktop.Page.ScreenshotAsync("session-live.png");
        await mentor.Page.ScreenshotAsync("console-live.png");

        // Act 3: the mentor deletes a comment; it leaves the other mentee's page.
        await greatComment.Locator("[data-delete-comment]").ClickAsync();

        // Assert 3
        await Expect(desktop.Page.Locator(".comments li", new() { HasText = "Great explanation!" })).ToHaveCountAsync(0);
        await Expect(phone.Page.Locator(".comments li", new() { HasText = "Great explanation!" })).ToHaveCountAsync(0);
        Assert.True(reactionSeen < TimeSpan.FromSeconds(1), $"The console showed the reaction {reactionSeen.TotalMilliseconds:F0} ms after it was acknowledged.");
        Assert.True(commentSeen < TimeSpan.FromSeconds(1), $"The console showed the comment {commentSeen.TotalMilliseconds:F0} ms after it was acknowledged.");
        foreach (var page in new[] { mentor, phone, desktop })
        {
            Assert.Equal(0, await page.Page.EvaluateAsync<int>("() => window.injected ?? 0"));
            Assert.Equal(0, await page.Page.Locator(".comments script, .comments img").CountAsync());
        }

        // Act 4: stop; the pages switch to the recording with its reaction strip.
        await desktop.Page.WaitForPlayingAsync("[data-player]"); // the recording runs on past the reactions
        await mentor.Page.Locator("[data-action=stop]").ClickAsync();
        var recorded = await WaitForStateAsync(sessionPath, mentorToken, "recorded");
        await Ffmpeg.WaitAsync(publisher, TimeSpan.FromSeconds(30));
        var bars = desktop.Page.Locator(".timeline[data-ready=true] .bar");
        await Expect(bars.First).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await desktop.Page.WaitForPlayingAsync("[data-player]");
        await desktop.Page.ScreenshotAsync("session-replay.png");

        // Assert 4: the four reactions sit where they happened, counted from the recording's start.
        var startedAt = DateTimeOffset.Parse(recorded.GetProperty("startedAt").GetString()!, CultureInfo.InvariantCulture);
        var expected = reactionWindows.Select(window => ((window.From - startedAt).TotalSeconds, (window.To - startedAt).TotalSeconds)).ToList();
        var offsets = new List<(double Offset, int Total)>();
        foreach (var bar in await bars.AllAsync())
        {
            offsets.Add((double.Parse((await bar.GetAttributeAsync("data-offset"))!, CultureInfo.InvariantCulture),
                int.Parse((await bar.GetAttributeAsync("data-total"))!, CultureInfo.InvariantCulture)));
        }

        Assert.Equal(4, offsets.Sum(bar => bar.Total));
        // A bar starts at its bucket's offset (1 s buckets for a recording this short): within a second of a reaction's window.
        Assert.All(offsets, bar => Assert.Contains(expected, window => bar.Offset >= Math.Floor(window.Item1) - 1 && bar.Offset <= window.Item2 + 1));
        var peak = offsets.MaxBy(bar => bar.Total);
        await bars.Nth(offsets.IndexOf(peak)).ClickAsync();
        var seekedTo = await desktop.Page.EvalOnSelectorAsync<double>("[data-player]", "v => v.currentTime");
        Assert.InRange(seekedTo, peak.Offset, peak.Offset + 2);
        foreach (var page in new[] { mentor, phone, desktop })
        {
            await page.AssertFitsAndCleanAsync($"live session ({page.Width} px)");
        }
    }

    /// <summary>Runs a page action that posts to the room and waits for the API's answer to reach the page.</summary>
    private static Task AcknowledgedAsync(IPage page, Func<Task> action) =>
        page.RunAndWaitForResponseAsync(action, response => response.Request.Method == "POST" && response.Url.EndsWith("/reaction", StringComparison.Ordinal) && response.Ok);

    private async Task<System.Text.Json.JsonElement> WaitForStateAsync(string path, string token, string state)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var detail = await fixture.GetAsync(path, token);
            if (detail.GetProperty("state").GetString() == state)
            {
                return detail;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} stayed {detail.GetProperty("state").GetString()}, never {state}.");
            await Task.Delay(100);
        }
    }

    private async Task<string> ScheduleThroughApiAsync(string mentorId, string title)
    {
        var token = await fixture.TokenAsync(mentorId, "mentor");
        using var http = fixture.Host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/livestream")
        {
            Content = JsonContent.Create(new { mentorId, courseId = "engines", title, scheduledStart = DateTimeOffset.UtcNow.AddHours(2) }),
        };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        return created.GetProperty("liveId").GetString()!;
    }

    /// <summary>The inbox fills asynchronously (fan-out); reload until the entry is there.</summary>
    private static async Task WaitForAsync(IPage page, string selector)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await page.Locator(selector).CountAsync() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{selector} never appeared.");
            await page.WaitForTimeoutAsync(500);
            await page.ReloadAsync();
            await page.Locator("main h1").WaitForAsync();
        }
    }
}
