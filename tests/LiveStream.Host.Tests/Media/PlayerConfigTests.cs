using System.Net;

namespace LiveStream.Host.Tests.Media;

/// <summary>Issue 12 point 4: players learn the live sync that matches the pipeline's segment length from the host.</summary>
[Collection(ApiCollection.Name)]
public sealed class PlayerConfigTests(ApiFixture fixture)
{
    [Fact]
    public async Task Player_config_is_public_and_gives_hls_js_the_default_settings_live_sync()
    {
        // Arrange
        using var client = fixture.CreateClient();

        // Act: no token, as a page loads it before anyone signs in.
        using var response = await client.SendAsync(HttpMethod.Get, "/media/player-config");

        // Assert
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var config = await ApiClient.JsonAsync(response);
        Assert.Equal("default", config.GetProperty("latency").GetString());
        Assert.Equal(2, config.GetProperty("segmentSeconds").GetInt32());
        var hls = config.GetProperty("hls");
        Assert.Equal(6, hls.GetProperty("liveSyncDuration").GetDouble());
        Assert.True(hls.GetProperty("liveMaxLatencyDuration").GetDouble() > hls.GetProperty("liveSyncDuration").GetDouble());
        Assert.False(hls.GetProperty("lowLatencyMode").GetBoolean());
    }
}
