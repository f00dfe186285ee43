using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

[Collection(MediaCollection.Name)]
public sealed class LiveMediaTests(MediaFixture fixture)
{
    private static readonly TimeSpan StateTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Published_stream_goes_live_as_playable_hls_and_is_recorded_after_stop()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (mentorId, liveId, token) = await ScheduleAsync(api);
        var ingest = await IngestAsync(api, liveId, token);
        await PostAsync(api, $"/livestream/{liveId}/start", token);
        const double sentSeconds = 10;

        // Act
        var publisher = Ffmpeg.Publish($"{ingest.Url}/{ingest.StreamKey}", sentSeconds);
        var live = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var playbackUrl = live.GetProperty("playbackUrl").GetString()!;
        using var playlistAtLive = await api.Http.GetAsync(new Uri(playbackUrl));
        var playlistAtLiveText = await playlistAtLive.Content.ReadAsStringAsync();
        var hls = await WaitForProbeAsync(playbackUrl);
        using var playlist = await api.Http.GetAsync(new Uri(playbackUrl));
        var playlistText = await playlist.Content.ReadAsStringAsync();
        var segmentName = playlistText.Split('\n').First(line => line.EndsWith(".ts", StringComparison.Ordinal));
        using var segment = await api.Http.GetAsync(new Uri(new Uri(playbackUrl), segmentName));
        var publisherExit = await Ffmpeg.WaitAsync(publisher, TimeSpan.FromSeconds(sentSeconds + 20));
        await PostAsync(api, $"/livestream/{liveId}/stop", token);
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        var recordingUrl = recorded.GetProperty("recordingUrl").GetString()!;
        var recording = await Ffmpeg.ProbeAsync(recordingUrl);
        using var recordingResponse = await api.Http.GetAsync(new Uri(recordingUrl), HttpCompletionOption.ResponseHeadersRead);

        // Assert
        Assert.Equal(0, publisherExit);

        // A player opening the session the moment it says live gets a playlist it can start on.
        Assert.Equal(HttpStatusCode.OK, playlistAtLive.StatusCode);
        Assert.Contains("#EXTINF:", playlistAtLiveText, StringComparison.Ordinal);
        Assert.DoesNotContain(ingest.StreamKey, playbackUrl, StringComparison.Ordinal);
        Assert.Contains("hls", hls.Format, StringComparison.Ordinal);
        Assert.Contains("h264", hls.Codecs);
        Assert.Contains("aac", hls.Codecs);
        Assert.Equal("application/vnd.apple.mpegurl", playlist.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(1), playlist.Headers.CacheControl?.MaxAge);
        Assert.Equal(HttpStatusCode.OK, segment.StatusCode);
        Assert.Equal("video/mp2t", segment.Content.Headers.ContentType?.MediaType);
        Assert.Contains("immutable", segment.Headers.CacheControl?.ToString() ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Null, recorded.GetProperty("playbackUrl").ValueKind);
        Assert.Equal("video/mp4", recordingResponse.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(recording);
        Assert.Contains("h264", recording.Codecs);
        Assert.Contains("aac", recording.Codecs);
        Assert.InRange(recording.Duration ?? 0, sentSeconds * 0.9, sentSeconds * 1.1);
    }

