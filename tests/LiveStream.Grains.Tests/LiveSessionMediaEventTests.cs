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
        PublishedMedia.WriteFirstSegment(session.GetPrimaryKeyString());

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
        PublishedMedia.WriteFirstSegment(session.GetPrimaryKeyString());
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

    [Fact]
    public async Task Encoder_input_alarms_make_the_session_live_once_all_clear_and_late_or_duplicated_alarms_change_nothing()
    {
        // Arrange: a cloud encoder reports input through alarms (AWS: MediaLive alerts), not connections.
        var session = await ScheduleAsync();
        var ingest = await session.GetIngestAsync();
        await session.StartAsync();
        PublishedMedia.WriteFirstSegment(session.GetPrimaryKeyString());
        var t0 = DateTimeOffset.UtcNow;

        // Act
        await session.InputSignalAsync(new MediaInputSignal("probe#0", InputLost: true, t0));
        await session.InputSignalAsync(new MediaInputSignal("rtmp#0", InputLost: true, t0));
        await session.InputSignalAsync(new MediaInputSignal("probe#0", InputLost: false, t0.AddSeconds(1)));
        var oneAlarmStillRaised = await session.GetAsync();
        await session.InputSignalAsync(new MediaInputSignal("rtmp#0", InputLost: false, t0.AddSeconds(2)));
        var live = await session.GetAsync();
        await session.InputSignalAsync(new MediaInputSignal("rtmp#0", InputLost: true, t0.AddSeconds(1)));
        await session.InputSignalAsync(new MediaInputSignal("rtmp#0", InputLost: false, t0.AddSeconds(2)));
        var anotherPublisher = await session.AuthorizePublishAsync(new PublishAttempt(ingest.StreamKey, "9"));
        await fixture.Cluster.DeactivateAsync(session);
        var reloaded = await session.GetAsync();

        // Assert
        Assert.Equal(SessionState.Starting, oneAlarmStillRaised!.State);
        Assert.Equal(SessionState.Live, live!.State);
        Assert.NotNull(live.StartedAt);

        // The late "lost" alarm opened no reconnect window: the encoder still holds the session.
        Assert.False(anotherPublisher);
        Assert.Equal(live, reloaded);
    }

    [Fact]
    public async Task Input_alarms_for_a_session_without_a_channel_are_ignored()
    {
        // Arrange
        var session = await ScheduleAsync();

        // Act: an alarm from before this session had a channel (nothing pre-warmed) must not make the start live.
        await session.InputSignalAsync(new MediaInputSignal("rtmp#0", InputLost: false, DateTimeOffset.UtcNow));
        var started = await session.StartAsync();

        // Assert
        Assert.Equal(SessionState.Starting, started.State);
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
