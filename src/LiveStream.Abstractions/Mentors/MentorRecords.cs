using System.Collections.Immutable;

namespace LiveStream.Abstractions.Mentors;

[GenerateSerializer, Immutable]
[Alias("livestream.mentor-profile")]
public sealed record MentorProfile(
    [property: Id(0)] string MentorId,
    [property: Id(1)] string DisplayName,
    [property: Id(2)] string? Bio,
    [property: Id(3)] string? AvatarUrl,
    [property: Id(4)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable]
[Alias("livestream.mentor-profile-update")]
public sealed record MentorProfileUpdate(
    [property: Id(0)] string DisplayName,
    [property: Id(1)] string? Bio,
    [property: Id(2)] string? AvatarUrl);

[GenerateSerializer, Immutable]
[Alias("livestream.course")]
public sealed record Course(
    [property: Id(0)] string CourseId,
    [property: Id(1)] string Title,
    [property: Id(2)] string? Description,
    [property: Id(3)] DateTimeOffset UpdatedAt);

[GenerateSerializer, Immutable]
[Alias("livestream.course-update")]
public sealed record CourseUpdate(
    [property: Id(0)] string Title,
    [property: Id(1)] string? Description);

/// <summary>A mentor's public page: profile and courses.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.mentor-view")]
public sealed record MentorView(
    [property: Id(0)] MentorProfile Profile,
    [property: Id(1)] ImmutableArray<Course> Courses);
