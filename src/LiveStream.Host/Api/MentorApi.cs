using System.Security.Claims;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Notifications;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveStream.Host.Api;

public static class MentorApi
{
    public static void MapMentorApi(this IEndpointRouteBuilder app)
    {
        var mentors = app.MapGroup("/mentor/{mentorId}").WithTags("Mentors").AddEndpointFilter(Validation.RouteIdsAsync);

        mentors.MapPut("/", UpsertProfileAsync).WithSummary("Create or update the caller's mentor profile");
        mentors.MapGet("/", GetAsync).WithSummary("A mentor's profile and courses");
        mentors.MapPut("/courses/{courseId}", UpsertCourseAsync).WithSummary("Create or update one of the caller's courses");
        mentors.MapGet("/notifications", ListNotificationsAsync)
            .WithSummary("The caller's notices about their own sessions (e.g. a recording that failed), newest last, cursor paged");
    }

    private static async Task<Results<Ok<MentorProfileResponse>, ProblemHttpResult>> UpsertProfileAsync(
        string mentorId, MentorProfileRequest request, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only that mentor can edit this profile.");
        }

        var profile = await grains.GetGrain<IMentorGrain>(mentorId)
            .UpsertProfileAsync(new MentorProfileUpdate(request.DisplayName ?? string.Empty, request.Bio, request.AvatarUrl));
        views.ForgetMentor(mentorId);
        return TypedResults.Ok(MentorProfileResponse.From(profile));
    }

    private static async Task<Results<ETaggedJson<MentorResponse>, ProblemHttpResult>> GetAsync(string mentorId, ClaimsPrincipal user, HotViewCache views)
    {
        // The mentor reads past this process's cache, so their own edits show at once.
        var mentor = await views.GetMentorAsync(mentorId, fresh: user.IsMentor(mentorId));
        return mentor is null
            ? Validation.NotFound("mentorId", $"Mentor '{mentorId}' does not exist.")
            : new ETaggedJson<MentorResponse>(MentorResponse.From(mentor));
    }

    private static async Task<Results<Ok<CourseResponse>, ProblemHttpResult>> UpsertCourseAsync(
        string mentorId, string courseId, CourseRequest request, ClaimsPrincipal user, IGrainFactory grains, HotViewCache views)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only that mentor can edit their courses.");
        }

        var course = await grains.GetGrain<IMentorGrain>(mentorId)
            .UpsertCourseAsync(courseId, new CourseUpdate(request.Title ?? string.Empty, request.Description));
        views.ForgetMentor(mentorId);
        return TypedResults.Ok(CourseResponse.From(course));
    }

    private static async Task<Results<Ok<NotificationListResponse>, ValidationProblem, ProblemHttpResult>> ListNotificationsAsync(
        string mentorId, string? after, int? limit, ClaimsPrincipal user, IGrainFactory grains)
    {
        if (!user.IsMentor(mentorId))
        {
            return Validation.Forbidden("Only that mentor can read their notifications.");
        }

        if (Validation.Paging(after, limit) is { } invalid)
        {
            return invalid;
        }

        if (await grains.GetGrain<IMentorGrain>(mentorId).GetAsync() is null)
        {
            return Validation.NotFound("mentorId", $"Mentor '{mentorId}' does not exist.");
        }

        var page = await grains.GetGrain<IInboxGrain>(mentorId).ListAsync(after, limit ?? Limits.DefaultPageSize);
        return TypedResults.Ok(NotificationListResponse.From(page));
    }
}
