using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>ECS stops a task with SIGTERM: the silo must leave the cluster cleanly before its stop timeout.</summary>
public sealed class GracefulShutdownTests
{
    [Fact]
    public async Task Sigterm_stops_a_silo_cleanly_and_marks_it_dead_in_the_membership_table()
    {
        // Arrange
        await using var database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey()) { Role = "silo" };
        await using var silo = await HostProcess.StartAsync(options);

        // Act
        var exitCode = await silo.TerminateAsync(TimeSpan.FromSeconds(30));

        // Assert: status 6 is Dead, written by the silo itself on the way out.
        Assert.Equal(0, exitCode);
        Assert.Equal(6, await database.ScalarAsync<int>(
            "SELECT status FROM orleans_membership WHERE deployment_id = @cluster AND port = @port", ("cluster", options.ClusterId), ("port", silo.SiloPort)));
    }
}
