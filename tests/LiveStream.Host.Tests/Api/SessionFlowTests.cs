using System.Net;

namespace LiveStream.Host.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class SessionFlowTests(ApiFixture fixture)
{
    [Fact]
    public async Task Scheduled_session_reads_back_with_mentor_profile_course_and_in_the_mentors_list()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        var start = DateTimeOffset.UtcNow.AddDays(2);

        // Act
        using var scheduled = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Bernoulli numbers", scheduledStart = start }, mentorToken);
        var created = await ApiClient.JsonAsync(scheduled);
        var liveId = created.GetProperty("liveId").GetString()!;
        using var detailResponse = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/", token: menteeToken);
        var detail = await ApiClient.JsonAsync(detailResponse);
        using var listResponse = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live", token: menteeToken);
        var list = await ApiClient.JsonAsync(listResponse);

        // Assert
        Assert.Equal(HttpStatusCode.Created, scheduled.StatusCode);
        Assert.Equal($"/mentor/{mentorId}/live/{liveId}", scheduled.Headers.Location?.OriginalString);
        Assert.Equal(HttpStatusCode.OK, detailResponse.StatusCode);
        Assert.Equal("scheduled", detail.GetProperty("state").GetString());
        Assert.Equal("Bernoulli numbers", detail.GetProperty("title").GetString());
        Assert.Equal(start.ToUnixTimeMilliseconds(), detail.GetProperty("scheduledStart").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal("Ada Lovelace", detail.GetProperty("mentor").GetProperty("displayName").GetString());
        Assert.Equal("Analytical Engines", detail.GetProperty("course").GetProperty("title").GetString());
        var item = Assert.Single(list.GetProperty("items").EnumerateArray());
        Assert.Equal(liveId, item.GetProperty("liveId").GetString());
    }
}
