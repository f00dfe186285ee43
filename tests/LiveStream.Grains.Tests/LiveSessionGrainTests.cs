using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;

namespace LiveStream.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class LiveSessionGrainTests(ClusterFixture fixture)
{
    private async Task<(IMentorGrain Mentor, SessionSnapshot Session)> ScheduleAsync()
    {
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(Ids.New("mentor"));
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", null, null));
        await mentor.UpsertCourseAsync("course", new CourseUpdate("Engines", null));
        var session = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Intro", DateTimeOffset.UtcNow.AddHours(3)));
        return (mentor, session);
    }

    [Fact]
    public async Task Scheduled_session_survives_deactivation()
    {
        var (_, scheduled) = await ScheduleAsync();
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);

        await fixture.Cluster.DeactivateAsync(session);
        var reloaded = await session.GetAsync();

        Assert.Equal(scheduled, reloaded);
        Assert.Equal(SessionState.Scheduled, reloaded!.State);
    }

    [Fact]
    public async Task Cancelling_twice_succeeds_and_the_mentors_list_shows_cancelled()
    {
        var (mentor, scheduled) = await ScheduleAsync();
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);

        var first = await session.CancelAsync();
        var second = await session.CancelAsync();

        Assert.Equal(SessionState.Cancelled, first.State);
        Assert.Equal(first, second);
        Assert.NotNull(first.EndedAt);
        Assert.Equal(SessionState.Cancelled, Assert.Single((await mentor.ListSessionsAsync(null, 10)).Items).State);
    }

    [Fact]
    public async Task A_cancelled_session_and_its_finished_fan_outs_give_their_activations_back_and_still_answer_from_storage()
    {
        // Arrange
        var (_, scheduled) = await ScheduleAsync();
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(scheduled.LiveId);
        var fanOuts = new[] { NotificationKind.Scheduled, NotificationKind.Cancelled }
            .Select(kind => fixture.Grains.GetGrain<INotificationFanOutGrain>(NotificationFanOut.KeyFor(scheduled.LiveId, kind)))
            .ToList();
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);

        // Act
        await session.CancelAsync();

        // Assert: none of them waits for the collection age (minutes) to be let go.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        IGrain[] grains = [session, .. fanOuts];
        while ((await Task.WhenAll(grains.Select(grain => management.GetActivationAddress(grain).AsTask()))).Any(address => address is not null))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "A finished session or fan-out was still activated 30 s after the cancel.");
            await Task.Delay(50);
        }

        Assert.Equal(SessionState.Cancelled, (await session.GetAsync())!.State);
        Assert.All(await Task.WhenAll(fanOuts.Select(fanOut => fanOut.GetProgressAsync())), progress => Assert.True(progress.Completed));
    }

    [Fact]
    public async Task Cancelling_an_unknown_session_is_not_found()
    {
        var error = await Assert.ThrowsAsync<DomainException>(() => fixture.Grains.GetGrain<ILiveSessionGrain>(Ids.New("live")).CancelAsync());

        Assert.Equal(DomainErrorKind.NotFound, error.Kind);
    }

    [Fact]
    public async Task Schedule_for_another_id_is_refused()
    {
        var session = fixture.Grains.GetGrain<ILiveSessionGrain>(Ids.New("live"));

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            session.ScheduleAsync(new SessionDefinition("other-id", "m", "c", "t", DateTimeOffset.UtcNow.AddHours(1))));

        Assert.Equal(DomainErrorKind.Invalid, error.Kind);
        Assert.Null(await session.GetAsync());
    }
}

public sealed class SessionLifecycleTests
{
    [Theory]
    [InlineData(SessionState.Scheduled, SessionState.Starting, true)]
    [InlineData(SessionState.Scheduled, SessionState.Cancelled, true)]
    [InlineData(SessionState.Scheduled, SessionState.Live, false)]
    [InlineData(SessionState.Starting, SessionState.Live, true)]
    [InlineData(SessionState.Starting, SessionState.Failed, true)]
    [InlineData(SessionState.Live, SessionState.Ending, true)]
    [InlineData(SessionState.Live, SessionState.Cancelled, false)]
    [InlineData(SessionState.Ending, SessionState.Ended, true)]
    [InlineData(SessionState.Ended, SessionState.Recorded, true)]
    [InlineData(SessionState.Ended, SessionState.Live, false)]
    [InlineData(SessionState.Recorded, SessionState.Ended, false)]
    [InlineData(SessionState.Cancelled, SessionState.Scheduled, false)]
    [InlineData(SessionState.Failed, SessionState.Starting, false)]
    public void Transitions_follow_the_documented_lifecycle(SessionState from, SessionState to, bool allowed)
    {
        Assert.Equal(allowed, SessionLifecycle.CanTransition(from, to));
    }

    [Fact]
    public void Only_recorded_cancelled_and_failed_are_terminal()
    {
        var terminal = Enum.GetValues<SessionState>().Where(SessionLifecycle.IsTerminal);

        Assert.Equal([SessionState.Recorded, SessionState.Cancelled, SessionState.Failed], terminal);
    }
}
