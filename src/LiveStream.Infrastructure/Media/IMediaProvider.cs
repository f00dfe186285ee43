namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Creates, stops and deletes the media resources of one live session. The session grain is the only caller and
/// the single source of truth; every method is idempotent so a retried or replayed grain turn does no harm.
/// </summary>
public interface IMediaProvider
{
    /// <summary>Which provider produced a channel ("local" or "aws"), stored with it.</summary>
    string Name { get; }

    /// <summary>How long before the scheduled start the channel should be prepared (zero: nothing to pre-warm).</summary>
    TimeSpan PrewarmLead { get; }

    /// <summary>
    /// True when the ingest reports publishers connecting and leaving (local nginx callbacks); otherwise a started
    /// channel counts as live at once and only the maximum duration bounds it.
    /// </summary>
    bool ReportsPublisher { get; }

    /// <summary>Where the mentor's encoder publishes for a session whose secret stream key is <paramref name="streamKey"/>.</summary>
    Task<MediaIngest> GetIngestAsync(string liveId, string streamKey, MediaChannel? channel, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the session's channel, or completes the part of it <paramref name="existing"/> names, and makes it
    /// ready to receive the publisher. <paramref name="checkpoint"/> is awaited after each resource is created and
    /// before the next call that depends on it, so the caller can save every id: a retry after a failure or a crash at
    /// any step finds what exists (by saved id or deterministic name) instead of creating a second one.
    /// </summary>
    Task<MediaChannel> StartChannelAsync(string liveId, string streamKey, MediaChannel? existing, Func<MediaChannel, Task> checkpoint, CancellationToken cancellationToken);

    /// <summary>True once the channel's playback URL answers with a playlist listing at least one segment.</summary>
    Task<bool> IsPlayableAsync(MediaChannel channel, CancellationToken cancellationToken);

    /// <summary>Stops the input (drops a connected publisher) and requests the recording.</summary>
    Task<MediaRecordingRequest> StopChannelAsync(MediaChannel channel, CancellationToken cancellationToken);

    /// <summary>Deletes every resource of the session that is no longer needed; safe to call repeatedly.</summary>
    Task DeleteChannelAsync(MediaChannel channel, CancellationToken cancellationToken);
}

/// <summary>What a stop produced: a recording URL now (local pipeline), or later through an event (AWS harvest).</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.media-recording-request")]
public sealed record MediaRecordingRequest(
    [property: Id(0)] string? RecordingUrl,
    [property: Id(1)] bool Pending);

[GenerateSerializer, Immutable]
[Alias("livestream.media-ingest")]
public sealed record MediaIngest(
    [property: Id(0)] string Url,
    [property: Id(1)] string StreamKey);

/// <summary>The media resources of one session, persisted in the session grain's state.</summary>
[GenerateSerializer, Immutable]
[Alias("livestream.media-channel")]
public sealed record MediaChannel(
    [property: Id(0)] string Provider,
    [property: Id(1)] string LiveId,
    [property: Id(2)] string PlaybackUrl,
    [property: Id(3)] IReadOnlyDictionary<string, string> Resources);
