using System.Net;
using System.Text.Json;
using LiveStream.Infrastructure.Tests.Aws;
using LiveStream.Testing;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// <c>Media:Provider=aws</c> against the moto emulator: what the session creates, stops and deletes is read back
/// from the emulator's own state; the two calls it lacks are checked on the wire (signature and body). MediaLive's
/// input alerts arrive as EventBridge would put them on the real SQS queue.
/// </summary>
public sealed class AwsMediaTests
{
    private const string ProbeAlert = "Initial Probe Taking Longer than Expected";
    private const string NoInputAlert = "RTMP Has No Audio/Video";

    [Fact]
    public async Task Session_creates_its_channel_goes_live_on_input_stops_and_harvests_is_recorded_from_the_s3_event_and_leaves_nothing_behind()
    {
        // Arrange
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        aws.Proxy.PlaylistHasSegment = false;

        // Act: start; MediaLive waits for input, then the mentor's encoder connects.
        using var startResponse = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        var started = await ApiClient.JsonAsync(startResponse);
        using var ingestResponse = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
        var whileLive = await SessionResourcesAsync(aws.Moto, liveId);
        var channel = Assert.Single(whileLive.MediaLiveChannels);
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, ProbeAlert, set: true, DateTimeOffset.UtcNow.AddSeconds(-1));
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, ProbeAlert, set: false, DateTimeOffset.UtcNow);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stillStarting = await ApiClient.JsonAsync(await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: token));
        aws.Proxy.PlaylistHasSegment = true;
        var live = await WaitForStateAsync(api, mentorId, liveId, token, "live");

        // Act: stop, then S3 reports the harvested manifest through SQS
        using var stopResponse = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        var stopped = await ApiClient.JsonAsync(stopResponse);
        var afterStop = await SessionResourcesAsync(aws.Moto, liveId);
        await PutRecordingAsync(aws.Moto.ServiceUrl, $"recordings/{liveId}/index.m3u8");
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        var afterRecording = await LiveResourcesAsync(aws.Moto, whileLive);

        // Assert: start created one of each, the endpoint with a startover window, and waited for input.
        Assert.Equal(HttpStatusCode.OK, startResponse.StatusCode);
        Assert.Equal("starting", started.GetProperty("state").GetString());
        Assert.Equal(1, whileLive.MediaLiveChannels.Count(c => c.State is "RUNNING" or "STARTING"));
        var input = Assert.Single(whileLive.Inputs);
        Assert.Matches("live/[A-Za-z0-9_-]{32}\"", input.GetRawText());
        Assert.Single(whileLive.PackageChannels);
        var endpoint = Assert.Single(whileLive.Endpoints);
        Assert.Equal(5 * 3600, endpoint.GetProperty("startover_window_seconds").GetInt32());

        // Assert: the emulator's input has no push address (real MediaLive assigns one), so there is none to hand out.
        await ApiClient.AssertProblemAsync(ingestResponse, HttpStatusCode.Conflict);

        // Assert: live once the input alert cleared and the playback URL lists a segment, played through the CDN's host
        // with a CloudFront-signed URL.
        Assert.Equal("starting", stillStarting.GetProperty("state").GetString());
        var playbackUrl = live.GetProperty("playbackUrl").GetString() ?? string.Empty;
        Assert.StartsWith(aws.Proxy.ServiceUrl.ToString(), playbackUrl, StringComparison.Ordinal);
        MotoMedia.AssertCloudFrontSigned(playbackUrl, playbackUrl.Split('?')[0]);
        Assert.False(string.IsNullOrEmpty(live.GetProperty("startedAt").GetString()));

        // Assert: stop stopped the channel and asked for the harvest, signed, to the recordings bucket.
        Assert.Equal("ended", stopped.GetProperty("state").GetString());
        Assert.All(afterStop.MediaLiveChannels, c => Assert.Contains(c.State, new[] { "IDLE", "STOPPING" }));
        var harvest = Assert.Single(aws.Proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/harvest_jobs", StringComparison.Ordinal));
        SigV4Verifier.AssertSigned(harvest, MotoServer.AccessKey, MotoServer.SecretKey, MotoServer.Region, "mediapackage");
        using var harvestBody = JsonDocument.Parse(harvest.Body);
        Assert.Equal(endpoint.GetProperty("id").GetString(), harvestBody.RootElement.GetProperty("originEndpointId").GetString());
        Assert.Equal(Bucket, harvestBody.RootElement.GetProperty("s3Destination").GetProperty("bucketName").GetString());
        Assert.Equal($"recordings/{liveId}/index.m3u8", harvestBody.RootElement.GetProperty("s3Destination").GetProperty("manifestKey").GetString());
        var group = Assert.Single(aws.Proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal));
        SigV4Verifier.AssertSigned(group, MotoServer.AccessKey, MotoServer.SecretKey, MotoServer.Region, "medialive");

        // Assert: the S3 event set the recording URL and every resource of the session is gone.
        MotoMedia.AssertCloudFrontSigned(recorded.GetProperty("recordingUrl").GetString(), $"https://recordings.cloudfront.test/recordings/{liveId}/index.m3u8");
        Assert.Empty(afterRecording);
        Assert.Single(aws.Proxy.Stubbed, r => r.Method == "DELETE" && r.RawUrl.StartsWith("/prod/inputSecurityGroups", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Input_alerts_fail_a_session_without_input_and_give_a_lost_input_the_reconnect_grace()
    {
        // Arrange: short timeouts; three sessions started on one host.
        var grace = TimeSpan.FromSeconds(5);
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:NoInputTimeout"] = "00:00:04";
        settings["Media:ReconnectGrace"] = "00:00:05";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var silent = await StartAsync(api, mentorId, token);
        var returning = await StartAsync(api, mentorId, token);
        var gone = await StartAsync(api, mentorId, token);
        var returningArn = (await ChannelAsync(aws.Moto, returning)).Arn;
        var goneArn = (await ChannelAsync(aws.Moto, gone)).Arn;
        var t0 = DateTimeOffset.UtcNow;

        // Act: both encoders connect; one drops and comes back within the grace (its stale "lost" alert, delivered
        // late, and a duplicate of its "cleared" change nothing); the other drops for good.
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, returningArn, NoInputAlert, set: false, t0);
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, goneArn, NoInputAlert, set: false, t0);
        var returningLive = await WaitForStateAsync(api, mentorId, returning, token, "live");
        await WaitForStateAsync(api, mentorId, gone, token, "live");
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, returningArn, NoInputAlert, set: true, t0.AddSeconds(2));
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, goneArn, NoInputAlert, set: true, t0.AddSeconds(2));
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, returningArn, NoInputAlert, set: false, t0.AddSeconds(3));
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, returningArn, NoInputAlert, set: true, t0.AddSeconds(1));
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, returningArn, NoInputAlert, set: false, t0.AddSeconds(3));
        var silentFailed = await WaitForStateAsync(api, mentorId, silent, token, "failed");
        var goneEnded = await WaitForStateAsync(api, mentorId, gone, token, "ended");
        await Task.Delay(grace);
        var returningAfterGrace = await ApiClient.JsonAsync(await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{returning}", token: token));

        // Assert
        Assert.Equal("failed", silentFailed.GetProperty("state").GetString());
        Assert.Empty(await LiveResourcesAsync(aws.Moto, await SessionResourcesAsync(aws.Moto, silent)));
        Assert.Equal("live", returningAfterGrace.GetProperty("state").GetString());
        Assert.Equal(returningLive.GetProperty("startedAt").GetString(), returningAfterGrace.GetProperty("startedAt").GetString());
        Assert.Equal("ended", goneEnded.GetProperty("state").GetString());
        Assert.Single(aws.Proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/harvest_jobs", StringComparison.Ordinal) && System.Text.Encoding.UTF8.GetString(r.Body).Contains(gone, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_a_prewarmed_session_deletes_its_channel()
    {
        // Arrange: the start is inside the pre-warm lead, so the channel is created right after scheduling.
        await using var aws = await AwsEmulator.StartAsync();
        await using var host = await HostProcess.StartAsync(aws.HostOptions(AwsSettings(aws.Proxy.ServiceUrl, aws.QueueUrl)));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        using var scheduled = await api.SendAsync(HttpMethod.Post, "/livestream/", new { mentorId, courseId = "engines", title = "Soon", scheduledStart = DateTimeOffset.UtcNow.AddMinutes(3) }, token);
        var liveId = (await ApiClient.JsonAsync(scheduled)).GetProperty("liveId").GetString()!;
        var prewarmed = await WaitForResourcesAsync(aws.Moto, liveId);

        // Act
        using var cancel = await api.SendAsync(HttpMethod.Delete, $"/livestream/{liveId}", token: token);
        var afterCancel = await LiveResourcesAsync(aws.Moto, prewarmed);

        // Assert
        Assert.Single(prewarmed.PackageChannels);
        Assert.Single(prewarmed.MediaLiveChannels);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await ApiClient.JsonAsync(cancel)).GetProperty("state").GetString());
        Assert.Empty(afterCancel);
    }

    private static async Task<string> StartAsync(ApiClient api, string mentorId, string token)
    {
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        using var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        return liveId;
    }
}
