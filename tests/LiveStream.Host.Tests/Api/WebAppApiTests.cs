using System.Net;

namespace LiveStream.Host.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class WebAppApiTests(ApiFixture fixture)
{
    [Fact]
    public async Task The_web_app_is_served_at_the_root_with_its_configuration_and_the_vendored_player()
    {
        // Arrange
        using var api = fixture.CreateClient();

        // Act
        using var page = await api.Http.GetAsync(new Uri("/", UriKind.Relative));
        var html = await page.Content.ReadAsStringAsync();
        using var player = await api.Http.GetAsync(new Uri("/lib/hls.min.mjs", UriKind.Relative));
        using var configResponse = await api.SendAsync(HttpMethod.Get, "/app/config");
        var config = await ApiClient.JsonAsync(configResponse);

        // Assert
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<main id=\"app\"", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, player.StatusCode);
        Assert.Equal(HttpStatusCode.OK, configResponse.StatusCode);
        Assert.True(config.GetProperty("devTokens").GetBoolean());
        Assert.Contains("clap", config.GetProperty("reactionKinds").EnumerateArray().Select(kind => kind.GetString()));
    }

    [Fact]
    public async Task Media_answers_any_origin_and_the_api_only_the_configured_ones()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var token = await api.TokenAsync(Ids.New("mentee"), "mentee");
        var elsewhere = new Dictionary<string, string> { ["Origin"] = "https://elsewhere.example" };
        Dictionary<string, string> Preflight(string origin) => new() { ["Origin"] = origin, ["Access-Control-Request-Method"] = "GET", ["Access-Control-Request-Headers"] = "authorization" };

        // Act
        var liveId = Ids.New("live");
        var signed = new LiveStream.Infrastructure.Media.MediaTokens(
            Microsoft.Extensions.Options.Options.Create(new LiveStream.Infrastructure.Media.PlaybackOptions { SigningKey = ApiFixture.PlaybackSigningKey }),
            TimeProvider.System).Create(liveId, DateTimeOffset.UtcNow.AddMinutes(5));
        using var media = await api.SendAsync(HttpMethod.Get, $"/media/{signed}/{liveId}/live/index.m3u8", headers: elsewhere);
        using var allowed = await api.SendAsync(HttpMethod.Options, "/mentor/someone", headers: Preflight(ApiFixture.AllowedOrigin));
        using var refused = await api.SendAsync(HttpMethod.Options, "/mentor/someone", headers: Preflight("https://elsewhere.example"));
        using var read = await api.SendAsync(HttpMethod.Get, $"/mentee/{Ids.New("mentee")}", token: token, headers: elsewhere);

        // Assert: a playlist not there yet still carries the header, so a player elsewhere can see the 404 and retry.
        Assert.Equal(HttpStatusCode.NotFound, media.StatusCode);
        Assert.Equal("*", Assert.Single(media.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.Equal(ApiFixture.AllowedOrigin, Assert.Single(allowed.Headers.GetValues("Access-Control-Allow-Origin")));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(read.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Timeline_is_empty_before_the_session_starts_and_a_bad_bucket_is_refused_naming_it()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);

        // Act
        using var empty = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/timeline?bucket=5", token: token);
        var timeline = await ApiClient.JsonAsync(empty);
        using var badBucket = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/timeline?bucket=0", token: token);
        using var otherMentor = await api.SendAsync(HttpMethod.Get, $"/mentor/{Ids.New("mentor")}/live/{liveId}/timeline", token: token);
        using var anonymous = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}/timeline");

        // Assert
        Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, timeline.GetProperty("recordingStart").ValueKind);
        Assert.Equal(5, timeline.GetProperty("bucketSeconds").GetInt32());
        Assert.Empty(timeline.GetProperty("buckets").EnumerateArray());
        await ApiClient.AssertProblemAsync(badBucket, HttpStatusCode.BadRequest, "bucket");
        await ApiClient.AssertProblemAsync(otherMentor, HttpStatusCode.NotFound, "liveId");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }
}
