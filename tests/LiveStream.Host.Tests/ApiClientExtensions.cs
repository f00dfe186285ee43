using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests;

/// <summary>Flows shared by the API tests: the "nothing changed" half of the negative tests, taking a session live.</summary>
public static class ApiClientExtensions
{
    /// <summary>GETs a resource that must exist and returns its JSON text, to compare before and after a refused request.</summary>
    public static async Task<string> ReadAsync(this ApiClient api, string path, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: expected 200, got {(int)response.StatusCode}: {body}");
        return body;
    }

    /// <summary>Asserts that <paramref name="path"/> does not exist (404), e.g. that a refused create wrote nothing.</summary>
    public static async Task AssertMissingAsync(this ApiClient api, string path, string token)
    {
        using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
        await ApiClient.AssertProblemAsync(response, HttpStatusCode.NotFound);
    }

    /// <summary>The mentee follows the mentor (and the API confirms with 204).</summary>
    public static async Task FollowAsync(this ApiClient api, string menteeId, string mentorId, string menteeToken)
    {
        using var follow = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/following/{mentorId}", token: menteeToken);
        Assert.Equal(HttpStatusCode.NoContent, follow.StatusCode);
    }

    /// <summary>
    /// Schedules a session of <paramref name="mentorId"/>, starts it and takes it live through the ingest callback the
    /// RTMP server calls (on a host whose media callback secret is <paramref name="callbackSecret"/>, keeping media in
    /// <paramref name="mediaDirectory"/>, by default <see cref="HostProcess.DefaultMediaDirectory"/>). No encoder runs: the playlist nginx would write, with one
    /// segment, is written in its place, since a session is live only once playable. Returns once it is live.
    /// </summary>
    public static async Task<string> ScheduleLiveSessionAsync(this ApiClient api, string mentorId, string token, string callbackSecret, string? visibility = null, string? mediaDirectory = null)
    {
        var liveId = await api.ScheduleAsync(mentorId, "engines", token, visibility: visibility);
        using (var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        using var ingest = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
        var streamKey = (await ApiClient.JsonAsync(ingest)).GetProperty("streamKey").GetString()!;
        // nginx reads the 3xx (a stream rename) itself, so the callback must not be followed as a redirect.
        using var callbacks = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = api.Http.BaseAddress };
        using var publish = await callbacks.PostAsync(
            new Uri($"/internal/media/{callbackSecret}/publish", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["call"] = "publish", ["name"] = streamKey, ["clientid"] = liveId }));
        Assert.True((int)publish.StatusCode is >= 200 and < 400, $"publish callback answered {(int)publish.StatusCode}");

        var hls = Path.Combine(mediaDirectory ?? HostProcess.DefaultMediaDirectory, "hls", liveId);
        Directory.CreateDirectory(hls);
        await File.WriteAllTextAsync(Path.Combine(hls, "index.m3u8"), "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:2.000,\n0.ts\n");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            using var detail = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: token);
            var state = (await ApiClient.JsonAsync(detail)).GetProperty("state").GetString();
            if (state == "live")
            {
                return liveId;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"session {liveId} is still {state}, not live");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
