using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LiveStream.Grains.Tests;

/// <summary>
/// Session events reach followers' inboxes and devices effectively once. The fixture's queue delivers every
/// message twice, so each of these tests also proves the deliveries are idempotent.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NotificationTests(ClusterFixture fixture)
{
    private readonly NotificationWorld _world = new(fixture.Grains, fixture.Database);

    [Fact]
    public async Task Scheduling_notifies_each_follower_once_with_one_push_per_device()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var oneDevice = await _world.CreateFollowerAsync(mentorId, devices: 1);
        var twoDevices = await _world.CreateFollowerAsync(mentorId, devices: 2);
        var noDevice = await _world.CreateFollowerAsync(mentorId, devices: 0);
        var stranger = await _world.CreateFollowerAsync(await _world.CreateMentorAsync());

        // Act
        var liveId = await _world.ScheduleAsync(mentorId);
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, 3);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Scheduled);

        // Assert
        foreach (var follower in new[] { oneDevice, twoDevices, noDevice })
        {
            var notification = Assert.Single(await _world.InboxAsync(follower));
            Assert.Equal(liveId, notification.LiveId);
            Assert.Equal(NotificationKind.Scheduled, notification.Kind);
            Assert.Contains("Intro to Orleans", notification.Title, StringComparison.Ordinal);
        }

        Assert.Equal(1, await _world.CountSentPushesAsync(liveId, NotificationKind.Scheduled, oneDevice));
        Assert.Equal(2, await _world.CountSentPushesAsync(liveId, NotificationKind.Scheduled, twoDevices));
        Assert.Equal(0, await _world.CountSentPushesAsync(liveId, NotificationKind.Scheduled, noDevice));
        Assert.Empty(await _world.InboxAsync(stranger));

        // The three followers travelled in two chunks (two per chunk), and the fault injection really queued each twice.
        var duplicates = fixture.Cluster.Silos.Single().ServiceProvider.GetRequiredService<DuplicationLog>();
        var chunks = duplicates.MessagesUnder(NotificationStreams.BatchNamespace, NotificationFanOut.KeyFor(liveId, NotificationKind.Scheduled) + "/");
        Assert.Equal([2, 2], chunks.Values);
    }

    [Fact]
    public async Task A_mentee_who_follows_after_scheduling_still_gets_live()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var early = await _world.CreateFollowerAsync(mentorId);
        var liveId = await _world.ScheduleAsync(mentorId);
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, 1);
        var late = await _world.CreateFollowerAsync(mentorId);

        // Act: the hook the media lifecycle calls when the session goes live.
        await fixture.Grains.GetGrain<ISessionNotificationHooks>(liveId).NotifyWentLiveAsync();
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Live, 2);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Live);

        // Assert
        Assert.Equal([NotificationKind.Scheduled, NotificationKind.Live], (await _world.InboxAsync(early)).Select(n => n.Kind));
        Assert.Equal([NotificationKind.Live], (await _world.InboxAsync(late)).Select(n => n.Kind));
        Assert.Equal(1, await _world.CountSentPushesAsync(liveId, NotificationKind.Live, late));
    }

    [Fact]
    public async Task A_mentee_who_unfollowed_before_the_event_gets_nothing()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var staying = await _world.CreateFollowerAsync(mentorId);
        var leaving = await _world.CreateFollowerAsync(mentorId);
        var liveId = await _world.ScheduleAsync(mentorId);
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, 2);

        // Act
        await fixture.Grains.GetGrain<IMenteeGrain>(leaving).UnfollowAsync(mentorId);
        await fixture.Grains.GetGrain<ISessionNotificationHooks>(liveId).NotifyWentLiveAsync();
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Live, 1);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Live);

        // Assert
        Assert.Equal([NotificationKind.Scheduled, NotificationKind.Live], (await _world.InboxAsync(staying)).Select(n => n.Kind));
        Assert.Equal([NotificationKind.Scheduled], (await _world.InboxAsync(leaving)).Select(n => n.Kind));
    }

    [Fact]
    public async Task Recording_ready_hook_called_twice_notifies_once()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var follower = await _world.CreateFollowerAsync(mentorId, devices: 2);
        var liveId = await _world.ScheduleAsync(mentorId);
        var hooks = fixture.Grains.GetGrain<ISessionNotificationHooks>(liveId);

        // Act
        await hooks.NotifyRecordingReadyAsync();
        await hooks.NotifyRecordingReadyAsync();
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.RecordingReady, 1);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.RecordingReady);

        // Assert
        Assert.Single(await _world.InboxAsync(follower), n => n.Kind == NotificationKind.RecordingReady);
        Assert.Equal(2, await _world.CountSentPushesAsync(liveId, NotificationKind.RecordingReady, follower));
    }

    [Fact]
    public async Task Cancelling_notifies_followers_and_a_repeated_cancel_does_not()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var follower = await _world.CreateFollowerAsync(mentorId);
        var liveId = await _world.ScheduleAsync(mentorId);
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(liveId);

        // Act
        await session.CancelAsync();
        await session.CancelAsync();
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Cancelled, 1);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Cancelled);

        // Assert
        var kinds = (await _world.InboxAsync(follower)).Select(n => n.Kind).Order().ToList();
        Assert.Equal([NotificationKind.Scheduled, NotificationKind.Cancelled], kinds);
    }

    [Fact]
    public async Task Followers_get_one_starting_soon_reminder_before_the_start()
    {
        // Arrange: the fixture's lead is ten minutes, so the reminder is due three seconds from now.
        var mentorId = await _world.CreateMentorAsync();
        var follower = await _world.CreateFollowerAsync(mentorId);

        // Act
        var liveId = await _world.ScheduleAsync(mentorId, DateTimeOffset.UtcNow.AddMinutes(10).AddSeconds(3));
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Reminder, 1);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Reminder);

        // Assert
        Assert.Equal([NotificationKind.Scheduled, NotificationKind.Reminder], (await _world.InboxAsync(follower)).Select(n => n.Kind));
    }

    [Fact]
    public async Task Session_scheduled_inside_the_lead_time_gets_no_separate_reminder()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var follower = await _world.CreateFollowerAsync(mentorId);

        // Act
        var liveId = await _world.ScheduleAsync(mentorId, DateTimeOffset.UtcNow.AddMinutes(5));
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, 1);
        await _world.WaitUntilSettledAsync(liveId, NotificationKind.Scheduled);
        await Task.Delay(TimeSpan.FromSeconds(3));

        // Assert
        Assert.Equal([NotificationKind.Scheduled], (await _world.InboxAsync(follower)).Select(n => n.Kind));
    }

    [Fact]
    public async Task Inbox_pages_oldest_first_with_a_cursor()
    {
        // Arrange
        var mentorId = await _world.CreateMentorAsync();
        var follower = await _world.CreateFollowerAsync(mentorId);
        var liveId = await _world.ScheduleAsync(mentorId);
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Scheduled, 1);
        await fixture.Grains.GetGrain<ISessionNotificationHooks>(liveId).NotifyWentLiveAsync();
        await _world.WaitForNotificationsAsync(liveId, NotificationKind.Live, 1);
        var inbox = fixture.Grains.GetGrain<IInboxGrain>(follower);

        // Act
        var first = await inbox.ListAsync(null, 1);
        var second = await inbox.ListAsync(first.Next, 1);

        // Assert
        Assert.Equal(NotificationKind.Scheduled, Assert.Single(first.Items).Kind);
        Assert.NotNull(first.Next);
        Assert.Equal(NotificationKind.Live, Assert.Single(second.Items).Kind);
        Assert.Null(second.Next);
        var error = await Assert.ThrowsAsync<DomainException>(() => inbox.ListAsync("not-a-cursor", 10));
        Assert.Equal("after", error.Field);
    }

    [Fact]
    public void The_silo_lets_go_of_an_idle_chunk_stream_within_minutes_not_the_default_half_hour()
    {
        // Arrange: every fan-out chunk has a stream of its own, so whatever the pulling agent keeps per idle stream
        // grows with every notification sent within that period.
        var silo = fixture.Cluster.Silos.Single().ServiceProvider;

        // Act
        var pulling = silo.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Orleans.Configuration.StreamPullingAgentOptions>>().Get(NotificationStreams.Provider);

        // Assert
        Assert.Equal(Hosting.LiveStreamSilo.ChunkStreamInactivity, pulling.StreamInactivityPeriod);
        Assert.True(pulling.StreamInactivityPeriod < Orleans.Configuration.StreamPullingAgentOptions.DEFAULT_STREAM_INACTIVITY_PERIOD);
    }
}
