using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Abstractions.Sessions;

namespace LiveStream.Host.Api;

// Request bodies: every member nullable so a missing field is reported by name rather than as a binding failure.

public sealed record DevTokenRequest(string? UserId, string? Role);

public sealed record MentorProfileRequest(string? DisplayName, string? Bio, string? AvatarUrl);

public sealed record CourseRequest(string? Title, string? Description);

public sealed record MenteeProfileRequest(string? DisplayName);

public sealed record DeviceRequest(string? Platform, string? Token);

/// <summary><c>visibility</c>: <c>public</c> (default, any signed-in user may watch) or <c>followers</c> (the mentor's followers only).</summary>
public sealed record ScheduleSessionRequest(string? MentorId, string? CourseId, string? Title, DateTimeOffset? ScheduledStart, string? Visibility = null);

// Responses.

public sealed record DevTokenResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record MentorProfileResponse(string MentorId, string DisplayName, string? Bio, string? AvatarUrl, DateTimeOffset UpdatedAt)
{
    public static MentorProfileResponse From(MentorProfile profile) =>
        new(profile.MentorId, profile.DisplayName, profile.Bio, profile.AvatarUrl, profile.UpdatedAt);
}

public sealed record CourseResponse(string CourseId, string Title, string? Description, DateTimeOffset UpdatedAt)
{
    public static CourseResponse From(Course course) => new(course.CourseId, course.Title, course.Description, course.UpdatedAt);
}

public sealed record MentorResponse(
    string MentorId, string DisplayName, string? Bio, string? AvatarUrl, DateTimeOffset UpdatedAt, IReadOnlyList<CourseResponse> Courses)
{
    public static MentorResponse From(MentorView view) => new(
        view.Profile.MentorId, view.Profile.DisplayName, view.Profile.Bio, view.Profile.AvatarUrl, view.Profile.UpdatedAt,
        [.. view.Courses.Select(CourseResponse.From)]);
}

public sealed record DeviceResponse(string DeviceId, PushPlatform Platform, DateTimeOffset RegisteredAt)
{
    public static DeviceResponse From(Device device) => new(device.DeviceId, device.Platform, device.RegisteredAt);
}

public sealed record MenteeResponse(string MenteeId, string DisplayName, DateTimeOffset UpdatedAt, IReadOnlyList<string> Following, IReadOnlyList<DeviceResponse> Devices)
{
    public static MenteeResponse From(MenteeView view) => new(
        view.Profile.MenteeId, view.Profile.DisplayName, view.Profile.UpdatedAt, view.Following, [.. view.Devices.Select(DeviceResponse.From)]);

    public static MenteeResponse From(MenteeProfile profile) => new(profile.MenteeId, profile.DisplayName, profile.UpdatedAt, [], []);
}

public sealed record SessionSummaryResponse(string LiveId, string CourseId, string Title, SessionState State, DateTimeOffset ScheduledStart, DateTimeOffset CreatedAt)
{
    public static SessionSummaryResponse From(SessionSummary summary) =>
        new(summary.LiveId, summary.CourseId, summary.Title, summary.State, summary.ScheduledStart, summary.CreatedAt);
}

public sealed record SessionListResponse(IReadOnlyList<SessionSummaryResponse> Items, string? Next)
{
    public static SessionListResponse From(Page<SessionSummary> page) => new([.. page.Items.Select(SessionSummaryResponse.From)], page.Next);
}

public sealed record SessionDetailResponse(
    string LiveId,
    string MentorId,
    string CourseId,
    string Title,
    SessionState State,
    DateTimeOffset ScheduledStart,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    string? PlaybackUrl,
    string? RecordingUrl,
    SessionVisibility Visibility,
    MentorProfileResponse? Mentor,
    CourseResponse? Course,
    IReadOnlyDictionary<string, long> Reactions,
    string? FailureReason = null,
    string? RecordingFailure = null,
    int Viewers = 0)
{
    public static SessionDetailResponse From(SessionSnapshot session, MentorView? mentor, IReadOnlyDictionary<string, long>? reactions = null, int viewers = 0) => new(
        session.LiveId, session.MentorId, session.CourseId, session.Title, session.State, session.ScheduledStart, session.CreatedAt,
        session.StartedAt, session.EndedAt, session.PlaybackUrl, session.RecordingUrl, session.Visibility,
        mentor is null ? null : MentorProfileResponse.From(mentor.Profile),
        mentor?.Courses.FirstOrDefault(course => course.CourseId == session.CourseId) is { } course ? CourseResponse.From(course) : null,
        reactions ?? LiveStream.Abstractions.Reactions.ReactionKinds.All.ToDictionary(kind => kind, _ => 0L),
        session.FailureReason,
        session.RecordingFailure,
        viewers);
}

/// <summary>
/// One inbox entry; <c>kind</c> is scheduled, reminder, live, recording-ready or cancelled (to followers) or
/// recording-failed (to the session's mentor); <c>id</c> is the cursor.
/// </summary>
public sealed record NotificationResponse(string Id, string LiveId, string MentorId, string Kind, string Title, string Body, DateTimeOffset CreatedAt)
{
    public static NotificationResponse From(Notification notification) => new(
        notification.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), notification.LiveId, notification.MentorId,
        notification.Kind.ToName(), notification.Title, notification.Body, notification.CreatedAt);
}

public sealed record NotificationListResponse(IReadOnlyList<NotificationResponse> Items, string? Next)
{
    public static NotificationListResponse From(Page<Notification> page) => new([.. page.Items.Select(NotificationResponse.From)], page.Next);
}
