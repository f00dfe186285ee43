using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;

namespace LiveStream.Grains.Tests;

/// <summary>Media events reach the session grain duplicated, late and out of order; it folds them in.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LiveSessionMediaEventTests(ClusterFixture fixture)
{
    [Fact]
    public async Task Publish_before_start_with_a_wrong_key_or_after_the_end_is_refused_and_changes_nothing()
    {
        // Arrange
        var session = await ScheduleAsync();
        var ingest = await session.GetIngestAsync();

        // Act
        var beforeStart = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "1"));
        var scheduled = await session.GetAsync();
        await session.StartAsync();
        var wrongKey = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey + "x", "2"));
        var starting = await session.GetAsync();
        await session.StopAsync();
        var afterEnd = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "3"));
        var ended = await session.GetAsync();

        // Assert
        Assert.False(beforeStart);
        Assert.Equal(SessionState.Scheduled, scheduled!.State);
        Assert.False(wrongKey);
        Assert.Equal(SessionState.Starting, starting!.State);
        Assert.False(afterEnd);
        Assert.Equal(SessionState.Ended, ended!.State);
    }

    [Fact]
    public async Task Duplicated_publish_and_stale_publish_done_events_leave_the_session_live()
    {
        // Arrange
        var session = await ScheduleAsync();
        var ingest = await session.GetIngestAsync();
        await session.StartAsync();

        // Act
        var first = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "7"));
        var live = await session.GetAsync();
        var duplicate = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "7"));
        await session.PublishEndedAsync("6");
        var second = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "8"));
        var after = await session.GetAsync();

        // Assert
        Assert.True(first);
        Assert.True(duplicate);
        Assert.False(second);
        Assert.Equal(SessionState.Live, after!.State);
        Assert.Equal(live, after);
    }

    [Fact]
    public async Task Publisher_that_drops_may_reconnect_on_a_new_connection_into_the_same_live_session()
    {
        // Arrange
        var session = await ScheduleAsync();
        var ingest = await session.GetIngestAsync();
        await session.StartAsync();
        await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "1"));
        var live = await session.GetAsync();

        // Act
        await session.PublishEndedAsync("1");
        await session.PublishEndedAsync("1");
        var reconnected = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "2"));
        await fixture.Cluster.DeactivateAsync(session);
        var reloaded = await session.GetAsync();

        // Assert
        Assert.True(reconnected);
        Assert.Equal(live, reloaded);
    }

    private async Task<ILiveSessionGrain> ScheduleAsync()
    {
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(Ids.New("mentor"));
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var session = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Intro", DateTimeOffset.UtcNow.AddHours(3)));
        return fixture.Grains.GetGrain<ILiveSessionGrain>(session.LiveId);
    }
}
