using System.Net;
using LiveStream.Infrastructure.Tests.Aws;
using LiveStream.Testing;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// A failure at each AWS step of the start and of the stop (the call refused, or carried out with its answer lost):
/// after the retry the emulator holds exactly one of each resource while the session is live, and none once it is
/// recorded.
/// </summary>
public sealed class AwsMediaFaultTests
{
    private const string NoInputAlert = "RTMP Has No Audio/Video";

    /// <summary>Every AWS call of a start and of a stop (with the deletions after the recording), in order.</summary>
    public static TheoryData<string> Steps() =>
        [.. StartSteps.Keys.Concat(StopSteps.Keys)];

    internal static readonly Dictionary<string, Func<CapturedRequest, bool>> StartSteps = new()
    {
        ["CreateInputSecurityGroup"] = r => r.Method == "POST" && Path(r) == "/prod/inputSecurityGroups",
        ["CreateInput"] = r => r.Method == "POST" && Path(r) == "/prod/inputs",
        ["CreateChannel (MediaPackage)"] = r => r.Method == "POST" && Path(r) == "/channels",
        ["CreateOriginEndpoint"] = r => r.Method == "POST" && Path(r) == "/origin_endpoints",
        ["CreateChannel (MediaLive)"] = r => r.Method == "POST" && Path(r) == "/prod/channels",
        ["StartChannel"] = r => r.Method == "POST" && Path(r).EndsWith("/start", StringComparison.Ordinal),
    };

    internal static readonly Dictionary<string, Func<CapturedRequest, bool>> StopSteps = new()
    {
        ["StopChannel"] = r => r.Method == "POST" && Path(r).EndsWith("/stop", StringComparison.Ordinal),
        ["CreateHarvestJob"] = r => r.Method == "POST" && Path(r) == "/harvest_jobs",
        ["DeleteChannel (MediaLive)"] = r => r.Method == "DELETE" && Path(r).StartsWith("/prod/channels/", StringComparison.Ordinal),
        ["DeleteOriginEndpoint"] = r => r.Method == "DELETE" && Path(r).StartsWith("/origin_endpoints/", StringComparison.Ordinal),
        ["DeleteChannel (MediaPackage)"] = r => r.Method == "DELETE" && Path(r).StartsWith("/channels/", StringComparison.Ordinal),
        ["DeleteInput"] = r => r.Method == "DELETE" && Path(r).StartsWith("/prod/inputs/", StringComparison.Ordinal),
        ["DeleteInputSecurityGroup"] = r => r.Method == "DELETE" && Path(r).StartsWith("/prod/inputSecurityGroups/", StringComparison.Ordinal),
    };

    [Fact]
    public async Task A_failure_at_any_step_of_start_or_stop_converges_to_one_of_each_resource_while_live_and_none_after()
    {
        // Arrange: one emulator and host; one session per failing step, refused and (separately) carried out with its answer lost.
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:RetryDelay"] = "00:00:02";
        // One mentor schedules a session per injected fault: more than the default scheduling burst allows.
        settings["RateLimits:ScheduleBurst"] = "1000";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var failures = new List<string>();

        foreach (var (step, match) in StartSteps.Concat(StopSteps))
        {
            // The security group and the harvest job are answered by the proxy (the emulator lacks them), which carries
            // them out before losing the answer as the emulator does.
            foreach (var afterForward in new[] { false, true })
            {
                var liveId = await api.ScheduleAsync(mentorId, "engines", token);

                // Act: the start (retried once by the mentor), input arrives, the stop (retried), the recording.
                if (StartSteps.ContainsKey(step))
                {
                    aws.Proxy.FailNext(match, afterForward);
                }

                await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/start", token);
                await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/start", token);
                var channel = await ChannelAsync(aws.Moto, liveId);
                await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, NoInputAlert, set: false, DateTimeOffset.UtcNow);
                await WaitForStateAsync(api, mentorId, liveId, token, "live");
                var whileLive = await SessionResourcesAsync(aws.Moto, liveId);
                var alive = await LiveResourcesAsync(aws.Moto, whileLive);
                var groupsWhileLive = SecurityGroups(aws.Proxy, liveId);

                if (StopSteps.ContainsKey(step))
                {
                    aws.Proxy.FailNext(match, afterForward);
                }

                await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/stop", token);
                await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/stop", token);
                await WaitForStateAsync(api, mentorId, liveId, token, "ended");
                await PutRecordingAsync(aws.Moto.ServiceUrl, $"recordings/{liveId}/index.m3u8");
                await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
                var left = await WaitForNoneAsync(aws.Moto, aws.Proxy, liveId, whileLive);

                // Assert (collected, so one run names every step that leaks)
                var label = $"{step} ({(afterForward ? "answer lost" : "refused")})";
                if (whileLive.MediaLiveChannels.Count != 1 || whileLive.Inputs.Count != 1 || whileLive.PackageChannels.Count != 1 || whileLive.Endpoints.Count != 1 || alive.Count != 4
                    || groupsWhileLive.Count != 1)
                {
                    failures.Add($"{label}: while live {whileLive}; input security groups: {groupsWhileLive.Count}; alive: {string.Join(", ", alive)}");
                }

                if (left.Count > 0)
                {
                    failures.Add($"{label}: left behind {string.Join(", ", left)}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static async Task SendAsync(ApiClient api, HttpMethod method, string path, string token)
    {
        using var response = await api.SendAsync(method, path, token: token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>What is left of the session's resources once nothing more goes away (the emulator's and the proxy's security groups).</summary>
    internal static async Task<List<string>> WaitForNoneAsync(MotoServer moto, AwsRoutingProxy proxy, string liveId, SessionResources seen, TimeSpan? limit = null)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var alive = await LiveResourcesAsync(moto, seen);
            alive.AddRange(SecurityGroups(proxy, liveId).Select(id => $"input security group {id}"));
            if (alive.Count == 0 || watch.Elapsed > (limit ?? TimeSpan.FromSeconds(30)))
            {
                return alive;
            }

            await Task.Delay(500);
        }
    }

    /// <summary>The session's input security groups the proxy (standing in for MediaLive) still holds.</summary>
    internal static List<string> SecurityGroups(AwsRoutingProxy proxy, string liveId) =>
        [.. proxy.SecurityGroups
            .Where(g => g.TryGetProperty("tags", out var tags) && tags.ValueKind == System.Text.Json.JsonValueKind.Object
                && tags.TryGetProperty(LiveStream.Infrastructure.Media.AwsMediaProvider.TagKey, out var owner) && owner.GetString() == liveId)
            .Select(g => g.GetProperty("id").GetString()!)];

    private static string Path(CapturedRequest request) => request.RawUrl.Split('?')[0];
}
