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
    Task<SessionSnapshot?> GetAsync();

    /// <summary>Creates the session. Idempotent for the same definition; a different one is a conflict.</summary>
    [Alias("schedule")]
    [Idempotent]
    Task<SessionSnapshot> ScheduleAsync(SessionDefinition definition);

    /// <summary>Idempotent: cancelling a cancelled session succeeds; cancelling one that went live is a conflict.</summary>
    [Alias("cancel")]
    [Idempotent]
    Task<SessionSnapshot> CancelAsync();

    /// <summary>
    /// Records a reaction or comment while the session is live and answers with the room as it is now.
    /// Answered only once the write is durable; the same idempotency key from the same user counts once.
    /// Interleaves so concurrent viewers share group commits instead of queueing one write each.
    /// </summary>
    /// <param name="mentorId">The mentor the caller addressed; another mentor's session is not found.</param>
    /// <exception cref="DomainException">Invalid input; NotFound; Conflict when the session is not live.</exception>
    [Alias("react")]
    [AlwaysInterleave]
    Task<ReactionSnapshot> ReactAsync(string mentorId, Interaction interaction);

    /// <summary>Counts and the comments after a cursor (the newest ones without one), oldest first.</summary>
    [Alias("get-reactions")]
    [AlwaysInterleave]
    Task<ReactionSnapshot> GetReactionsAsync(string mentorId, long? afterCommentId, int limit);

    /// <summary>
    /// Registers (or renews) an observer that gets counts once a second and every new comment. Registrations
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

    [Alias("unsubscribe-feed")]
    [AlwaysInterleave]
    Task UnsubscribeFeedAsync(ISessionFeedObserver observer);
}
