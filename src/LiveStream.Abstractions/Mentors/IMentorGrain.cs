using LiveStream.Abstractions.Sessions;
using Orleans.Concurrency;

namespace LiveStream.Abstractions.Mentors;

/// <summary>A mentor: profile, courses, and the index of the sessions they scheduled. Keyed by mentor id.</summary>
[Alias("livestream.mentor")]
public interface IMentorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Null when the mentor has never created a profile. Interleaves with a command in progress (it answers the last
    /// committed page), so a command waiting on a slow or hung database does not hold every viewer's read.
    /// </summary>
    [Alias("get")]
    [Idempotent]
    [AlwaysInterleave]
    Task<MentorView?> GetAsync(CancellationToken cancellationToken = default);

    [Alias("upsert-profile")]
    [Idempotent]
    Task<MentorProfile> UpsertProfileAsync(MentorProfileUpdate update);

    /// <exception cref="DomainException">NotFound when the mentor has no profile yet.</exception>
    [Alias("upsert-course")]
    [Idempotent]
    Task<Course> UpsertCourseAsync(string courseId, CourseUpdate update);

    /// <summary>Creates a session for one of this mentor's courses and indexes it.</summary>
    /// <exception cref="DomainException">NotFound for an unknown mentor or course; Invalid for a bad schedule.</exception>
    [Alias("schedule-session")]
    Task<SessionSnapshot> ScheduleSessionAsync(ScheduleSessionCommand command, CancellationToken cancellationToken = default);

    /// <summary>The mentor's sessions, newest scheduled first. A database read: interleaves with commands for the reason above.</summary>
    [Alias("list-sessions")]
    [Idempotent]
    [AlwaysInterleave]
    Task<Page<SessionSummary>> ListSessionsAsync(string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Called by a session grain when its state changes so the index stays current.</summary>
    [Alias("record-session-change")]
    [Idempotent]
    Task RecordSessionChangeAsync(SessionSummary summary);
}
