using System.Security.Claims;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentees;
using LiveStream.Abstractions.Notifications;
using LiveStream.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveStream.Host.Api;

public static class MenteeApi
{
    public static void MapMenteeApi(this IEndpointRouteBuilder app)
    {
        var mentees = app.MapGroup("/mentee/{menteeId}").WithTags("Mentees")
            .AddEndpointFilter(Validation.RouteIdsAsync)
            .AddEndpointFilter(OnlyThatMenteeAsync);

        mentees.MapPut("/", UpsertProfileAsync).WithSummary("Create or update the caller's mentee profile");
        mentees.MapGet("/", GetAsync).WithSummary("The caller's profile, followed mentors and devices");
        mentees.MapPut("/following/{mentorId}", FollowAsync).WithSummary("Follow a mentor (idempotent)");
        mentees.MapDelete("/following/{mentorId}", UnfollowAsync).WithSummary("Unfollow a mentor (idempotent)");
        mentees.MapPut("/devices/{deviceId}", RegisterDeviceAsync).WithSummary("Register or update a push device");
        mentees.MapGet("/notifications", ListNotificationsAsync).WithSummary("The caller's notifications, newest last, cursor paged");
    }

    /// <summary>Everything under /mentee/{menteeId} is private to that mentee.</summary>
    private static ValueTask<object?> OnlyThatMenteeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var menteeId = context.HttpContext.Request.RouteValues["menteeId"] as string;
        return menteeId is not null && context.HttpContext.User.IsMentee(menteeId)
            ? next(context)
            : ValueTask.FromResult<object?>(Validation.Forbidden("Only that mentee can do this."));
    }

    private static async Task<Ok<MenteeResponse>> UpsertProfileAsync(string menteeId, MenteeProfileRequest request, IGrainFactory grains)
    {
        var mentee = grains.GetGrain<IMenteeGrain>(menteeId);
        await mentee.UpsertProfileAsync(request.DisplayName ?? string.Empty);
        return TypedResults.Ok(MenteeResponse.From((await mentee.GetAsync())!));
    }

    private static async Task<Results<Ok<MenteeResponse>, ProblemHttpResult>> GetAsync(string menteeId, IGrainFactory grains)
    {
        var mentee = await grains.GetGrain<IMenteeGrain>(menteeId).GetAsync();
        return mentee is null
            ? Validation.NotFound("menteeId", $"Mentee '{menteeId}' does not exist.")
            : TypedResults.Ok(MenteeResponse.From(mentee));
    }

    private static async Task<NoContent> FollowAsync(string menteeId, string mentorId, IGrainFactory grains, CancellationToken cancellationToken)
    {
        await grains.GetGrain<IMenteeGrain>(menteeId).FollowAsync(mentorId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> UnfollowAsync(string menteeId, string mentorId, IGrainFactory grains, CancellationToken cancellationToken)
    {
        await grains.GetGrain<IMenteeGrain>(menteeId).UnfollowAsync(mentorId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<NotificationListResponse>, ValidationProblem, ProblemHttpResult>> ListNotificationsAsync(
        string menteeId, string? after, int? limit, IGrainFactory grains)
    {
        if (Validation.Paging(after, limit) is { } invalid)
        {
            return invalid;
        }

        if (await grains.GetGrain<IMenteeGrain>(menteeId).GetAsync() is null)
        {
            return Validation.NotFound("menteeId", $"Mentee '{menteeId}' does not exist.");
        }

        var page = await grains.GetGrain<IInboxGrain>(menteeId).ListAsync(after, limit ?? Limits.DefaultPageSize);
        return TypedResults.Ok(NotificationListResponse.From(page));
    }

    private static async Task<Results<Ok<DeviceResponse>, ValidationProblem>> RegisterDeviceAsync(
        string menteeId, string deviceId, DeviceRequest request, IGrainFactory grains, CancellationToken cancellationToken)
    {
        PushPlatform platform;
        switch (request.Platform)
        {
            case "apns":
                platform = PushPlatform.Apns;
                break;
            case "fcm":
                platform = PushPlatform.Fcm;
                break;
            default:
                return Validation.Invalid("platform", "'platform' must be 'apns' or 'fcm'.");
        }

        var device = await grains.GetGrain<IMenteeGrain>(menteeId)
            .RegisterDeviceAsync(deviceId, platform, request.Token ?? string.Empty, cancellationToken);
        return TypedResults.Ok(DeviceResponse.From(device));
    }
}
