using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>
/// A second process given a port the running one listens on refuses to start before it touches the cluster, and the
/// running one keeps serving (it used to be declared dead by the newcomer's join).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ExclusivePortTests(ApiFixture fixture)
{
    [Theory]
    [InlineData("Orleans:SiloPort")]
    [InlineData("Orleans:GatewayPort")]
    [InlineData("urls")]
    public async Task Second_host_on_a_taken_port_refuses_to_start_and_the_first_keeps_serving(string setting)
    {
        // Arrange: same database and cluster as the running host, one of its ports.
        var running = fixture.Host;
        var options = new HostProcessOptions(running.Options.ConnectionString, fixture.SigningKey)
        {
            ClusterId = running.Options.ClusterId,
            SiloPort = setting == "Orleans:SiloPort" ? running.SiloPort : null,
            GatewayPort = setting == "Orleans:GatewayPort" ? running.GatewayPort : null,
            HttpPort = setting == "urls" ? running.HttpPort : null,
        };
        using var api = fixture.CreateClient();
        var mentorId = Ids.New("mentor");

        // Act
        var (exitCode, output) = await HostProcess.RunUntilExitAsync(options);
        var token = await api.CreateMentorAsync(mentorId, "engines");
        using var ready = await api.SendAsync(HttpMethod.Get, "/health/ready");

        // Assert
        Assert.Equal(HostProcess.PortTakenExitCode, exitCode);
        Assert.Contains($"({setting}) is already in use", output, StringComparison.Ordinal);
        Assert.Contains("the cluster was not joined", output, StringComparison.Ordinal);
        Assert.False(running.HasExited);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.False(string.IsNullOrEmpty(token));
    }
}
