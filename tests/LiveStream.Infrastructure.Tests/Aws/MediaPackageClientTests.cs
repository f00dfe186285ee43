using System.Net;
using LiveStream.Infrastructure.Aws;

namespace LiveStream.Infrastructure.Tests.Aws;

/// <summary>MediaPackage channels and origin endpoints against the emulator.</summary>
public sealed class MediaPackageClientTests(MotoFixture moto) : IClassFixture<MotoFixture>
{
    [Fact]
    public async Task Creating_a_channel_makes_it_describable()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);

        // Act
        var created = await clients.MediaPackage.CreateChannelAsync(
            "mp-describe", "session live-1", new Dictionary<string, string> { ["liveId"] = "live-1" }, CancellationToken.None);
        var described = await clients.MediaPackage.DescribeChannelAsync("mp-describe", CancellationToken.None);

        // Assert
        Assert.Equal("mp-describe", created.Id);
        Assert.Equal(created.Arn, described.Arn);
        Assert.Equal("session live-1", described.Description);
        var recorded = await MotoState.FindAsync(moto.Server, "mediapackage", "Channel", "channel_id", "mp-describe");
        Assert.Equal("live-1", recorded.GetProperty("tags").GetProperty("liveId").GetString());
    }

    [Fact]
    public async Task Creating_an_origin_endpoint_records_the_hls_package_startover_window_and_time_delay()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        await clients.MediaPackage.CreateChannelAsync("mp-endpoint", null, null, CancellationToken.None);
        var request = new CreateOriginEndpointRequest("mp-endpoint-hls", "mp-endpoint")
        {
            StartoverWindowSeconds = 14_400,
            TimeDelaySeconds = 10,
            SegmentDurationSeconds = 4,
        };

        // Act
        var endpoint = await clients.MediaPackage.CreateOriginEndpointAsync(request, CancellationToken.None);

        // Assert
        var recorded = await MotoState.FindAsync(moto.Server, "mediapackage", "OriginEndpoint", "id", "mp-endpoint-hls");
        Assert.Equal("mp-endpoint", recorded.GetProperty("channel_id").GetString());
        Assert.Equal(14_400, recorded.GetProperty("startover_window_seconds").GetInt32());
        Assert.Equal(10, recorded.GetProperty("time_delay_seconds").GetInt32());
        Assert.Equal("index", recorded.GetProperty("manifest_name").GetString());
        var hls = recorded.GetProperty("hls_package");
        Assert.Equal(4, hls.GetProperty("segmentDurationSeconds").GetInt32());
        Assert.Equal(60, hls.GetProperty("playlistWindowSeconds").GetInt32());
        Assert.Equal(14_400, endpoint.StartoverWindowSeconds);
        Assert.Equal("mp-endpoint", endpoint.ChannelId);
        Assert.False(string.IsNullOrEmpty(endpoint.Url));
    }

    [Fact]
    public async Task Deleting_the_origin_endpoint_and_channel_removes_them()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);
        await clients.MediaPackage.CreateChannelAsync("mp-delete", null, null, CancellationToken.None);
        await clients.MediaPackage.CreateOriginEndpointAsync(new("mp-delete-hls", "mp-delete") { StartoverWindowSeconds = 3600 }, CancellationToken.None);

        // Act
        await clients.MediaPackage.DeleteOriginEndpointAsync("mp-delete-hls", CancellationToken.None);
        await clients.MediaPackage.DeleteChannelAsync("mp-delete", CancellationToken.None);

        // Assert
        var describe = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaPackage.DescribeChannelAsync("mp-delete", CancellationToken.None));
        Assert.True(describe.IsNotFound);
        var deleteAgain = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaPackage.DeleteOriginEndpointAsync("mp-delete-hls", CancellationToken.None));
        Assert.Equal("NotFoundException", deleteAgain.ErrorCode);
    }

    [Fact]
    public async Task Describing_a_missing_channel_maps_to_an_aws_service_exception_with_code_and_message()
    {
        // Arrange
        using var clients = new AwsTestClients(moto.Server.ServiceUrl);

        // Act
        var error = await Assert.ThrowsAsync<AwsServiceException>(
            () => clients.MediaPackage.DescribeChannelAsync("mp-never-created", CancellationToken.None));

        // Assert
        Assert.Equal("NotFoundException", error.ErrorCode);
        Assert.Equal("mediapackage", error.Service);
        Assert.Equal("DescribeChannel", error.Operation);
        Assert.True((int)error.StatusCode is >= 400 and < 500, $"status {error.StatusCode}");
        Assert.NotEqual(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Contains("mp-never-created", error.ErrorMessage, StringComparison.Ordinal);
    }
}
