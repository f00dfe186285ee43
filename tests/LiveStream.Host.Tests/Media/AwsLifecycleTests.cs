using System.Net;
using System.Text.Json;
using LiveStream.Testing;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// <c>Media:Provider=aws</c> against the moto emulator: the lifecycle's deadlines and notifications that
/// <see cref="AwsMediaTests"/> does not reach (a pre-warmed channel nobody starts; a harvest that never completes; a
/// deployment without input alerts).
/// </summary>
public sealed class AwsLifecycleTests
{
    private const string NoInputAlert = "RTMP Has No Audio/Video";

    [Fact]
    public async Task A_prewarmed_channel_nobody_starts_is_released_after_the_no_show_timeout_and_the_session_stays_scheduled()
    {
        // Arrange: the start is inside the pre-warm lead, so the channel is prepared at once; nobody will start it.
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:NoShowTimeout"] = "00:00:03";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var scheduledStart = DateTimeOffset.UtcNow.AddSeconds(10);
        using var scheduled = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Nobody comes", scheduledStart }, token);
        var liveId = (await ApiClient.JsonAsync(scheduled)).GetProperty("liveId").GetString()!;
        var prewarmed = await WaitForResourcesAsync(aws.Moto, liveId);

        // Act: the scheduled start passes, then the no-show timeout.
        var left = await WaitForNoResourcesAsync(aws.Moto, prewarmed);
        var releasedAt = DateTimeOffset.UtcNow;
        var detail = JsonDocument.Parse(await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token)).RootElement;

        // Assert: released only after start + timeout; the mentor can still start the session later.
        Assert.Single(prewarmed.MediaLiveChannels);
        Assert.Empty(left);
        Assert.True(releasedAt >= scheduledStart.AddSeconds(3), $"released at {releasedAt:O}, before the no-show deadline {scheduledStart.AddSeconds(3):O}");
        Assert.Equal("scheduled", detail.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_harvest_that_never_completes_ends_the_session_with_a_reason_deletes_its_resources_and_tells_the_mentor()
    {
        // Arrange: a short recording deadline; a session live on the emulator.
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:RecordingTimeout"] = "00:00:05";
        settings["Media:RetryDelay"] = "00:00:02";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        using var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        var whileLive = await SessionResourcesAsync(aws.Moto, liveId);
        var channel = Assert.Single(whileLive.MediaLiveChannels);
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, NoInputAlert, set: false, DateTimeOffset.UtcNow);
        await WaitForStateAsync(api, mentorId, liveId, token, "live");

        // Act: stop; the harvest is requested but S3 never reports the manifest.
        using var stop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        var stopped = await ApiClient.JsonAsync(stop);
        var givenUp = await WaitForRecordingFailureAsync(api, mentorId, liveId, token);
        var left = await WaitForNoResourcesAsync(aws.Moto, whileLive);
        var inbox = await WaitForInboxAsync(api, $"/mentor/{mentorId}", token, liveId, "recording-failed");

        // Assert: ended without a recording, with the reason; nothing left running; the mentor, and only the mentor, told.
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal("ended", stopped.GetProperty("state").GetString());
        Assert.Null(Text(stopped, "recordingFailure"));
        Assert.Equal("ended", givenUp.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(Text(givenUp, "recordingFailure")));
        Assert.Null(Text(givenUp, "recordingUrl"));
        Assert.Empty(left);
        Assert.Equal(["recording-failed"], inbox);
    }

    [Fact]
    public async Task Without_input_alerts_a_session_goes_live_once_playable_and_followers_get_the_live_notification()
    {
        // Arrange: input alerts off, so nothing reports the encoder and the playback probe alone decides.
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:Aws:UseInputAlerts"] = "false";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        aws.Proxy.PlaylistHasSegment = false;

        // Act: start; the channel runs but plays nothing yet, then its playlist lists a segment.
        using var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        await SessionResourcesAsync(aws.Moto, liveId);
        var beforePlayable = await ApiClient.JsonAsync(await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: token));
        aws.Proxy.PlaylistHasSegment = true;
        var live = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var kinds = await WaitForInboxAsync(api, $"/mentee/{menteeId}", menteeToken, liveId, "live");

        // Assert
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        Assert.Equal("starting", beforePlayable.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(Text(live, "playbackUrl")));
        Assert.Contains("live", kinds);
    }

    /// <summary>The kinds of a user's notifications of one session (<paramref name="user"/> is <c>/mentee/{id}</c> or
    /// <c>/mentor/{id}</c>), once one of <paramref name="kind"/> is there (or after the deadline).</summary>
    private static async Task<List<string>> WaitForInboxAsync(ApiClient api, string user, string token, string liveId, string kind)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            using var page = JsonDocument.Parse(await api.ReadAsync($"{user}/notifications?limit=50", token));
            var kinds = page.RootElement.GetProperty("items").EnumerateArray()
                .Where(item => item.GetProperty("liveId").GetString() == liveId)
                .Select(item => item.GetProperty("kind").GetString()!)
                .ToList();
            if (kinds.Contains(kind) || watch.Elapsed > TimeSpan.FromSeconds(30))
            {
                return kinds;
            }

            await Task.Delay(250);
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<JsonElement> WaitForRecordingFailureAsync(ApiClient api, string mentorId, string liveId, string token)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(45))
        {
            last = await api.ReadAsync($"/mentor/{mentorId}/live/{liveId}", token);
            var detail = JsonDocument.Parse(last).RootElement;
            if (Text(detail, "recordingFailure") is not null)
            {
                return detail.Clone();
            }

            await Task.Delay(250);
        }

        throw new Xunit.Sdk.XunitException($"Session {liveId} got no recording failure: {last}");
    }

    private static async Task<List<string>> WaitForNoResourcesAsync(MotoServer moto, SessionResources seen)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var alive = await LiveResourcesAsync(moto, seen);
        while (alive.Count > 0 && watch.Elapsed < TimeSpan.FromSeconds(45))
        {
            await Task.Delay(500);
            alive = await LiveResourcesAsync(moto, seen);
        }

        return alive;
    }
}
