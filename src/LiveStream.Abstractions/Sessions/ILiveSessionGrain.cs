using LiveStream.Abstractions.Reactions;
using Orleans.Concurrency;

namespace LiveStream.Abstractions.Sessions;

/// <summary>
/// One live session: the single source of truth for its state machine. Keyed by live id.
/// </summary>
[Alias("livestream.live-session")]
public interface ILiveSessionGrain : IGrainWithStringKey
{
    /// <summary>Null when no session with this id was ever scheduled.</summary>
    [Alias("get")]
    [Idempotent]
    Task<SessionSnapshot?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The session with its reaction counts, for the detail page: one message instead of a session read followed by
    /// a reaction read. Null when no session with this id was ever scheduled. Read-only, so concurrent detail reads
    /// of a popular session interleave with each other.
    /// </summary>
    [Alias("get-view")]
    [Idempotent]
    [ReadOnly]
    Task<SessionView?> GetViewAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the session. Idempotent for the same definition; a different one is a conflict.</summary>
    [Alias("schedule")]
    [Idempotent]
    Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition);

    // The mentor's commands take the caller's mentor id: the grain checks ownership (Forbidden for another mentor,
    // NotFound for no session) and answers with what the response needs, so no read precedes a command.

    /// <summary>Idempotent: cancelling a cancelled session succeeds; cancelling one that went live is a conflict.</summary>
    [Alias("cancel")]
    [Idempotent]
    Task<SessionSnapshot> CancelAsync(string callerMentorId);

    /// <summary>The ingest URL and secret stream key (created on first use); only before the session ends.</summary>
    [Alias("get-ingest")]
    [Idempotent]
    Task<SessionIngest> GetIngestAsync(string callerMentorId);

    /// <summary>Creates the media channel and waits for the publisher. Idempotent while starting or live; a conflict once over.</summary>
    [Alias("start")]
    [ResponseTimeout("00:00:30")]
    Task<SessionSnapshot> StartAsync(string callerMentorId);

    /// <summary>Stops the channel and produces the recording. Idempotent once ending; a conflict before the session started.</summary>
    [Alias("stop")]
    [ResponseTimeout("00:00:30")]
    Task<SessionSnapshot> StopAsync(string callerMentorId);

    /// <summary>Media event: a publisher connected with a stream key. True accepts it; a wrong key or a second publisher is refused.</summary>
    [Alias("authorize-publish")]
    Task<bool> AuthorizePublishAsync(PublishAttempt attempt);

    /// <summary>Media event: the publisher with this connection id went away. Late or duplicate events are ignored.</summary>
    [Alias("publish-ended")]
    Task PublishEndedAsync(string connectionId);

    /// <summary>
    /// Media event from a cloud encoder that reports input alarms instead of publisher connections: the session
    /// goes live when every input alarm is clear, and a raised one starts the reconnect grace. Stale or duplicated
    /// signals (older than the last one seen for the same alarm) are ignored.
    /// </summary>
    [Alias("input-signal")]
    [Idempotent]
    Task InputSignalAsync(MediaInputSignal signal);

    /// <summary>Media event: the recording is available (AWS: S3 object created). Idempotent.</summary>
    [Alias("recording-ready")]
    Task RecordingReadyAsync(string recordingUrl);

    /// <summary>
    /// Records a reaction or comment while the session is live and answers with the room as it is now.
    /// Answered only once the write is durable; the same idempotency key from the same user counts once.
    /// Interleaves so concurrent viewers share group commits instead of queueing one write each.
    /// </summary>
    /// <param name="mentorId">The mentor the caller addressed; another mentor's session is not found.</param>
    /// <exception cref="DomainException">Invalid input; NotFound; Conflict when the session is not live.</exception>
    [Alias("react")]
    [AlwaysInterleave]
    Task<ReactionSnapshot> ReactAsync(string mentorId, Interaction interaction, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="ReactAsync"/> for several reactions and comments at once, each answered with the counts including
    /// it or with why it was refused: an API process sends what its viewers posted while its previous batch to this
    /// session was in flight, so a busy session costs one cluster call per batch rather than one per tap. Viewers get
    /// comments over the live feed, so the answers carry counts only. Every item carries its request key (the client's
    /// Idempotency-Key, else one the API process made for the request), so a repeated batch counts each item once.
    /// </summary>
    /// <exception cref="DomainException">NotFound, or Conflict when the session is not live: for the whole batch.</exception>
    [Alias("react-batch")]
    [AlwaysInterleave]
    [Idempotent]
    Task<System.Collections.Immutable.ImmutableArray<InteractionOutcome>> ReactBatchAsync(
        string mentorId, System.Collections.Immutable.ImmutableArray<Interaction> interactions, CancellationToken cancellationToken = default);

    /// <summary>Counts and the comments after a cursor (the newest ones without one), oldest first.</summary>
    [Alias("get-reactions")]
    [AlwaysInterleave]
    [Idempotent]
    Task<ReactionSnapshot> GetReactionsAsync(string mentorId, long? afterCommentId, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Registers (or renews) an observer that gets changed counts (at most 4 a second), every new and deleted comment, state changes and viewers. Registrations
    /// expire unless renewed, so an API process that died stops costing messages on its own.
    /// </summary>
    [Alias("subscribe-feed")]
    [AlwaysInterleave]
    Task SubscribeFeedAsync(string mentorId, ISessionFeedObserver observer);

    /// <summary>The mentor removes a comment from the room; false when there is no such visible comment.</summary>
    [Alias("delete-comment")]
    Task<bool> DeleteCommentAsync(string mentorId, long commentId);

    /// <summary>The mentor silences a viewer for this session: their reactions and comments are refused.</summary>
    [Alias("mute")]
    Task MuteAsync(string mentorId, string userId);

    [Alias("unmute")]
    Task UnmuteAsync(string mentorId, string userId);

    /// <summary>
    /// An API process reports how many SSE viewers it serves for this session (and renews its registration); the
    /// session's viewer count is the sum over live registrations.
    /// </summary>
    [Alias("report-viewers")]
    [AlwaysInterleave]
    Task ReportViewersAsync(string mentorId, ISessionFeedObserver observer, int viewers);

    /// <summary>Reactions per bucket of <paramref name="bucketSeconds"/>, offsets from the recording's start.</summary>
    [Alias("get-timeline")]
    [AlwaysInterleave]
    [Idempotent]
    Task<ReactionTimeline> GetTimelineAsync(string mentorId, int bucketSeconds, CancellationToken cancellationToken = default);

    [Alias("unsubscribe-feed")]
    [AlwaysInterleave]
    Task UnsubscribeFeedAsync(ISessionFeedObserver observer);
}
