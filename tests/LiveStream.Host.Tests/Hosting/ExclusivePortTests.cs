using System.Net;
using System.Net.Sockets;
using LiveStream.Host.Hosting;
using LiveStream.Testing;
using Microsoft.AspNetCore.Connections;

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

/// <summary>
/// A port taken by another process after the start's check found it free fails the bind itself; that start must be
/// refused like a taken port (exit code 3, so a launcher tries other ports), not crash with an unhandled exception.
/// </summary>
public sealed class PortTakenWhileStartingTests
{
    [Fact]
    public void A_bind_that_lost_its_port_to_another_process_is_told_apart_from_other_start_failures()
    {
        // Arrange: what Kestrel and Orleans' listeners throw when the address was taken, as the host sees it.
        var lost = new AddressInUseException(
            "Address already in use", new SocketException((int)SocketError.AddressAlreadyInUse));

        // Act + Assert
        Assert.True(ListenerCheck.IsPortTaken(lost));
        Assert.True(ListenerCheck.IsPortTaken(new InvalidOperationException("Hosting failed to start", lost)));
        Assert.False(ListenerCheck.IsPortTaken(new SocketException((int)SocketError.ConnectionRefused)));
        Assert.False(ListenerCheck.IsPortTaken(new InvalidOperationException("Some other start failure")));
        Assert.Contains("taken by another process while it started", ListenerCheck.PortTakenWhileStarting(lost), StringComparison.Ordinal);
    }
}
