using System.Net;
using System.Text.Json;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Hosting;

/// <summary>An acknowledged write survives <c>kill -9</c> of the process that acknowledged it.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task Everything_acknowledged_reads_back_the_same_after_kill_9_and_restart()
    {
        // Arrange: the whole flow over HTTP against one process.
        await using var database = await TestDatabase.CreateAsync();
        var options = new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        string liveId;
        string before;
        int siloPort, gatewayPort;
        await using (var first = await HostProcess.StartAsync(options))
        {
            using var api = new ApiClient(first.CreateClient());
            var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
            var menteeToken = await api.CreateMenteeAsync(menteeId);
            await api.FollowAsync(menteeId, mentorId, menteeToken);

            using (var device = await api.SendAsync(HttpMethod.Put, $"/mentee/{menteeId}/devices/phone", new { platform = "fcm", token = "fcm-token" }, menteeToken))
            {
                Assert.Equal(HttpStatusCode.OK, device.StatusCode);
            }

            liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken);
            before = await SnapshotAsync(api, mentorId, menteeId, liveId, mentorToken, menteeToken);

            // Act
            (siloPort, gatewayPort) = (first.SiloPort, first.GatewayPort);
            await first.KillAsync();
        }

        // A restarted process takes its old silo address back, which retires the dead incarnation at once.
        await using var second = await HostProcess.StartAsync(options with { SiloPort = siloPort, GatewayPort = gatewayPort });
        using var again = new ApiClient(second.CreateClient());
        var after = await SnapshotAsync(
            again, mentorId, menteeId, liveId, await again.TokenAsync(mentorId, "mentor"), await again.TokenAsync(menteeId, "mentee"));

        // Assert
        Assert.Equal(before, after);
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM follows WHERE mentor_id = @m AND mentee_id = @e", ("m", mentorId), ("e", menteeId)));
    }

    /// <summary>Everything a user can read about the flow, as one comparable string.</summary>
    private static async Task<string> SnapshotAsync(ApiClient api, string mentorId, string menteeId, string liveId, string mentorToken, string menteeToken)
    {
        var parts = new List<string>();
        foreach (var (path, token) in new[]
                 {
                     ($"/mentor/{mentorId}", menteeToken),
                     ($"/mentee/{menteeId}", menteeToken),
                     ($"/mentor/{mentorId}/live", mentorToken),
                     ($"/mentor/{mentorId}/live/{liveId}", menteeToken),
                 })
        {
            using var response = await api.SendAsync(HttpMethod.Get, path, token: token);
            Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode}");
            var json = await ApiClient.JsonAsync(response);
            parts.Add($"{path} {JsonSerializer.Serialize(json)}");
        }

        return string.Join('\n', parts);
    }
}
