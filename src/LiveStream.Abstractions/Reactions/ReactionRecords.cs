using System.Collections.Immutable;

namespace LiveStream.Abstractions.Reactions;

/// <summary>One reaction or one comment from a viewer; exactly one of <see cref="Kind"/> and <see cref="Comment"/> is set.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.interaction")]
public sealed record Interaction(
    [property: Id(0)] string UserId,
    [property: Id(1)] string? Kind,
    [property: Id(2)] string? Comment,
    [property: Id(3)] string? IdempotencyKey) : IIdempotentCommand;

/// <summary>One item of a reaction batch: the counts including it, or the refusal a single call would have thrown.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.interaction-outcome")]
public sealed record InteractionOutcome(
    [property: Id(0)] ImmutableDictionary<string, long>? Counts,
    [property: Id(1)] DomainErrorKind ErrorKind,
    [property: Id(2)] string? Error,
    [property: Id(3)] string? ErrorField)
{
    public static InteractionOutcome Accepted(ImmutableDictionary<string, long> counts) => new(counts, default, null, null);

    public static InteractionOutcome Refused(DomainException refusal) => new(null, refusal.Kind, refusal.Message, refusal.Field);

    /// <summary>The counts, or the refusal thrown as the <see cref="DomainException"/> the HTTP layer maps to a problem.</summary>
    public ImmutableDictionary<string, long> CountsOrThrow() => Counts ?? throw new DomainException(ErrorKind, Error ?? "Refused.", ErrorField);
}

[GenerateSerializer, Immutable]
[Alias("livestream.comment")]
public sealed record Comment(
    [property: Id(0)] long CommentId,
    [property: Id(1)] string UserId,
    [property: Id(2)] string Text,
    [property: Id(3)] DateTimeOffset PostedAt);

/// <summary>What viewers see of the room: counts per kind and comments after a cursor.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.reaction-snapshot")]
public sealed record ReactionSnapshot(
    [property: Id(0)] ImmutableDictionary<string, long> Counts,
    [property: Id(1)] ImmutableArray<Comment> Comments,
    [property: Id(2)] long? NextCursor);

/// <summary>
/// Reactions per time bucket of a session, for the replay strip: <see cref="TimelineBucket.OffsetSeconds"/> counts
/// from <see cref="RecordingStart"/> (when the session went live, where its recording begins); empty buckets are left out.
/// </summary>
[GenerateSerializer, Immutable]
[Alias("livestream.reaction-timeline")]
public sealed record ReactionTimeline(
    [property: Id(0)] DateTimeOffset? RecordingStart,
    [property: Id(1)] int BucketSeconds,
    [property: Id(2)] ImmutableArray<TimelineBucket> Buckets);

[GenerateSerializer, Immutable]
[Alias("livestream.timeline-bucket")]
public sealed record TimelineBucket(
    [property: Id(0)] int OffsetSeconds,
    [property: Id(1)] ImmutableDictionary<string, long> Counts,
    [property: Id(2)] long Total);
