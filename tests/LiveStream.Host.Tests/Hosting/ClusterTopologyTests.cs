using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>Several processes form one cluster through the PostgreSQL membership table (DESIGN §1).</summary>
public sealed class ClusterTopologyTests
{
    [Fact]
    public async Task Silo_and_api_processes_serve_the_flow_and_only_silos_join_the_membership_table()
    {
        // Arrange: one all-in-one process, one extra silo, one pure API front end.
        await using var database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey());
        await using var all = await HostProcess.StartAsync(options);
        await using var silo = await HostProcess.StartAsync(options with { Role = "silo" });
        await using var front = await HostProcess.StartAsync(options with { Role = "api" });
        using var api = new ApiClient(front.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");

        // Act: the whole flow through the api process.
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        using var follow = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/following/{mentorId}", token: menteeToken);
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken);
        using var detail = await api.SendAsync(HttpMethod.Get, $"/mentor/{mentorId}/live/{liveId}", token: menteeToken);
        using var siloApi = await new ApiClient(silo.CreateClient()).SendAsync(HttpMethod.Get, $"/mentor/{mentorId}", token: menteeToken);

        // Assert
        Assert.Equal(HttpStatusCode.NoContent, follow.StatusCode);
        Assert.Equal(HttpStatusCode.OK, detail.StatusCode);
        Assert.Equal("Analytical Engines", (await ApiClient.JsonAsync(detail)).GetProperty("course").GetProperty("title").GetString());

        // Two silos are active members; the api process is a client and has no row.
        var activeSilos = await database.ScalarAsync<long>(
            "SELECT count(*) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3", ("cluster", options.ClusterId));
        var siloPorts = await database.ScalarAsync<string>(
            "SELECT string_agg(port::text, ',' ORDER BY port) FROM orleans_membership WHERE deployment_id = @cluster AND status = 3", ("cluster", options.ClusterId));
        Assert.Equal(2, activeSilos);
        Assert.Equal(string.Join(',', new[] { all.SiloPort, silo.SiloPort }.Order()), siloPorts);
        Assert.DoesNotContain(front.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture), siloPorts!.Split(','));

        // Grain state is in PostgreSQL.
        var storedTypes = await database.ScalarAsync<string>("SELECT string_agg(DISTINCT grain_type, ',' ORDER BY grain_type) FROM orleans_storage");
        // "fanout" is the notification fan-out of the scheduled session (its durable cursor).
        Assert.Equal("fanout,mentee,mentor,session", storedTypes);

        // A silo-only process serves health, not the API.
        Assert.Equal(HttpStatusCode.NotFound, siloApi.StatusCode);
    }
}
