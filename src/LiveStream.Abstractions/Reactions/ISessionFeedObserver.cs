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
}
