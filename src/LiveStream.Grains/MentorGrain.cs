using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Grains;

[GenerateSerializer]
[Alias("livestream.mentor-state")]
public sealed class MentorState
{
    [Id(0)]
    public MentorProfile? Profile { get; set; }

    [Id(1)]
    public Dictionary<string, Course> Courses { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Where the index of this mentor's sessions used to be kept: rewritten whole on every change, it made each
    /// write cost grow with the mentor's history. It now lives in <see cref="ISessionIndexStore"/>; a state
    /// still holding entries is moved there on activation and this list is left empty.
    /// </summary>
    [Id(2)]
    public List<SessionSummary> Sessions { get; set; } = [];
}

// A mentor is written a few times a month; an idle one gives its memory back sooner than the 15-minute default.
[CollectionAgeLimit(Minutes = 5)]
public sealed class MentorGrain(
    [PersistentState("mentor", GrainStorage.Name)] IPersistentState<MentorState> state,
    ISessionIndexStore index,
    TimeProvider clock) : Grain, IMentorGrain
{
    public const int MaxCourses = 500;

    /// <summary>A session still scheduled this long after its start was forgotten; it no longer counts against the quota.</summary>
    private static readonly TimeSpan StaleScheduleGrace = TimeSpan.FromDays(1);

    /// <summary>
    /// The page as last written. <see cref="GetAsync"/> interleaves with a command waiting on the database (a hung
    /// database must not hold the reads every viewer makes), so it answers from this and never sees a change whose
    /// write has not succeeded.
    /// </summary>
    private MentorView? _committed;

    private string MentorId => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Sessions.Count > 0)
        {
            // Rows first, then the emptied state: a failure in between leaves entries that are moved again.
            await index.UpsertManyAsync(MentorId, state.State.Sessions, cancellationToken);
            state.State.Sessions = [];
            await state.WriteStateAsync(cancellationToken);
        }

        _committed = View();
    }

    public Task<MentorView?> GetAsync(CancellationToken cancellationToken = default) => Task.FromResult(_committed);

    public async Task<MentorProfile> UpsertProfileAsync(MentorProfileUpdate update)
    {
        Validation.RequireText("displayName", update.DisplayName, Limits.MaxDisplayNameLength);
        Validation.OptionalText("bio", update.Bio, Limits.MaxBioLength, multiline: true);
        Validation.OptionalAbsoluteUrl("avatarUrl", update.AvatarUrl);

        var profile = new MentorProfile(MentorId, update.DisplayName.Trim(), update.Bio, update.AvatarUrl, clock.GetUtcNow());
        state.State.Profile = profile;
        await CommitAsync();
        return profile;
    }

    public async Task<Course> UpsertCourseAsync(string courseId, CourseUpdate update)
    {
        RequireProfile();
        Validation.RequireId("courseId", courseId);
        Validation.RequireText("title", update.Title, Limits.MaxTitleLength);
        Validation.OptionalText("description", update.Description, Limits.MaxDescriptionLength, multiline: true);
        if (!state.State.Courses.ContainsKey(courseId) && state.State.Courses.Count >= MaxCourses)
        {
            throw DomainException.Invalid("courseId", $"A mentor can have at most {MaxCourses} courses.");
        }

        var course = new Course(courseId, update.Title.Trim(), update.Description, clock.GetUtcNow());
        state.State.Courses[courseId] = course;
        await CommitAsync();
        return course;
    }

    public async Task<SessionSnapshot> ScheduleSessionAsync(ScheduleSessionCommand command, CancellationToken cancellationToken = default)
    {
        RequireProfile();
        if (!state.State.Courses.ContainsKey(command.CourseId))
        {
            throw DomainException.NotFound("courseId", $"Mentor '{MentorId}' has no course '{command.CourseId}'.");
        }

        Validation.RequireText("title", command.Title, Limits.MaxTitleLength);
        var now = clock.GetUtcNow();
        if (command.ScheduledStart < now - Limits.ScheduleClockSkew)
        {
            throw DomainException.Invalid("scheduledStart", "The scheduled start is in the past.");
        }

        if (command.ScheduledStart > now + Limits.MaxScheduleHorizon)
        {
            throw DomainException.Invalid("scheduledStart", "The scheduled start is more than a year ahead.");
        }

        Validation.OptionalIdempotencyKey(command.IdempotencyKey);

        var liveId = NewLiveId(command.IdempotencyKey);
        // The session itself is left out of the count, so a retried schedule at the quota still gets its answer.
        if (command.MaxUpcomingSessions > 0
            && await index.CountUpcomingAsync(MentorId, liveId, StaleScheduleGrace) is var upcoming && upcoming >= command.MaxUpcomingSessions)
        {
            throw new DomainException(
                DomainErrorKind.Conflict,
                $"Mentor '{MentorId}' already has {upcoming} upcoming sessions, the most allowed (MaxUpcomingSessions = {command.MaxUpcomingSessions}); cancel one or schedule after one has ended.",
                "MaxUpcomingSessions");
        }

        var definition = new SessionDefinition(liveId, MentorId, command.CourseId, command.Title.Trim(), command.ScheduledStart.ToUniversalTime(), command.Visibility);
        var snapshot = await GrainFactory.GetGrain<ILiveSessionGrain>(liveId).ScheduleAsync(definition);

        await index.UpsertAsync(MentorId, snapshot.ToSummary());
        return snapshot;
    }

    public async Task<Page<SessionSummary>> ListSessionsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, Limits.MaxPageSize);
        // One row more than the page tells whether a next page exists without counting the history.
        var rows = await index.ListAsync(MentorId, after, limit + 1)
            ?? throw DomainException.Invalid("after", "The cursor does not name a session of this mentor.");
        var items = rows.Take(limit).ToImmutableArray();
        return new Page<SessionSummary>(items, rows.Count > limit ? items[^1].LiveId : null);
    }

    public Task RecordSessionChangeAsync(SessionSummary summary) => index.UpsertAsync(MentorId, summary);

    private async Task CommitAsync()
    {
        await state.WriteStateAsync();
        _committed = View();
    }

    private MentorView? View() => state.State.Profile is { } profile
        ? new MentorView(profile, [.. state.State.Courses.Values.OrderBy(course => course.CourseId, StringComparer.Ordinal)])
        : null;

    private void RequireProfile()
    {
        if (state.State.Profile is null)
        {
            throw DomainException.NotFound("mentorId", $"Mentor '{MentorId}' has no profile.");
        }
    }

    /// <summary>
    /// A random id, unless the client gave an idempotency key: then the id is derived from it, so a retried
    /// POST reaches the same session grain instead of creating a second session.
    /// </summary>
    private string NewLiveId(string? idempotencyKey)
    {
        if (string.IsNullOrEmpty(idempotencyKey))
        {
            return Guid.NewGuid().ToString("N");
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{MentorId}\n{idempotencyKey}"));
        return Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
