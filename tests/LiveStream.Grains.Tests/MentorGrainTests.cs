using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;

namespace LiveStream.Grains.Tests;

[Collection(ClusterCollection.Name)]
public sealed class MentorGrainTests(ClusterFixture fixture)
{
    private async Task<IMentorGrain> CreateMentorAsync(string courseId = "course")
    {
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(Ids.New("mentor"));
        await mentor.UpsertProfileAsync(new MentorProfileUpdate("Ada", "Engines", "https://example.com/ada.png"));
        await mentor.UpsertCourseAsync(courseId, new CourseUpdate("Analytical Engines", null));
        return mentor;
    }

    [Fact]
    public async Task Profile_and_courses_survive_deactivation()
    {
        // Arrange
        var mentor = await CreateMentorAsync("engines");

        // Act
        await fixture.Cluster.DeactivateAsync(mentor);
        var view = await mentor.GetAsync();

        // Assert
        Assert.NotNull(view);
        Assert.Equal("Ada", view.Profile.DisplayName);
        Assert.Equal("https://example.com/ada.png", view.Profile.AvatarUrl);
        var course = Assert.Single(view.Courses);
        Assert.Equal(("engines", "Analytical Engines"), (course.CourseId, course.Title));
    }

    [Fact]
    public async Task Unknown_mentor_has_no_view()
    {
        var view = await fixture.Grains.GetGrain<IMentorGrain>(Ids.New("nobody")).GetAsync();

        Assert.Null(view);
    }

    [Fact]
    public async Task Course_of_a_mentor_without_profile_is_not_found()
    {
        var mentor = fixture.Grains.GetGrain<IMentorGrain>(Ids.New("mentor"));

        var error = await Assert.ThrowsAsync<DomainException>(() => mentor.UpsertCourseAsync("c1", new CourseUpdate("Title", null)));

        Assert.Equal((DomainErrorKind.NotFound, "mentorId"), (error.Kind, error.Field));
    }

    [Fact]
    public async Task Over_long_display_name_is_refused_and_the_profile_is_unchanged()
    {
        var mentor = await CreateMentorAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() => mentor.UpsertProfileAsync(new MentorProfileUpdate(new string('x', Limits.MaxDisplayNameLength + 1), null, null)));
        await fixture.Cluster.DeactivateAsync(mentor);

