using System.Text.Json;
using LiveStream.Infrastructure.Aws;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>MediaLive inputs and channels against the emulator, asserted on what it recorded.</summary>
public sealed class MediaLiveClientTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/MediaLiveAccessRole";

    [Fact]
    public async Task Creating_an_rtmp_push_input_records_its_stream_name_and_reads_back_detached()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var request = new CreateRtmpPushInputRequest("session-input", ["live/session-key-1"], ["1234567"])
        {
            Tags = new Dictionary<string, string> { ["liveId"] = "live-1" },
        };

        // Act
        var created = await clients.MediaLive.CreateRtmpPushInputAsync(request, CancellationToken.None);
        var described = await clients.MediaLive.DescribeInputAsync(created.Id, CancellationToken.None);

        // Assert
        var recorded = await MotoState.FindAsync(moto.Server, "medialive", "Input", "id", created.Id);
        Assert.Equal("RTMP_PUSH", recorded.GetProperty("type").GetString());
        Assert.Equal("session-input", recorded.GetProperty("name").GetString());
        Assert.Equal("live/session-key-1", recorded.GetProperty("destinations")[0].GetProperty("StreamName").GetString());
        Assert.Equal("live-1", recorded.GetProperty("tags").GetProperty("liveId").GetString());
        Assert.Equal(created.Id, described.Id);
        Assert.Equal("RTMP_PUSH", described.Type);
        Assert.Equal("DETACHED", described.State);
    }

    [Fact]
    public async Task Creating_a_channel_attaches_the_input_and_mediapackage_destination()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var input = await clients.MediaLive.CreateRtmpPushInputAsync(new("attach-input", ["live/attach"], ["1234567"]), CancellationToken.None);

        // Act
        var channel = await clients.MediaLive.CreateChannelAsync(
            new CreateMediaLiveChannelRequest("session-channel", input.Id, "mp-channel-attach", RoleArn), CancellationToken.None);
        var described = await clients.MediaLive.DescribeChannelAsync(channel.Id, CancellationToken.None);

        // Assert: what the emulator holds...
        var recorded = await MotoState.FindAsync(moto.Server, "medialive", "Channel", "id", channel.Id);
        var attachment = recorded.GetProperty("input_attachments")[0];
        Assert.Equal(input.Id, attachment.GetProperty("InputId").GetString());
        Assert.Equal("default", attachment.GetProperty("InputSettings").GetProperty("AudioSelectors")[0].GetProperty("Name").GetString());
        var destination = recorded.GetProperty("destinations")[0];
        Assert.Equal(MediaLiveClient.MediaPackageDestinationId, destination.GetProperty("Id").GetString());
        Assert.Equal("mp-channel-attach", destination.GetProperty("MediaPackageSettings")[0].GetProperty("ChannelId").GetString());
        Assert.Equal(RoleArn, recorded.GetProperty("role_arn").GetString());
        Assert.Equal("SINGLE_PIPELINE", recorded.GetProperty("channel_class").GetString());

        var encoder = recorded.GetProperty("encoder_settings");
        var group = encoder.GetProperty("OutputGroups")[0];
        Assert.Equal(
            MediaLiveClient.MediaPackageDestinationId,
            group.GetProperty("OutputGroupSettings").GetProperty("MediaPackageGroupSettings").GetProperty("Destination").GetProperty("DestinationRefId").GetString());
        var videos = encoder.GetProperty("VideoDescriptions").EnumerateArray()
            .Select(v => (Width: v.GetProperty("Width").GetInt32(), Height: v.GetProperty("Height").GetInt32(),
                Bitrate: v.GetProperty("CodecSettings").GetProperty("H264Settings").GetProperty("Bitrate").GetInt32()))
            .ToList();
        Assert.Equal([(1280, 720, 3_000_000), (960, 540, 1_800_000), (640, 360, 800_000)], videos);
        Assert.All(encoder.GetProperty("AudioDescriptions").EnumerateArray(), a =>
        {
            Assert.Equal("default", a.GetProperty("AudioSelectorName").GetString());
            Assert.Equal("LC", a.GetProperty("CodecSettings").GetProperty("AacSettings").GetProperty("Profile").GetString());
        });
        Assert.All(group.GetProperty("Outputs").EnumerateArray(), o =>
            Assert.Equal(JsonValueKind.Object, o.GetProperty("OutputSettings").GetProperty("MediaPackageOutputSettings").ValueKind));

        // ...and what a Describe reads back through our typed records.
        Assert.Equal(input.Id, Assert.Single(described.InputAttachments!).InputId);
        Assert.Equal("mp-channel-attach", Assert.Single(Assert.Single(described.Destinations!).MediaPackageSettings!).ChannelId);
        Assert.Equal(MediaLiveChannelStates.Idle, described.State);
        Assert.Equal(3, described.EncoderSettings!.VideoDescriptions.Count);
    }

    [Fact]
    public async Task Starting_and_stopping_a_channel_moves_it_to_running_and_back_to_idle()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var channel = await CreateChannelAsync(clients, "lifecycle");
        await clients.MediaLive.DescribeChannelAsync(channel.Id, CancellationToken.None);

        // Act
        var starting = await clients.MediaLive.StartChannelAsync(channel.Id, CancellationToken.None);
        var running = await clients.MediaLive.DescribeChannelAsync(channel.Id, CancellationToken.None);
        var stopping = await clients.MediaLive.StopChannelAsync(channel.Id, CancellationToken.None);
        var idle = await clients.MediaLive.DescribeChannelAsync(channel.Id, CancellationToken.None);

        // Assert
        Assert.Equal(MediaLiveChannelStates.Starting, starting.State);
        Assert.Equal(MediaLiveChannelStates.Running, running.State);
        Assert.Equal(MediaLiveChannelStates.Stopping, stopping.State);
        Assert.Equal(MediaLiveChannelStates.Idle, idle.State);
        var recorded = await MotoState.FindAsync(moto.Server, "medialive", "Channel", "id", channel.Id);
        Assert.Equal(MediaLiveChannelStates.Idle, recorded.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Deleting_a_channel_and_its_input_leaves_both_deleted()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        var channel = await CreateChannelAsync(clients, "deletion");
        var inputId = channel.InputAttachments![0].InputId!;

        // Act
        var deleting = await clients.MediaLive.DeleteChannelAsync(channel.Id, CancellationToken.None);
        await clients.MediaLive.DeleteInputAsync(inputId, CancellationToken.None);

        // Assert: AWS keeps deleted resources visible as DELETED for a while before they 404.
        Assert.Equal(MediaLiveChannelStates.Deleting, deleting.State);
        Assert.Equal(MediaLiveChannelStates.Deleted, (await clients.MediaLive.DescribeChannelAsync(channel.Id, CancellationToken.None)).State);
        Assert.Equal("DELETED", (await clients.MediaLive.DescribeInputAsync(inputId, CancellationToken.None)).State);
        var recorded = await MotoState.FindAsync(moto.Server, "medialive", "Input", "id", inputId);
        Assert.Equal("DELETED", recorded.GetProperty("state").GetString());
    }

    private static async Task<MediaLiveChannel> CreateChannelAsync(AwsTestClients clients, string name)
    {
        var input = await clients.MediaLive.CreateRtmpPushInputAsync(new($"{name}-input", [$"live/{name}"], ["1234567"]), CancellationToken.None);
        return await clients.MediaLive.CreateChannelAsync(new($"{name}-channel", input.Id, $"mp-{name}", RoleArn), CancellationToken.None);
    }
}
