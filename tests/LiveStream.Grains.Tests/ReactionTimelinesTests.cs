using LiveStream.Abstractions;
using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Grains.Tests;

public sealed class ReactionTimelinesTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 18, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Reactions_fall_into_buckets_counted_from_the_recording_start_and_empty_buckets_are_left_out()
    {
        // Arrange
        TimelinePoint[] points =
        [
            new(Start.AddSeconds(3), "clap", 2),
            new(Start.AddSeconds(9), "heart", 1),
            new(Start.AddSeconds(10), "clap", 4),
            new(Start.AddSeconds(47), "like", 1),
            new(Start.AddSeconds(-1), "like", 1), // accepted a moment before the recorded start
        ];

        // Act
        var timeline = ReactionTimelines.Build(Start, 10, points);

        // Assert
        Assert.Equal(Start, timeline.RecordingStart);
        Assert.Equal([0, 10, 40], timeline.Buckets.Select(bucket => bucket.OffsetSeconds));
        Assert.Equal([4L, 4L, 1L], timeline.Buckets.Select(bucket => bucket.Total));
        Assert.Equal(2, timeline.Buckets[0].Counts["clap"]);
        Assert.Equal(1, timeline.Buckets[0].Counts["like"]);
    }

    [Fact]
    public void A_session_that_never_started_has_an_empty_timeline()
    {
        var timeline = ReactionTimelines.Build(null, 10, []);

        Assert.Null(timeline.RecordingStart);
        Assert.Empty(timeline.Buckets);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(3601)]
    public void A_bucket_outside_one_second_to_an_hour_is_refused_naming_the_field(int bucket)
    {
        var error = Assert.Throws<DomainException>(() => ReactionTimelines.Build(Start, bucket, []));

        Assert.Equal(DomainErrorKind.Invalid, error.Kind);
        Assert.Equal("bucket", error.Field);
    }
}
