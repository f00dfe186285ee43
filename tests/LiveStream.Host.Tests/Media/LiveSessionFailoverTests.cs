using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LiveStream.Testing;
using Xunit.Abstractions;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>A live session survives <c>kill -9</c> of the silo hosting it: same state, same channel, one recording.</summary>
public sealed class LiveSessionFailoverTests(ITestOutputHelper output)
{
    /// <summary>
    /// Test-sized failure detection (production keeps its own): a killed silo is declared dead after two missed
    /// one-second probes instead of the defaults' three of five seconds, so the test waits seconds, not half a minute.
    /// </summary>
    private static readonly Dictionary<string, string> FastFailureDetection = new()
    {
        ["Orleans:Membership:ProbeTimeout"] = "00:00:01",
        ["Orleans:Membership:NumMissedProbesLimit"] = "2",
        ["Orleans:Membership:TableRefreshTimeout"] = "00:00:02",
    };

    [Fact]
    public async Task Killing_the_silo_hosting_a_live_aws_session_reactivates_it_on_another_silo_with_the_same_state_and_one_channel()
    {
        // Arrange: two silos (role all) in one cluster; a session made live through the first one's API.
        await using var moto = await MotoServer.StartAsync();
        await using var proxy = new AwsRoutingProxy(moto.ServiceUrl);
        var queueUrl = await CreateBucketWithQueueAsync(moto.ServiceUrl);
        await using var database = await TestDatabase.CreateAsync();
        var settings = AwsSettings(proxy.ServiceUrl, queueUrl);
        settings["Media:Provider"] = "Aws"; // spelled as deploy/cloudformation sets it
        // The proxy is the CDN too: the session is live only once its playback URL lists a segment.
        settings["Media:Aws:LivePlaybackBaseUrl"] = proxy.ServiceUrl.ToString().TrimEnd('/');
        foreach (var (key, value) in FastFailureDetection)
        {
            settings[key] = value;
        }

        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey()) { Settings = settings };
        await using var first = await HostProcess.StartAsync(options);
        await using var second = await HostProcess.StartAsync(options);
        using var firstApi = new ApiClient(first.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await firstApi.CreateMentorAsync(mentorId, "engines");
        var liveId = await firstApi.ScheduleAsync(mentorId, "engines", token);
        using (var start = await firstApi.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        var channel = await ChannelAsync(moto, liveId);
        await SendChannelAlertAsync(moto.ServiceUrl, queueUrl, channel.Arn, "RTMP Has No Audio/Video", set: false, DateTimeOffset.UtcNow);
        var before = await WaitForStateAsync(firstApi, mentorId, liveId, token, "live");

        // The grain logs its transitions, so the silo whose log has them is the one hosting the activation.
        var transition = $"Session {liveId} moved from Scheduled to Starting";
        var hosting = Assert.Single(new[] { first, second }, silo => silo.Output.Contains(transition, StringComparison.Ordinal));
        var survivor = hosting == first ? second : first;

        // Act: kill -9 the hosting silo; read, start again and stop through the survivor.
        var watch = Stopwatch.StartNew();
        await hosting.KillAsync();
        using var api = new ApiClient(survivor.CreateClient());
        var after = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var failover = watch.Elapsed;
        using var startAgain = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        var afterStartAgain = await SessionResourcesAsync(moto, liveId);
        using var stop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        await PutRecordingAsync(moto.ServiceUrl, $"recordings/{liveId}/index.m3u8");
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        var leftOver = await LiveResourcesAsync(moto, afterStartAgain);
        output.WriteLine($"Session {liveId} served again from the surviving silo {failover.TotalSeconds:F1} s after kill -9 of its host");

        // Assert: the reactivated grain has the state the dead one had, and it is the survivor that hosts it now.
        Assert.Equal(before.GetProperty("startedAt").GetString(), after.GetProperty("startedAt").GetString());
        // The same stream; each answer signs it afresh (a new expiry in the path), so compare without the token.
        Assert.Equal(Unsigned(before.GetProperty("playbackUrl").GetString()), Unsigned(after.GetProperty("playbackUrl").GetString()));
        Assert.Contains($"Session {liveId} moved from Live to Ending", survivor.Output, StringComparison.Ordinal);

        // Assert: a start retried after the failover created no second channel, input or MediaPackage channel.
        Assert.Equal("live", (await ApiClient.JsonAsync(startAgain)).GetProperty("state").GetString());
        Assert.Equal(channel.Id, Assert.Single(afterStartAgain.MediaLiveChannels).Id);
        Assert.Single(afterStartAgain.Inputs);
        Assert.Single(afterStartAgain.PackageChannels);
        Assert.Single(afterStartAgain.Endpoints);

        // Assert: one harvest, the recording, and nothing left running.
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        Assert.Single(proxy.Stubbed, r => r.Method == "POST" && r.RawUrl.StartsWith("/harvest_jobs", StringComparison.Ordinal));
        Assert.Equal($"https://recordings.cloudfront.test/recordings/{liveId}/index.m3u8", Unsigned(recorded.GetProperty("recordingUrl").GetString()));
        Assert.Empty(leftOver);
    }

    [Fact]
    public async Task Killing_the_silo_hosting_a_live_local_session_keeps_the_publisher_and_one_recording()
    {
        // Arrange: two silos and an API front end (which nginx's callbacks reach), a publisher pushing.
        await using var database = await TestDatabase.CreateAsync();
        var httpPort = FreePorts.Next();
        var secret = Guid.NewGuid().ToString("N");
        await using var nginx = await NginxRtmp.StartAsync($"http://127.0.0.1:{httpPort}/internal/media/{secret}");
        var options = MediaFixture.HostOptions(database, nginx, httpPort, secret);
        var settings = new Dictionary<string, string>(options.Settings);
        foreach (var (key, value) in FastFailureDetection)
        {
            settings[key] = value;
        }

        options = options with { Settings = settings };
        await using var first = await HostProcess.StartAsync(options with { Role = "silo", HttpPort = null });
        await using var second = await HostProcess.StartAsync(options with { Role = "silo", HttpPort = null });
        await using var front = await HostProcess.StartAsync(options with { Role = "api" });
        using var api = new ApiClient(front.CreateClient());
        var mentorId = Ids.New("mentor");
        const double sentSeconds = 16;
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        using var ingestResponse = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
        var ingest = await ApiClient.JsonAsync(ingestResponse);
        using (var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        var publisher = Ffmpeg.Publish($"{ingest.GetProperty("url").GetString()}/{ingest.GetProperty("streamKey").GetString()}", sentSeconds);
        var before = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var transition = $"Session {liveId} moved from Starting to Live";
        var hosting = Assert.Single(new[] { first, second }, silo => silo.Output.Contains(transition, StringComparison.Ordinal));

        // Act
        await hosting.KillAsync();
        var after = await WaitForStateAsync(api, mentorId, liveId, token, "live");
        using var startAgain = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token);
        var publisherExit = await Ffmpeg.WaitAsync(publisher, TimeSpan.FromSeconds(sentSeconds + 30));
        using var stop = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token);
        var recorded = await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
        var recording = await Ffmpeg.ProbeAsync(recorded.GetProperty("recordingUrl").GetString()!);

        // Assert: same state from the other silo, the publisher never noticed, one recording of everything sent.
        Assert.Equal(before.GetProperty("startedAt").GetString(), after.GetProperty("startedAt").GetString());
        // The same stream; each answer signs it afresh (a new expiry in the path), so compare without the token.
        Assert.Equal(Unsigned(before.GetProperty("playbackUrl").GetString()), Unsigned(after.GetProperty("playbackUrl").GetString()));
        Assert.Equal("live", (await ApiClient.JsonAsync(startAgain)).GetProperty("state").GetString());
        Assert.Equal(0, publisherExit);
        Assert.Single(Directory.GetFiles(Path.Combine(nginx.MediaDirectory, "recordings")), path => path.Contains(liveId, StringComparison.Ordinal));
        Assert.NotNull(recording);
        Assert.InRange(recording.Duration ?? 0, sentSeconds * 0.9, sentSeconds * 1.1);
    }

    private static async Task<JsonElement> WaitForStateAsync(ApiClient api, string mentorId, string liveId, string token, string state)
    {
        var watch = Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(60))
        {
            using var response = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: token);
            last = await response.Content.ReadAsStringAsync();
            if (response.IsSuccessStatusCode && JsonDocument.Parse(last).RootElement.GetProperty("state").GetString() == state)
            {
                return JsonDocument.Parse(last).RootElement.Clone();
            }

            await Task.Delay(200);
        }

        throw new Xunit.Sdk.XunitException($"Session {liveId} did not become {state}: {last}");
    }

    /// <summary>A playback URL without its signature: the local <c>/media/{token}/</c> segment, CloudFront's query.</summary>
    private static string? Unsigned(string? url) =>
        url is null ? null : System.Text.RegularExpressions.Regex.Replace(url.Split('?')[0], "/media/[^/]+/", "/media/");
}
