using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LiveStream.Infrastructure.Media;
using LiveStream.Testing;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Tests.Media;

/// <summary>Private playback on the local pipeline: signed, expiring media URLs handed only to users allowed to watch.</summary>
[Collection(MediaCollection.Name)]
public sealed class PrivatePlaybackTests(MediaFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Signed_urls_play_while_altered_expired_or_unsigned_ones_get_403_on_playlist_segment_and_recording()
    {
        // Arrange: a real publish through nginx until a segment is listed, then stop and wait for the recording.
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var viewerId = Ids.New("viewer");
        var viewerToken = await api.CreateMenteeAsync(viewerId);
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken);
        using (var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: mentorToken))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        var ingest = await ApiClient.JsonAsync(await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: mentorToken));
        var publisher = Ffmpeg.Publish($"{ingest.GetProperty("url").GetString()}/{ingest.GetProperty("streamKey").GetString()}", 6);
        var playbackUrl = (await WaitForAsync(api, mentorId, liveId, viewerToken, "playbackUrl")).GetString()!;
        var segmentName = await WaitForSegmentAsync(api.Http, playbackUrl);
        var segmentUrl = new Uri(new Uri(playbackUrl), segmentName).ToString();
        var expired = WithToken(playbackUrl, liveId, DateTimeOffset.UtcNow.AddSeconds(-1));
        var expiredSegment = new Uri(new Uri(expired), segmentName).ToString();
        var altered = Alter(playbackUrl);
        var alteredSegment = new Uri(new Uri(altered), segmentName).ToString();
        var otherSessionsToken = WithToken(playbackUrl, Ids.New("other"), DateTimeOffset.UtcNow.AddHours(1));

        // Act
        var playlistStatus = await StatusAsync(api.Http, playbackUrl);
        var segmentStatus = await StatusAsync(api.Http, segmentUrl);
        var expiredStatuses = (await StatusAsync(api.Http, expired), await StatusAsync(api.Http, expiredSegment));
        var alteredStatuses = (await StatusAsync(api.Http, altered), await StatusAsync(api.Http, alteredSegment));
        var unsignedStatus = await StatusAsync(api.Http, Unsigned(playbackUrl));
        var otherSessionsTokenStatus = await StatusAsync(api.Http, otherSessionsToken);
        Assert.Equal(0, await Ffmpeg.WaitAsync(publisher, Timeout));
        using (var stop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: mentorToken))
        {
            Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        }

        var recordingUrl = (await WaitForAsync(api, mentorId, liveId, viewerToken, "recordingUrl")).GetString()!;
        var recordingStatus = await StatusAsync(api.Http, recordingUrl);
        var alteredRecordingStatus = await StatusAsync(api.Http, Alter(recordingUrl));
        var unsignedRecordingStatus = await StatusAsync(api.Http, Unsigned(recordingUrl));
        using var signedOutDetail = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}");

        // Assert
        Assert.DoesNotContain($"/media/{liveId}/", playbackUrl, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, playlistStatus);
        Assert.Equal(HttpStatusCode.OK, segmentStatus);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), expiredStatuses);
        Assert.Equal((HttpStatusCode.Forbidden, HttpStatusCode.Forbidden), alteredStatuses);
        Assert.NotEqual(HttpStatusCode.OK, unsignedStatus);
        Assert.Equal(HttpStatusCode.Forbidden, otherSessionsTokenStatus);
        Assert.Equal(HttpStatusCode.OK, recordingStatus);
        Assert.Equal(HttpStatusCode.Forbidden, alteredRecordingStatus);
        Assert.NotEqual(HttpStatusCode.OK, unsignedRecordingStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, signedOutDetail.StatusCode);
    }

    [Fact]
    public async Task Followers_only_session_hands_playback_to_the_mentor_and_followers_but_not_to_other_mentees()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var followerId = Ids.New("follower");
        var followerToken = await api.CreateMenteeAsync(followerId);
        await api.FollowAsync(followerId, mentorId, followerToken);

        var strangerId = Ids.New("stranger");
        var strangerToken = await api.CreateMenteeAsync(strangerId);
        var otherMentorToken = await api.CreateMentorAsync(Ids.New("mentor"), "engines");

        // Act
        var liveId = await api.ScheduleLiveSessionAsync(mentorId, mentorToken, fixture.CallbackSecret, visibility: "followers", mediaDirectory: fixture.Nginx.MediaDirectory);
        var asMentor = await DetailAsync(api, mentorId, liveId, mentorToken);
        var asFollower = await DetailAsync(api, mentorId, liveId, followerToken);
        var asStranger = await DetailAsync(api, mentorId, liveId, strangerToken);
        var asOtherMentor = await DetailAsync(api, mentorId, liveId, otherMentorToken);
        using var badVisibility = await api.SendAsync(
            HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "x", scheduledStart = DateTimeOffset.UtcNow.AddHours(1), visibility = "friends" }, mentorToken);

        // Assert
        Assert.Equal("followers", asMentor.GetProperty("visibility").GetString());
        Assert.Equal("live", asStranger.GetProperty("state").GetString());
        Assert.StartsWith(fixture.Host.BaseAddress.ToString().TrimEnd('/') + "/media/", asMentor.GetProperty("playbackUrl").GetString(), StringComparison.Ordinal);
        Assert.StartsWith(fixture.Host.BaseAddress.ToString().TrimEnd('/') + "/media/", asFollower.GetProperty("playbackUrl").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, asStranger.GetProperty("playbackUrl").ValueKind);
        Assert.Equal(JsonValueKind.Null, asOtherMentor.GetProperty("playbackUrl").ValueKind);
        await ApiClient.AssertProblemAsync(badVisibility, HttpStatusCode.BadRequest, "visibility");
    }

    private static async Task<JsonElement> DetailAsync(ApiClient api, string mentorId, string liveId, string token) =>
        JsonDocument.Parse(await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token)).RootElement.Clone();

    private static async Task<JsonElement> WaitForAsync(ApiClient api, string mentorId, string liveId, string token, string property)
    {
        var watch = Stopwatch.StartNew();
        JsonElement detail;
        do
        {
            detail = await DetailAsync(api, mentorId, liveId, token);
            if (detail.GetProperty(property).ValueKind == JsonValueKind.String)
            {
                return detail.GetProperty(property);
            }

            await Task.Delay(200);
        }
        while (watch.Elapsed < Timeout);

        throw new Xunit.Sdk.XunitException($"Session {liveId} had no {property} within {Timeout}: {detail}");
    }

    private static async Task<string> WaitForSegmentAsync(HttpClient http, string playbackUrl)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Timeout)
        {
            using var playlist = await http.GetAsync(new Uri(playbackUrl));
            if (playlist.IsSuccessStatusCode
                && (await playlist.Content.ReadAsStringAsync()).Split('\n').FirstOrDefault(line => line.EndsWith(".ts", StringComparison.Ordinal)) is { } segment)
            {
                return segment;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"{playbackUrl} listed no segment within {Timeout}.");
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(new Uri(url), HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    /// <summary>The URL with the token of <paramref name="liveId"/> valid until <paramref name="expiresAt"/>, minted with the host's key.</summary>
    private static string WithToken(string url, string liveId, DateTimeOffset expiresAt)
    {
        var tokens = new MediaTokens(Options.Create(new PlaybackOptions { SigningKey = MediaFixture.PlaybackSigningKey }), TimeProvider.System);
        var parts = url.Split('/');
        parts[4] = tokens.Create(liveId, expiresAt);
        return string.Join('/', parts);
    }

    /// <summary>One character of the token's MAC changed.</summary>
    private static string Alter(string url)
    {
        var parts = url.Split('/');
        var token = parts[4];
        parts[4] = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        return string.Join('/', parts);
    }

    /// <summary>The plain URL the session stores, without the token: /media/{liveId}/...</summary>
    private static string Unsigned(string url)
    {
        var parts = url.Split('/').ToList();
        parts.RemoveAt(4);
        return string.Join('/', parts);
    }
}