        Assert.Equal((DomainErrorKind.Invalid, "displayName"), (error.Kind, error.Field));
        Assert.Equal("Ada", (await mentor.GetAsync())!.Profile.DisplayName);
    }

    [Fact]
    public async Task Scheduling_for_an_unknown_course_is_not_found_and_indexes_nothing()
    {
        var mentor = await CreateMentorAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            mentor.ScheduleSessionAsync(new ScheduleSessionCommand("no-such-course", "Title", DateTimeOffset.UtcNow.AddHours(1))));

        Assert.Equal((DomainErrorKind.NotFound, "courseId"), (error.Kind, error.Field));
        Assert.Empty((await mentor.ListSessionsAsync(null, 10)).Items);
    }

    [Theory]
    [InlineData(-10)]
    [InlineData(400 * 24 * 60)]
    public async Task Scheduling_in_the_past_or_beyond_a_year_is_invalid(int minutesFromNow)
    {
        var mentor = await CreateMentorAsync();

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Title", DateTimeOffset.UtcNow.AddMinutes(minutesFromNow))));

        Assert.Equal((DomainErrorKind.Invalid, "scheduledStart"), (error.Kind, error.Field));
        Assert.Empty((await mentor.ListSessionsAsync(null, 10)).Items);
    }

    [Fact]
    public async Task Retried_schedule_with_the_same_idempotency_key_creates_one_session()
    {
        var mentor = await CreateMentorAsync();
        var command = new ScheduleSessionCommand("course", "Retry me", DateTimeOffset.UtcNow.AddHours(2), IdempotencyKey: "client-retry-1");

        var first = await mentor.ScheduleSessionAsync(command);
        var second = await mentor.ScheduleSessionAsync(command);

        Assert.Equal(first.LiveId, second.LiveId);
        Assert.Single((await mentor.ListSessionsAsync(null, 10)).Items);
    }

    [Fact]
    public async Task A_mentor_at_the_upcoming_session_quota_is_refused_until_a_session_is_cancelled_and_a_retry_still_gets_its_session()
    {
        // Arrange: a quota of two, both taken.
        var mentor = await CreateMentorAsync();
        var start = DateTimeOffset.UtcNow.AddHours(2);
        ScheduleSessionCommand Command(string key) => new("course", $"Session {key}", start, IdempotencyKey: key, MaxUpcomingSessions: 2);
        var first = await mentor.ScheduleSessionAsync(Command("q1"));
        await mentor.ScheduleSessionAsync(Command("q2"));

        // Act
        var refused = await Assert.ThrowsAsync<DomainException>(() => mentor.ScheduleSessionAsync(Command("q3")));
        var retried = await mentor.ScheduleSessionAsync(Command("q1"));
        await fixture.Grains.GetGrain<ILiveSessionGrain>(first.LiveId).CancelAsync(first.MentorId);
        var afterCancel = await ScheduleWithinAsync(mentor, Command("q4"), TimeSpan.FromSeconds(15));

        // Assert
        Assert.Equal(DomainErrorKind.Conflict, refused.Kind);
        Assert.Equal("MaxUpcomingSessions", refused.Field);
        Assert.Equal(first.LiveId, retried.LiveId);
        Assert.Equal(SessionState.Scheduled, afterCancel.State);
        Assert.Equal(3, (await mentor.ListSessionsAsync(null, 10)).Items.Length);
    }

    /// <summary>The index learns of a cancel from the session grain's effect, just after the cancel returns.</summary>
    private static async Task<SessionSnapshot> ScheduleWithinAsync(IMentorGrain mentor, ScheduleSessionCommand command, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            try
            {
                return await mentor.ScheduleSessionAsync(command);
            }
            catch (DomainException refused) when (refused.Kind == DomainErrorKind.Conflict && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }
        }
    }

    [Fact]
    public async Task Reusing_an_idempotency_key_for_a_different_session_is_refused_naming_the_key()
    {
        var mentor = await CreateMentorAsync();
        var start = DateTimeOffset.UtcNow.AddHours(2);
        await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "First", start, IdempotencyKey: "k"));

        var error = await Assert.ThrowsAsync<DomainException>(() =>
            mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Second", start, IdempotencyKey: "k")));

        Assert.Equal(DomainErrorKind.IdempotencyKeyReused, error.Kind);
        Assert.Equal("Idempotency-Key", error.Field);
        Assert.Equal("First", Assert.Single((await mentor.ListSessionsAsync(null, 10)).Items).Title);
    }

    [Fact]
    public async Task Session_list_pages_newest_first_with_a_cursor()
    {
        // Arrange
        var mentor = await CreateMentorAsync();
        var now = DateTimeOffset.UtcNow;
        var scheduled = new List<string>();
        for (var day = 1; day <= 5; day++)
        {
            scheduled.Add((await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", $"Day {day}", now.AddDays(day)))).LiveId);
        }

        // Act
        var pages = new List<Page<SessionSummary>>();
        string? cursor = null;
        do
        {
            var page = await mentor.ListSessionsAsync(cursor, 2);
            pages.Add(page);
            cursor = page.Next;
        }
        while (cursor is not null);

        // Assert
        Assert.Equal([2, 2, 1], pages.Select(page => page.Items.Length));
        Assert.Equal(Enumerable.Reverse(scheduled), pages.SelectMany(page => page.Items).Select(item => item.LiveId));
    }

    [Fact]
    public async Task Sessions_at_the_same_start_page_by_live_id_and_the_last_full_page_has_no_cursor()
    {
        // Arrange
        var mentor = await CreateMentorAsync();
        var start = DateTimeOffset.UtcNow.AddDays(3);
        var scheduled = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            scheduled.Add((await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", $"Twin {i}", start))).LiveId);
        }

        // Act
        var first = await mentor.ListSessionsAsync(null, 2);
        var second = await mentor.ListSessionsAsync(first.Next, 2);

        // Assert
        Assert.Null(second.Next);
        Assert.Equal(
            scheduled.OrderDescending(StringComparer.Ordinal),
            first.Items.Concat(second.Items).Select(item => item.LiveId));
    }

    [Fact]
    public async Task A_cursor_naming_another_mentors_session_is_invalid()
    {
        var mentor = await CreateMentorAsync();
        var other = await CreateMentorAsync();
        var foreign = await other.ScheduleSessionAsync(new ScheduleSessionCommand("course", "Not yours", DateTimeOffset.UtcNow.AddHours(1)));

        var error = await Assert.ThrowsAsync<DomainException>(() => mentor.ListSessionsAsync(foreign.LiveId, 10));

        Assert.Equal((DomainErrorKind.Invalid, "after"), (error.Kind, error.Field));
    }

    [Fact]
    public async Task A_state_change_reported_by_the_session_updates_its_row()
    {
        var mentor = await CreateMentorAsync();
        var session = await mentor.ScheduleSessionAsync(new ScheduleSessionCommand("course", "To cancel", DateTimeOffset.UtcNow.AddHours(1)));

        await fixture.Grains.GetGrain<ILiveSessionGrain>(session.LiveId).CancelAsync();
        await fixture.Cluster.DeactivateAsync(mentor);

        var row = Assert.Single((await mentor.ListSessionsAsync(null, 10)).Items);
        Assert.Equal((session.LiveId, SessionState.Cancelled), (row.LiveId, row.State));
    }
}
