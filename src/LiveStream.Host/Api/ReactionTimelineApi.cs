using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LiveStream.Host.Api;

public sealed record TimelineBucketResponse(int OffsetSeconds, IReadOnlyDictionary<string, long> Counts, long Total);

/// <summary>The replay strip: <c>offsetSeconds</c> of each bucket counts from <c>recordingStart</c>; buckets without reactions are left out.</summary>
public sealed record TimelineResponse(DateTimeOffset? RecordingStart, int BucketSeconds, IReadOnlyList<TimelineBucketResponse> Buckets)
{
    public static TimelineResponse From(ReactionTimeline timeline) => new(
        timeline.RecordingStart, timeline.BucketSeconds, [.. timeline.Buckets.Select(bucket => new TimelineBucketResponse(bucket.OffsetSeconds, bucket.Counts, bucket.Total))]);
}

public static class ReactionTimelineApi
{
    public const int DefaultBucketSeconds = 10;

    public static void MapReactionTimelineApi(this IEndpointRouteBuilder app)
    {
        var timeline = app.MapGroup("/mentor/{mentorId}/live/{liveId}/timeline").WithTags("Reactions").AddEndpointFilter(Validation.RouteIdsAsync);
        timeline.MapGet("/", GetAsync)
            .WithSummary($"Reactions per time bucket (`bucket` seconds, default {DefaultBucketSeconds}), offsets from the recording's start, for the replay strip");
    }

    private static async Task<Ok<TimelineResponse>> GetAsync(string mentorId, string liveId, int? bucket, IGrainFactory grains) =>
        TypedResults.Ok(TimelineResponse.From(await grains.GetGrain<ILiveSessionGrain>(liveId).GetTimelineAsync(mentorId, bucket ?? DefaultBucketSeconds)));
}
