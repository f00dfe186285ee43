using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using LiveStream.Testing;
using Orleans.TestingHost;

namespace LiveStream.Grains.Tests;

/// <summary>
/// The lifecycle's deadlines end to end on a silo: the reminder wakes the grain and the session moves on its own.
/// Its own cluster, because the deadlines are configured seconds short.
/// </summary>
public sealed class LiveSessionDeadlineTests
{
    [Fact]
    public async Task A_live_session_is_stopped_at_its_maximum_duration_while_its_publisher_is_still_there()
    {
        // Arrange: a maximum duration of a few seconds; a session live with its publisher.
        var maxDuration = TimeSpan.FromSeconds(4);
        await using var database = await TestDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(initialSilosCount: 1);
        builder.ConfigureSilo((_, silo) => TestSilo.Configure(silo, database.ConnectionString, new Dictionary<string, string?>
        {
            ["Media:MaxDuration"] = "00:00:04",
        }));
        await using var cluster = builder.Build();
        await cluster.DeployAsync();
        var mentor = cluster.Client.GetGrain<IMentorGrain>(Ids.New("mentor"));
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var scheduled = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Intro", DateTimeOffset.UtcNow.AddHours(1)));
        var session = cluster.Client.GetGrain<ILiveSessionGrain>(scheduled.LiveId);
        var ingest = await session.GetIngestAsync();
        await session.StartAsync();
        PublishedMedia.WriteFirstSegment(scheduled.LiveId);
        Assert.True(await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "1")));
        var live = await session.GetAsync();

        // Act: nobody stops it; wait (bounded) for the deadline's reminder to end it.
        var ended = await WaitForAsync(session, SessionState.Ended, TimeSpan.FromSeconds(60));
        var listed = Assert.Single((await mentor.ListSessionsAsync(null, 10)).Items);

        // Assert: live, then ended no earlier than the maximum duration, with the publisher never having left.
        Assert.Equal(SessionState.Live, live!.State);
        Assert.Equal(SessionState.Ended, ended.State);
        Assert.True(ended.EndedAt - live.StartedAt >= maxDuration, $"ended after {ended.EndedAt - live.StartedAt}");
        Assert.Null(ended.PlaybackUrl);
        Assert.Equal(SessionState.Ended, listed.State);
    }

    private static async Task<SessionSnapshot> WaitForAsync(ILiveSessionGrain session, SessionState state, TimeSpan limit)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (true)
        {
            var current = await session.GetAsync();
            if (current?.State == state || DateTimeOffset.UtcNow > deadline)
            {
                return current!;
            }

            await Task.Delay(200);
        }
    }
}
