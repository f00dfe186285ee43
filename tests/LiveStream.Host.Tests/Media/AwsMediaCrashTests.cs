using System.Diagnostics;
using System.Net;
using LiveStream.Testing;
using Xunit.Abstractions;
using static LiveStream.Host.Tests.Media.AwsMediaFaultTests;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>
/// The silo process killed (kill -9) while an AWS call of the start or of the stop is in flight, then restarted on the
/// same database: the mentor's retry (or, for the deletions after the recording, the session's own reminder) finishes
/// the work, and the emulator holds exactly one of each resource while live and none once the session is recorded.
/// </summary>
public sealed class AwsMediaCrashTests(ITestOutputHelper output)
{
    private const string NoInputAlert = "RTMP Has No Audio/Video";

    /// <summary>
    /// Every step of the start and the two of the stop proper. Of the five deletions after the recording, two stand for
    /// all: the deletion is one effect retried from its first call whatever call it died in (it finds what is left by
    /// name and tag), and after a restart only the session's reminder resumes it, up to a minute later, so each such case
    /// costs a minute of CI time.
    /// </summary>
    public static TheoryData<string> Steps() =>
    [
        "CreateInputSecurityGroup", "CreateInput", "CreateChannel (MediaPackage)", "CreateOriginEndpoint", "CreateChannel (MediaLive)", "StartChannel",
        "StopChannel", "CreateHarvestJob",
        "DeleteChannel (MediaLive)", "DeleteInput",
    ];

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task A_silo_killed_during_a_step_of_start_or_stop_leaves_one_of_each_resource_while_live_and_none_after_it_restarts(string step)
    {
        // Arrange: emulator, the proxy that can hold a call (so the process dies with it in flight), one host.
        var watch = Stopwatch.StartNew();
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:RetryDelay"] = "00:00:02";
        var options = aws.HostOptions(settings);
        var host = await HostProcess.StartAsync(options);
        try
        {
            var api = new ApiClient(host.CreateClient());
            var mentorId = Ids.New("mentor");
            var token = await api.CreateMentorAsync(mentorId, "engines");
            var liveId = await api.ScheduleAsync(mentorId, "engines", token);
            var inStart = StartSteps.TryGetValue(step, out var match);
            match ??= StopSteps[step];

            // Act: the start, killed at the step when it is one of the start's; the mentor starts again.
            if (inStart)
            {
                var reached = aws.Proxy.HoldNextAsync(match);
                var abandoned = AbandonAsync(api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token));
                (host, api) = await KillAndRestartAsync(host, api, options, reached);
                await abandoned;
            }

            await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/start", token);
            var channel = await ChannelAsync(aws.Moto, liveId);
            await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, NoInputAlert, set: false, DateTimeOffset.UtcNow);
            await WaitForStateAsync(api, mentorId, liveId, token, "live");
            var whileLive = await SessionResourcesAsync(aws.Moto, liveId);
            var alive = await LiveResourcesAsync(aws.Moto, whileLive);
            var groupsWhileLive = SecurityGroups(aws.Proxy, liveId);

            // Act: the stop, killed at the step when it is the stop's (the mentor stops again), or at a deletion after
            // the recording (nobody retries: the session's reminder does).
            var reachedInStop = inStart ? null : aws.Proxy.HoldNextAsync(match);
            if (step is "StopChannel" or "CreateHarvestJob")
            {
                var abandoned = AbandonAsync(api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/stop", token: token));
                (host, api) = await KillAndRestartAsync(host, api, options, reachedInStop!);
                await abandoned;
            }

            await SendAsync(api, HttpMethod.Post, $"/livestream/{liveId}/stop", token);
            await WaitForStateAsync(api, mentorId, liveId, token, "ended");
            await PutRecordingAsync(aws.Moto.ServiceUrl, $"recordings/{liveId}/index.m3u8");
            await WaitForStateAsync(api, mentorId, liveId, token, "recorded");
            if (step.StartsWith("Delete", StringComparison.Ordinal))
            {
                (host, api) = await KillAndRestartAsync(host, api, options, reachedInStop!);
            }

            var left = await WaitForNoneAsync(aws.Moto, aws.Proxy, liveId, whileLive, TimeSpan.FromSeconds(100));
            output.WriteLine($"{step}: {watch.Elapsed.TotalSeconds:F1} s");

            // Assert
            Assert.True(
                whileLive.MediaLiveChannels.Count == 1 && whileLive.Inputs.Count == 1 && whileLive.PackageChannels.Count == 1 && whileLive.Endpoints.Count == 1
                    && alive.Count == 4 && groupsWhileLive.Count == 1,
                $"while live: {whileLive}; input security groups: {groupsWhileLive.Count}; alive: {string.Join(", ", alive)}");
            Assert.Empty(left);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>Once the held call has reached the proxy, kill -9 the host and start it again on the same database and silo address.</summary>
    private static async Task<(HostProcess Host, ApiClient Api)> KillAndRestartAsync(HostProcess host, ApiClient api, HostProcessOptions options, Task reached)
    {
        await reached.WaitAsync(TimeSpan.FromSeconds(60));
        var (siloPort, gatewayPort) = (host.SiloPort, host.GatewayPort);
        await host.KillAsync();
        await host.DisposeAsync();
        api.Dispose();

        // A restarted process takes its old silo address back, which retires the dead incarnation at once.
        var restarted = await HostProcess.StartAsync(options with { SiloPort = siloPort, GatewayPort = gatewayPort });
        return (restarted, new ApiClient(restarted.CreateClient()));
    }

    /// <summary>The request the killed process was serving: its answer (or its broken connection) does not matter.</summary>
    private static async Task AbandonAsync(Task<HttpResponseMessage> request)
    {
        try
        {
            (await request).Dispose();
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or ObjectDisposedException)
        {
        }
    }

    private static async Task SendAsync(ApiClient api, HttpMethod method, string path, string token)
    {
        using var response = await api.SendAsync(method, path, token: token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
