using System.Diagnostics;
using System.Net;
using System.Text.Json;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Media;

/// <summary>A live session survives <c>kill -9</c> of the silo hosting it: same state, same channel, one recording.</summary>
public sealed class LiveSessionFailoverTests
{
    [Fact]
    public async Task Live_session_reactivates_after_its_silo_is_killed_with_the_same_state_and_a_single_recording()
    {
        // Arrange: a live session on a process whose silo we will kill, with the publisher still pushing.
        await using var database = await TestDatabase.CreateAsync();
        var httpPort = MotoServer.FreePort();
        var secret = Guid.NewGuid().ToString("N");
        await using var nginx = await NginxRtmp.StartAsync($"http://127.0.0.1:{httpPort}/internal/media/{secret}");
        var options = MediaFixture.HostOptions(database, nginx, httpPort, secret);
        var mentorId = Ids.New("mentor");
        const double sentSeconds = 14;
        string liveId;
        JsonElement before;
        Process publisher;
        int siloPort, gatewayPort;
        await using (var first = await HostProcess.StartAsync(options))
        {
            using var api = new ApiClient(first.CreateClient());
            var token = await api.CreateMentorAsync(mentorId, "engines");
            liveId = await api.ScheduleAsync(mentorId, "engines", token);
            using var ingestResponse = await api.SendAsync(HttpMethod.Get, $"/livestream/{liveId}/ingest", token: token);
            var ingest = await ApiClient.JsonAsync(ingestResponse);
            using (var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token))
            {
                Assert.Equal(HttpStatusCode.OK, start.StatusCode);
            }

            publisher = Ffmpeg.Publish($"{ingest.GetProperty("url").GetString()}/{ingest.GetProperty("streamKey").GetString()}", sentSeconds);
            before = await WaitForStateAsync(api, mentorId, liveId, token, "live");

            // Act
            (siloPort, gatewayPort) = (first.SiloPort, first.GatewayPort);
            await first.KillAsync();
        }

        await using var second = await HostProcess.StartAsync(options with { SiloPort = siloPort, GatewayPort = gatewayPort });
        using var again = new ApiClient(second.CreateClient());
        var mentorToken = await again.TokenAsync(mentorId, "mentor");
        var afterRestart = await WaitForStateAsync(again, mentorId, liveId, mentorToken, "live");
        using var startAgain = await again.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: mentorToken);
        var publisherExit = await Ffmpeg.WaitAsync(publisher, TimeSpan.FromSeconds(sentSeconds + 20));
        var recorded = await WaitForStateAsync(again, mentorId, liveId, mentorToken, "recorded");
        var recording = await Ffmpeg.ProbeAsync(recorded.GetProperty("recordingUrl").GetString()!);

        // Assert
        Assert.Equal(0, publisherExit);
        Assert.Equal(before.GetProperty("startedAt").GetString(), afterRestart.GetProperty("startedAt").GetString());
        Assert.Equal(before.GetProperty("playbackUrl").GetString(), afterRestart.GetProperty("playbackUrl").GetString());
        Assert.Equal("live", (await ApiClient.JsonAsync(startAgain)).GetProperty("state").GetString());
        Assert.Single(Directory.GetFiles(Path.Combine(nginx.MediaDirectory, "recordings")), path => path.Contains(liveId, StringComparison.Ordinal));
        Assert.NotNull(recording);
        Assert.InRange(recording.Duration ?? 0, sentSeconds * 0.9, sentSeconds * 1.1);
    }

    private static async Task<JsonElement> WaitForStateAsync(ApiClient api, string mentorId, string liveId, string token, string state)
    {
        var watch = Stopwatch.StartNew();
        var last = string.Empty;
        while (watch.Elapsed < TimeSpan.FromSeconds(40))
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
}
