using System.Collections.Immutable;
using Orleans.Concurrency;

namespace LiveStream.Abstractions.Reactions;

/// <summary>
/// An API process listening to a session's room on behalf of its SSE viewers. One observer per process and
/// session, whatever the number of viewers, so a popular session costs the grain one message per API node.
/// </summary>
[Alias("livestream.session-feed-observer")]
public interface ISessionFeedObserver : IGrainObserver
{
    [OneWay]
    [Alias("on-counts")]
    Task OnCountsAsync(string liveId, ImmutableDictionary<string, long> counts);

    [OneWay]
    [Alias("on-comment")]
    Task OnCommentAsync(string liveId, Comment comment);

    /// <summary>The mentor removed a comment: viewers drop it from their list.</summary>
    [OneWay]
    [Alias("on-comment-deleted")]
    Task OnCommentDeletedAsync(string liveId, long commentId);

    /// <summary>The session changed state (e.g. live, ended, recorded): viewers reload the detail for its URLs.</summary>
    [OneWay]
    [Alias("on-state-changed")]
    Task OnStateChangedAsync(string liveId, Sessions.SessionState state);

    /// <summary>The number of SSE viewers over every API process, sent when it changed.</summary>
    [OneWay]
    [Alias("on-viewers")]
    Task OnViewersAsync(string liveId, int viewers);
}
