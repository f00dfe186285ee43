using LiveStream.Abstractions.Sessions;

namespace LiveStream.Abstractions.Mentors;

/// <summary>A mentor: profile, courses, and the index of the sessions they scheduled. Keyed by mentor id.</summary>
[Alias("livestream.mentor")]
public interface IMentorGrain : IGrainWithStringKey
{
    /// <summary>Null when the mentor has never created a profile.</summary>
    [Alias("get")]
    [Idempotent]
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

    /// <summary>The mentor's sessions, newest scheduled first.</summary>
    [Alias("list-sessions")]
    [Idempotent]
    Task<Page<SessionSummary>> ListSessionsAsync(string? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>Called by a session grain when its state changes so the index stays current.</summary>
    [Alias("record-session-change")]
    [Idempotent]
    Task RecordSessionChangeAsync(SessionSummary summary);
}
