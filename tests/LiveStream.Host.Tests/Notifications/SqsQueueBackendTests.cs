using System.Net;
using LiveStream.Testing;

namespace LiveStream.Host.Tests.Notifications;

/// <summary>The queue behind the notification stream is chosen by configuration: SQS (here the emulator) instead of PostgreSQL.</summary>
public sealed class SqsQueueBackendTests
{
    [Fact]
    public async Task Followers_are_notified_through_sqs_when_the_queue_backend_is_sqs()
    {
        // Arrange
        await using var moto = await MotoServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync();
        await using var host = await HostProcess.StartAsync(new HostProcessOptions(database.ConnectionString, HostProcess.NewSigningKey())
        {
            Settings = new Dictionary<string, string>
            {
                ["Streaming:Queue:Backend"] = "Sqs",
                ["Streaming:Queue:QueueNamePrefix"] = $"t{Guid.NewGuid():N}"[..12],
                ["Streaming:Queue:QueueCount"] = "2",
                ["Streaming:Queue:Sqs:ServiceUrl"] = moto.ServiceUrl.ToString(),
                ["Streaming:Queue:Sqs:Region"] = MotoServer.Region,
                ["Streaming:Queue:Sqs:AccessKeyId"] = MotoServer.AccessKey,
                ["Streaming:Queue:Sqs:SecretAccessKey"] = MotoServer.SecretKey,
                ["Streaming:Queue:Sqs:WaitTime"] = "00:00:01",
            },
        });
        using var api = new ApiClient(host.CreateClient());
        var mentorId = Ids.New("mentor");
        var menteeId = Ids.New("mentee");
        var mentorToken = await api.CreateMentorAsync(mentorId, "engines");
        var menteeToken = await api.CreateMenteeAsync(menteeId);
        await api.FollowAsync(menteeId, mentorId, menteeToken);

        // Act
        var liveId = await api.ScheduleAsync(mentorId, "engines", mentorToken);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string body;
        while (true)
        {
            using var response = await api.SendAsync(HttpMethod.Get, $"/mentee/{menteeId}/notifications", token: menteeToken);
            body = await response.Content.ReadAsStringAsync();
            if (body.Contains(liveId, StringComparison.Ordinal) || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(200);
        }

        // Assert: delivered, and nothing went through the PostgreSQL table queue.
        Assert.Contains(liveId, body, StringComparison.Ordinal);
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM stream_queue_messages"));
        Assert.Contains("SQS stream queues", host.Output, StringComparison.Ordinal);
    }
}
