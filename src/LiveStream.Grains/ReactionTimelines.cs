using System.Collections.Immutable;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Reactions;
using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Grains;

/// <summary>Folds the store's reactions per second into buckets aligned to the recording's start (the replay strip).</summary>
public static class ReactionTimelines
{
    public const int MinBucketSeconds = 1;
    public const int MaxBucketSeconds = 3600;

    public static ReactionTimeline Build(DateTimeOffset? recordingStart, int bucketSeconds, IEnumerable<TimelinePoint> points)
    {
        if (bucketSeconds is < MinBucketSeconds or > MaxBucketSeconds)
        {
            throw DomainException.Invalid("bucket", $"'bucket' must be between {MinBucketSeconds} and {MaxBucketSeconds} seconds.");
        }

        if (recordingStart is not { } start)
        {
            return new ReactionTimeline(null, bucketSeconds, []);
        }

        var buckets = points
            // A reaction accepted in the instant before the recorded start still belongs to its first bucket.
            .GroupBy(point => (int)Math.Max(0, Math.Floor((point.Second - start).TotalSeconds / bucketSeconds)) * bucketSeconds)
            .OrderBy(group => group.Key)
            .Select(group =>
            {
                var counts = group.GroupBy(point => point.Kind, StringComparer.Ordinal)
                    .ToImmutableDictionary(kind => kind.Key, kind => kind.Sum(point => point.Count), StringComparer.Ordinal);
                return new TimelineBucket(group.Key, counts, counts.Values.Sum());
            });
        return new ReactionTimeline(start, bucketSeconds, [.. buckets]);
    }
}
