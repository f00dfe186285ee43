using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;
using LiveStream.Testing;

namespace LiveStream.Grains.Tests;

/// <summary>Arrange/assert helpers for notification tests: mentors, followers with devices, and what the tables hold.</summary>
public sealed class NotificationWorld(IGrainFactory grains, TestDatabase database)
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public async Task<string> CreateMentorAsync()
    {
        var mentorId = Ids.New("mentor");
        var mentor = grains.GetGrain<IMentorGrain>(mentorId);
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        return mentorId;
    }

    /// <summary>A mentee with a profile and <paramref name="devices"/> registered devices who follows <paramref name="mentorId"/>.</summary>
    public async Task<string> CreateFollowerAsync(string mentorId, int devices = 1, string prefix = "mentee")
    {
        var menteeId = Ids.New(prefix);
        var mentee = grains.GetGrain<IMenteeGrain>(menteeId);
        await mentee.UpsertProfileAsync("Grace");
        for (var device = 0; device < devices; device++)
        {
            await mentee.RegisterDeviceAsync($"phone{device}", device % 2 == 0 ? PushPlatform.Fcm : PushPlatform.Apns, $"token-{menteeId}-{device}");
        }

        await mentee.FollowAsync(mentorId);
        return menteeId;
    }

    public async Task<List<string>> CreateFollowersAsync(string mentorId, int count, string prefix = "mentee")
    {
        var followers = new List<string>(count);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(50))
        {
            followers.AddRange(await Task.WhenAll(chunk.Select(_ => CreateFollowerAsync(mentorId, 1, prefix))));
        }

        return followers;
    }

    /// <summary>Schedules straight on the session grain, so the test knows the live id (and the fan-out key) up front.</summary>
    public async Task<string> ScheduleAsync(string mentorId, DateTimeOffset? start = null)
    {
        var liveId = Ids.New("live");
        await grains.GetGrain<ILiveSessionGrain>(liveId)
            .ScheduleAsync(new SessionDefinition(liveId, mentorId, "course", "Intro to Orleans", start ?? DateTimeOffset.UtcNow.AddHours(3)));
        return liveId;
    }

    public async Task<IReadOnlyList<Notification>> InboxAsync(string menteeId) =>
        (await grains.GetGrain<IInboxGrain>(menteeId).ListAsync(null, 100)).Items;

    public Task<long> CountNotificationsAsync(string liveId, NotificationKind kind) =>
        Scalar("SELECT count(*) FROM notifications WHERE live_id = @live AND kind = @kind", liveId, kind);

    public Task<long> CountDistinctRecipientsAsync(string liveId, NotificationKind kind) =>
        Scalar("SELECT count(DISTINCT mentee_id) FROM notifications WHERE live_id = @live AND kind = @kind", liveId, kind);

    public Task<long> CountSentPushesAsync(string liveId, NotificationKind kind) =>
        Scalar("""
            SELECT count(*) FROM push_deliveries p JOIN notifications n ON n.id = p.notification_id
            WHERE n.live_id = @live AND n.kind = @kind AND p.status = 'sent'
            """, liveId, kind);

    public async Task<long> CountSentPushesAsync(string liveId, NotificationKind kind, string menteeId) =>
        await database.ScalarAsync<long>("""
            SELECT count(*) FROM push_deliveries p JOIN notifications n ON n.id = p.notification_id
            WHERE n.live_id = @live AND n.kind = @kind AND n.mentee_id = @mentee AND p.status = 'sent'
            """, ("live", liveId), ("kind", kind.ToName()), ("mentee", menteeId));

    public async Task WaitForNotificationsAsync(string liveId, NotificationKind kind, long expected)
    {
        var deadline = DateTime.UtcNow + Patience;
        long seen;
        while ((seen = await CountNotificationsAsync(liveId, kind)) < expected || await CountSentPushesAsync(liveId, kind) < expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {seen} of {expected} '{kind.ToName()}' notifications of {liveId} arrived within {Patience}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits for the fan-out to finish and the queue to drain, so nothing else can still arrive.</summary>
    public async Task WaitUntilSettledAsync(string liveId, NotificationKind kind)
    {
        var fanOut = grains.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(liveId, kind));
        var deadline = DateTime.UtcNow + Patience;
        while (!(await fanOut.GetProgressAsync()).Completed || await database.ScalarAsync<long>("SELECT count(*) FROM stream_queue_messages") > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the '{kind.ToName()}' fan-out of {liveId} did not settle within {Patience}");
            await Task.Delay(100);
        }
    }

    private Task<long> Scalar(string sql, string liveId, NotificationKind kind) =>
        database.ScalarAsync<long>(sql, ("live", liveId), ("kind", kind.ToName()));
}
