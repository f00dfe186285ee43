using System.Net;
using System.Text.Json;

namespace LiveStream.Host.Tests.Notifications;

[Collection(ApiCollection.Name)]
public sealed class NotificationApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task Follower_reads_the_scheduled_notification_from_their_inbox_and_nobody_else_can()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var otherId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        var otherToken = await api.CreateMenteeAsync(otherId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        // Act
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken, "Bernoulli numbers");
        var inbox = await WaitForInboxAsync(api, menteeId, menteeToken, 1);
        using var foreign = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications", token: otherToken);
        using var badLimit = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications?limit=0", token: menteeToken);
        using var badCursor = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications?after=abc", token: menteeToken);
        var otherInbox = await ReadInboxAsync(api, otherId, otherToken, null);

        // Assert
        var item = Assert.Single(inbox.GetProperty("items").EnumerateArray());
        Assert.Equal(liveId, item.GetProperty("liveId").GetString());
        Assert.Equal(mentorId, item.GetProperty("mentorId").GetString());
        Assert.Equal("scheduled", item.GetProperty("kind").GetString());
        Assert.Contains("Bernoulli numbers", item.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, inbox.GetProperty("next").ValueKind);
        await ApiClient.AssertProblemAsync(foreign, HttpStatusCode.Forbidden);
        await ApiClient.AssertProblemAsync(badLimit, HttpStatusCode.BadRequest, "limit");
        await ApiClient.AssertProblemAsync(badCursor, HttpStatusCode.BadRequest, "after");
        Assert.Empty(otherInbox.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Inbox_pages_newest_last_with_the_next_cursor()
    {
        // Arrange: two sessions, so two notifications.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        var first = await api.ScheduleAsync(mentorId, "engines", mentorToken, "First");
        await WaitForInboxAsync(api, menteeId, menteeToken, 1);
        var second = await api.ScheduleAsync(mentorId, "engines", mentorToken, "Second");
        await WaitForInboxAsync(api, menteeId, menteeToken, 2);

        // Act
        var page1 = await ReadInboxAsync(api, menteeId, menteeToken, "limit=1");
        var page2 = await ReadInboxAsync(api, menteeId, menteeToken, $"limit=1&after={page1.GetProperty("next").GetString()}");

        // Assert
        Assert.Equal(first, Assert.Single(page1.GetProperty("items").EnumerateArray()).GetProperty("liveId").GetString());
        Assert.Equal(second, Assert.Single(page2.GetProperty("items").EnumerateArray()).GetProperty("liveId").GetString());
        Assert.Equal(JsonValueKind.Null, page2.GetProperty("next").ValueKind);
    }

    private static async Task<JsonElement> ReadInboxAsync(ApiClient api, string menteeId, string token, string? query)
    {
        using var response = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications{(query is null ? "" : "?" + query)}", token: token);
        var body = await ApiClient.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET notifications: {(int)response.StatusCode} {body}");
        return body;
    }

    private static async Task<JsonElement> WaitForInboxAsync(ApiClient api, string menteeId, string token, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var inbox = await ReadInboxAsync(api, menteeId, token, null);
            if (inbox.GetProperty("items").GetArrayLength() >= count)
            {
                return inbox;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{menteeId} has fewer than {count} notification(s) after 30 s");
            await Task.Delay(100);
        }
    }
}
