using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;

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
    /// The index of this mentor's sessions. A mentor runs about 8 sessions a month, so this stays small for
    /// years; the session grains own the full state.
    /// </summary>
    [Id(2)]
    public List<SessionSummary> Sessions { get; set; } = [];
}

public sealed class MentorGrain(
    [PersistentState("mentor", GrainStorage.Name)] IPersistentState<MentorState> state,
    TimeProvider clock) : Grain, IMentorGrain
{
    public const int MaxCourses = 500;

    private string MentorId => this.GetPrimaryKeyString();

    public Task<MentorView?> GetAsync() => Task.FromResult(
        state.State.Profile is { } profile
            ? new MentorView(profile, [.. state.State.Courses.Values.OrderBy(course => course.CourseId, StringComparer.Ordinal)])
            : null);

    public async Task<MentorProfile> UpsertProfileAsync(MentorProfileUpdate update)
    {
        Validation.RequireText("displayName", update.DisplayName, Limits.MaxDisplayNameLength);
        Validation.OptionalText("bio", update.Bio, Limits.MaxBioLength, multiline: true);
        Validation.OptionalAbsoluteUrl("avatarUrl", update.AvatarUrl);

        var profile = new MentorProfile(MentorId, update.DisplayName.Trim(), update.Bio, update.AvatarUrl, clock.GetUtcNow());
        state.State.Profile = profile;
        await state.WriteStateAsync();
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
        await state.WriteStateAsync();
        return course;
    }

    public async Task<SessionSnapshot> ScheduleSessionAsync(ScheduleSessionCommand command)
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
        var definition = new SessionDefinition(liveId, MentorId, command.CourseId, command.Title.Trim(), command.ScheduledStart.ToUniversalTime());
        var snapshot = await GrainFactory.GetGrain<ILiveSessionGrain>(liveId).ScheduleAsync(definition);

        Index(snapshot.ToSummary());
        await state.WriteStateAsync();
        return snapshot;
    }

    public Task<Page<SessionSummary>> ListSessionsAsync(string? after, int limit)
    {
        limit = Math.Clamp(limit, 1, Limits.MaxPageSize);
        var ordered = state.State.Sessions
            .OrderByDescending(session => session.ScheduledStart)
            .ThenByDescending(session => session.LiveId, StringComparer.Ordinal)
            .ToList();

        var start = 0;
        if (after is not null)
        {
            var position = ordered.FindIndex(session => session.LiveId == after);
            if (position < 0)
            {
                throw DomainException.Invalid("after", "The cursor does not name a session of this mentor.");
            }

            start = position + 1;
        }

        var items = ordered.Skip(start).Take(limit).ToImmutableArray();
        var next = start + items.Length < ordered.Count ? items[^1].LiveId : null;
        return Task.FromResult(new Page<SessionSummary>(items, next));
    }

    public async Task RecordSessionChangeAsync(SessionSummary summary)
    {
        if (state.State.Sessions.Find(session => session.LiveId == summary.LiveId) == summary)
        {
            return;
        }

        Index(summary);
        await state.WriteStateAsync();
    }

    private void Index(SessionSummary summary)
    {
        var position = state.State.Sessions.FindIndex(session => session.LiveId == summary.LiveId);
        if (position >= 0)
        {
            state.State.Sessions[position] = summary;
        }
        else
        {
            state.State.Sessions.Add(summary);
        }
    }

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
