using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using Npgsql;

namespace LiveStream.Grains.Tests;

/// <summary>A session row written before the lifecycle rewrite (the grain state of commit fce33b7) still loads.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LegacySessionStateTests(ClusterFixture fixture)
{
    [Fact]
    public async Task A_live_session_stored_in_the_old_shape_loads_with_its_key_and_publisher_and_can_be_stopped()
    {
        // Arrange: a scheduled session whose row is then rewritten as the old grain stored a live session.
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(Ids.New("mentor"));
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var scheduled = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Intro", DateTimeOffset.UtcNow.AddHours(3)));
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);
        await fixture.Cluster.DeactivateAsync(session);
        var startedAt = DateTimeOffset.UtcNow.AddMinutes(-5);
        var streamKey = $"{scheduled.LiveId}.old-secret";
        var rewritten = await RewriteRowAsync(scheduled.LiveId, OldShape(scheduled, streamKey, startedAt));

        // Act
        var loaded = await session.GetAsync();
        var samePublisher = await session.AuthorizePublishAsync(new PublishAttempt(streamKey, "conn-1"));
        var otherPublisher = await session.AuthorizePublishAsync(new PublishAttempt(streamKey, "conn-2"));
        var stopped = await session.StopAsync();

        // Assert: the session as it was, its media side folded in (key, channel, publisher), and it ends normally.
        Assert.Equal(1, rewritten);
        Assert.Equal(SessionState.Live, loaded!.State);
        Assert.Equal(scheduled.Title, loaded.Title);
        Assert.Equal(startedAt, loaded.StartedAt);
        Assert.True(samePublisher);
        Assert.False(otherPublisher);
        Assert.Equal(SessionState.Ended, stopped.State);
        Assert.Null(stopped.PlaybackUrl);
    }

    /// <summary>The row as the old grain's state serialized (storage JSON with type names; defaults left out).</summary>
    private static string OldShape(SessionSnapshot scheduled, string streamKey, DateTimeOffset startedAt)
    {
        static string At(DateTimeOffset value) => value.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        var playback = $"http://localhost:8080/hls/{scheduled.LiveId}/index.m3u8";
        const string json = """
            {"$id":"1","$type":"LiveStream.Grains.LiveSessionState, LiveStream.Grains",
             "Session":{"$id":"2","$type":"LiveStream.Abstractions.Sessions.SessionSnapshot, LiveStream.Abstractions","LiveId":"@LIVE@","MentorId":"@MENTOR@","CourseId":"@COURSE@","Title":"@TITLE@","State":2,"ScheduledStart":"@START@","CreatedAt":"@CREATED@","StartedAt":"@STARTED@","PlaybackUrl":"@PLAYBACK@"},
             "PendingEvents":{"$type":"System.Collections.Generic.List`1[[LiveStream.Abstractions.Notifications.SessionEvent, LiveStream.Abstractions]], System.Private.CoreLib","$values":[]},
             "PreStartNoticeStaged":true,
             "Muted":{"$type":"System.Collections.Generic.HashSet`1[[System.String, System.Private.CoreLib]], System.Private.CoreLib","$values":[]},
             "Media":{"$id":"3","$type":"LiveStream.Grains.SessionMedia, LiveStream.Grains","StreamKey":"@KEY@",
              "Channel":{"$id":"4","$type":"LiveStream.Infrastructure.Media.MediaChannel, LiveStream.Infrastructure","Provider":"local","LiveId":"@LIVE@","PlaybackUrl":"@PLAYBACK@","Resources":{"$type":"System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[System.String, System.Private.CoreLib]], System.Private.CoreLib"}},
              "PublisherId":"conn-1","MaxDurationDeadline":"@MAX@","HasReminder":true,
              "InputAlarms":{"$type":"System.Collections.Generic.Dictionary`2[[System.String, System.Private.CoreLib],[LiveStream.Abstractions.Sessions.MediaInputSignal, LiveStream.Abstractions]], System.Private.CoreLib"}}}
            """;
        return json.Replace("@LIVE@", scheduled.LiveId).Replace("@MENTOR@", scheduled.MentorId).Replace("@COURSE@", scheduled.CourseId)
            .Replace("@TITLE@", scheduled.Title).Replace("@START@", At(scheduled.ScheduledStart)).Replace("@CREATED@", At(scheduled.CreatedAt))
            .Replace("@STARTED@", At(startedAt)).Replace("@PLAYBACK@", playback).Replace("@KEY@", streamKey).Replace("@MAX@", At(startedAt.AddHours(4)));
    }

    private async Task<int> RewriteRowAsync(string liveId, string json)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Database.ConnectionString);
        await using var command = dataSource.CreateCommand("""
            UPDATE orleans_storage SET payload_binary = convert_to($1, 'UTF8')
            WHERE convert_from(payload_binary, 'UTF8') LIKE '%LiveStream.Grains.LiveSessionState%'
              AND convert_from(payload_binary, 'UTF8') LIKE '%' || $2 || '%'
            """);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = json });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = liveId });
        return await command.ExecuteNonQueryAsync();
    }
}