    [Fact]
    public async Task Wrong_stream_key_is_refused_and_changes_nothing()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (mentorId, liveId, token) = await ScheduleAsync(api);
        var ingest = await IngestAsync(api, liveId, token);
        await PostAsync(api, $"/livestream/{liveId}/start", token);
        var before = await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token);

        // Act
        var wrongKey = Ffmpeg.Publish($"{ingest.Url}/{liveId}.not-the-key", 3);
        var wrongKeyExit = await Ffmpeg.WaitAsync(wrongKey, TimeSpan.FromSeconds(15));
        var guessedId = Ffmpeg.Publish($"{ingest.Url}/{liveId}", 3);
        var guessedIdExit = await Ffmpeg.WaitAsync(guessedId, TimeSpan.FromSeconds(15));
        var after = await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token);

        // Assert
        Assert.NotEqual(0, wrongKeyExit);
        Assert.NotEqual(0, guessedIdExit);
        Assert.Equal(before, after);
        Assert.False(Directory.Exists(Path.Combine(fixture.Nginx.MediaDirectory, "hls", liveId)));
    }

    [Fact]
    public async Task Second_publisher_is_refused_while_the_first_keeps_the_session_live()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (mentorId, liveId, token) = await ScheduleAsync(api);
        var ingest = await IngestAsync(api, liveId, token);
        await PostAsync(api, $"/livestream/{liveId}/start", token);
        var first = Ffmpeg.Publish($"{ingest.Url}/{ingest.StreamKey}", 8);
        var live = await WaitForStateAsync(api, mentorId, liveId, token, "live");

        // Act
        var second = Ffmpeg.Publish($"{ingest.Url}/{ingest.StreamKey}", 3);
        var secondExit = await Ffmpeg.WaitAsync(second, TimeSpan.FromSeconds(15));
        var during = await ReadDetailAsync(api, mentorId, liveId, token);
        var firstExit = await Ffmpeg.WaitAsync(first, TimeSpan.FromSeconds(25));
        await PostAsync(api, $"/livestream/{liveId}/stop", token);

        // Assert
        Assert.NotEqual(0, secondExit);
        Assert.Equal(0, firstExit);
        Assert.Equal("live", during.GetProperty("state").GetString());
        Assert.Equal(live.GetProperty("startedAt").GetString(), during.GetProperty("startedAt").GetString());
    }

    [Fact]
    public async Task Publisher_reconnecting_within_grace_keeps_the_session_and_one_that_never_returns_ends_it_with_a_recording()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (mentorId, liveId, token) = await ScheduleAsync(api);
        var ingest = await IngestAsync(api, liveId, token);
        await PostAsync(api, $"/livestream/{liveId}/start", token);
        // The first part must outlast the go-live (first segment + playback probe), which a loaded CI box can stretch
        // past 4 s: a publisher that leaves while the session is still starting does not make it live.
        const double firstPartSeconds = 8, secondPartSeconds = 4;

        // Act: publish, drop, come back within the window, drop for good.
        var firstExit = await Ffmpeg.WaitAsync(Ffmpeg.Publish($"{ingest.Url}/{ingest.StreamKey}", firstPartSeconds), TimeSpan.FromSeconds(30));
        var afterDrop = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var secondExit = await Ffmpeg.WaitAsync(Ffmpeg.Publish($"{ingest.Url}/{ingest.StreamKey}", secondPartSeconds), TimeSpan.FromSeconds(20));
        var afterReconnect = await ReadDetailAsync(api, mentorId, liveId, token);
        var abandoned = Stopwatch.StartNew();
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        abandoned.Stop();
        var recording = await Ffmpeg.ProbeAsync(recorded.GetProperty("recordingUrl").GetString()!);

        // Assert
        Assert.Equal(0, firstExit);
        Assert.Equal(0, secondExit);
        Assert.Equal("live", afterReconnect.GetProperty("state").GetString());
        Assert.Equal(afterDrop.GetProperty("startedAt").GetString(), afterReconnect.GetProperty("startedAt").GetString());
        Assert.True(abandoned.Elapsed >= MediaFixture.ReconnectGrace - TimeSpan.FromSeconds(1), $"Ended after {abandoned.Elapsed}, before the reconnect window closed.");
        Assert.NotNull(recording);
        Assert.InRange(recording.Duration ?? 0, (firstPartSeconds + secondPartSeconds) * 0.9, (firstPartSeconds + secondPartSeconds) * 1.1);
    }

    [Fact]
    public async Task Start_and_stop_are_idempotent_and_stop_before_start_is_a_conflict()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (_, liveId, token) = await ScheduleAsync(api);

        // Act
        using var stopBeforeStart = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        using var firstStart = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        using var secondStart = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        using var firstStop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        using var secondStop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        using var startAfterStop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        using var ingestAfterStop = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);

        // Assert
        await ApiClient.AssertProblemAsync(stopBeforeStart, HttpStatusCode.Conflict);
        Assert.Equal("starting", (await ApiClient.JsonAsync(firstStart)).GetProperty("state").GetString());
        Assert.Equal("starting", (await ApiClient.JsonAsync(secondStart)).GetProperty("state").GetString());
        Assert.Equal("ended", (await ApiClient.JsonAsync(firstStop)).GetProperty("state").GetString());
        Assert.Equal("ended", (await ApiClient.JsonAsync(secondStop)).GetProperty("state").GetString());
        await ApiClient.AssertProblemAsync(startAfterStop, HttpStatusCode.Conflict);
        await ApiClient.AssertProblemAsync(ingestAfterStop, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Only_the_owning_mentor_gets_the_ingest_key_or_starts_the_session()
    {
        // Arrange
        using var api = fixture.CreateClient();
        var (_, liveId, _) = await ScheduleAsync(api);
        var otherMentor = await api.TokenAsync(Ids.New("mentor"), "mentor");
        var mentee = await api.TokenAsync(Ids.New("mentee"), "mentee");

        // Act
        using var ingestByOther = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: otherMentor);
        using var startByMentee = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: mentee);
        using var anonymous = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest");
        using var callbackWithoutSecret = await api.Http.PostAsync(
            new Uri("/internal/media/guess/publish", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = $"{liveId}.x", ["clientid"] = "1" }));

        // Assert
        await ApiClient.AssertProblemAsync(ingestByOther, HttpStatusCode.Forbidden);
        await ApiClient.AssertProblemAsync(startByMentee, HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, callbackWithoutSecret.StatusCode);
    }

    private static async Task<(string MentorId, string LiveId, string Token)> ScheduleAsync(ApiClient api)
    {
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        return (mentorId, liveId, token);
    }

    private static async Task<(string Url, string StreamKey)> IngestAsync(ApiClient api, string liveId, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ApiClient.JsonAsync(response);
        return (body.GetProperty("url").GetString()!, body.GetProperty("streamKey").GetString()!);
    }

    private static async Task PostAsync(ApiClient api, string path, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Post, path, token: token);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    private static async Task<JsonElement> ReadDetailAsync(ApiClient api, string mentorId, string liveId, string token) =>
        JsonDocument.Parse(await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token)).RootElement.Clone();

    private static async Task<JsonElement> WaitForStateAsync(ApiClient api, string mentorId, string liveId, string token, string state)
    {
        var watch = Stopwatch.StartNew();
        JsonElement detail;
        do
        {
            detail = await ReadDetailAsync(api, mentorId, liveId, token);
            if (detail.GetProperty("state").GetString() == state)
            {
                return detail;
            }

            await Task.Delay(200);
        }
        while (watch.Elapsed < StateTimeout);

        throw new Xunit.Sdk.XunitException($"Session {liveId} did not become {state} within {StateTimeout}: {detail}");
    }

    private static async Task<ProbeResult> WaitForProbeAsync(string url)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StateTimeout)
        {
            if (await Ffmpeg.ProbeAsync(url) is { } probe)
            {
                return probe;
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"ffprobe could not read {url} within {StateTimeout}.");
    }
}
