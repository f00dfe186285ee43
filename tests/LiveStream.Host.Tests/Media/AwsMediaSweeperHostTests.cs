using System.Diagnostics;
using System.Net;
using LiveStream.Infrastructure.Media;
using LiveStream.Testing;
using static LiveStream.Host.Tests.Media.AwsMediaFaultTests;
using static LiveStream.Host.Tests.Media.MotoMedia;

namespace LiveStream.Host.Tests.Media;

/// <summary>The sweeper as the silo runs it: it asks the session grains whose resources are in use.</summary>
public sealed class AwsMediaSweeperHostTests
{
    [Fact]
    public async Task The_sweeper_deletes_the_resources_of_a_session_nobody_owns_and_keeps_those_of_a_live_session()
    {
        // Arrange: a host sweeping every 2 s with no grace; one session live through it.
        await using var aws = await AwsEmulator.StartAsync();
        var settings = aws.HostSettings();
        settings["Media:Aws:SweepInterval"] = "00:00:02";
        settings["Media:Aws:SweepFirstAfter"] = "00:00:01";
        settings["Media:Aws:SweepGrace"] = "00:00:00";
        await using var host = await HostProcess.StartAsync(aws.HostOptions(settings));
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var token = await api.CreateMentorAsync(mentorId, "engines");
        var liveId = await api.ScheduleAsync(mentorId, "engines", token);
        using (var start = await api.SendAsync(HttpMethod.Post, $"/livestream/{liveId}/start", token: token))
        {
            Assert.Equal(HttpStatusCode.OK, start.StatusCode);
        }

        var channel = await ChannelAsync(aws.Moto, liveId);
        await SendChannelAlertAsync(aws.Moto.ServiceUrl, aws.QueueUrl, channel.Arn, "RTMP Has No Audio/Video", set: false, DateTimeOffset.UtcNow);
        await WaitForStateAsync(api, mentorId, liveId, token, "live");
        var live = await SessionResourcesAsync(aws.Moto, liveId);

        // Act: resources tagged with a session that was never scheduled appear (a crash between a creation and its save).
        var strayId = Ids.New("stray");
        var tags = new Dictionary<string, string> { [AwsMediaProvider.TagKey] = strayId };
        var name = AwsMediaProvider.ChannelName(strayId);
        var group = await MotoPostAsync(aws.Proxy.ServiceUrl, "medialive", "/prod/inputSecurityGroups", new { whitelistRules = new[] { new { cidr = "0.0.0.0/0" } }, tags });
        var input = await MotoPostAsync(aws.Moto.ServiceUrl, "medialive", "/prod/inputs", new
        {
            name, type = "RTMP_PUSH", destinations = new[] { new { streamName = "live/stray" } },
            inputSecurityGroups = new[] { group.GetProperty("securityGroup").GetProperty("id").GetString() }, tags,
        });
        var strayChannel = await MotoPostAsync(aws.Moto.ServiceUrl, "medialive", "/prod/channels", new
        {
            name, channelClass = "SINGLE_PIPELINE", roleArn = "arn:aws:iam::123456789012:role/MediaLiveAccessRole",
            inputAttachments = new[] { new { inputId = input.GetProperty("input").GetProperty("id").GetString(), inputAttachmentName = "stray" } }, tags,
        });
        await MotoPostAsync(aws.Moto.ServiceUrl, "mediapackage", "/channels", new { id = name, tags });
        await MotoPostAsync(aws.Moto.ServiceUrl, "mediapackage", "/origin_endpoints", new { id = $"{name}-hls", channelId = name, tags });
        var stray = await SessionResourcesAsync(aws.Moto, strayId);
        var strayChannelId = strayChannel.GetProperty("channel").GetProperty("id").GetString();

        var watch = Stopwatch.StartNew();
        List<string> strayAlive;
        do
        {
            await Task.Delay(500);
            strayAlive = await LiveResourcesAsync(aws.Moto, stray);
            strayAlive.AddRange(SecurityGroups(aws.Proxy, strayId));
        }
        while (strayAlive.Count > 0 && watch.Elapsed < TimeSpan.FromSeconds(45));

        // Assert: the stray's five resources are gone, each logged; the live session's are all there, and it is still live.
        Assert.Empty(strayAlive);
        Assert.Equal((1, 1, 1, 1), (stray.MediaLiveChannels.Count, stray.Inputs.Count, stray.PackageChannels.Count, stray.Endpoints.Count));
        Assert.Contains($"Swept {AwsMediaSweeper.MediaLiveChannelKind} {strayChannelId} of session {strayId}", host.Output, StringComparison.Ordinal);
        Assert.Equal(4, (await LiveResourcesAsync(aws.Moto, live)).Count);
        Assert.Single(SecurityGroups(aws.Proxy, liveId));
        Assert.Equal("live", (await WaitForStateAsync(api, mentorId, liveId, token, "live")).GetProperty("state").GetString());
        Assert.DoesNotContain($"of session {liveId}: no session in use", host.Output, StringComparison.Ordinal);
    }
}
