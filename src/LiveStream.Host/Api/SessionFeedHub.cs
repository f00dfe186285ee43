using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using LiveStream.Abstractions.Reactions;
using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Telemetry;

namespace LiveStream.Host.Api;

/// <summary>One event of a viewer's live feed.</summary>
public sealed record FeedEvent(string Type, object Data);

/// <summary>SSE <c>comment-deleted</c>: the mentor removed this comment.</summary>
public sealed record CommentDeletedEvent(long CommentId);

/// <summary>SSE <c>state</c>: the session changed state; the page reloads the detail for its playback or recording URL.</summary>
public sealed record SessionStateEvent(SessionState State);

/// <summary>SSE <c>viewers</c>: how many watch now, over every API process.</summary>
public sealed record ViewersEvent(int Viewers);

/// <summary>
/// The SSE viewers of this API process, grouped by session: each session with viewers here has one
/// observer registered with its grain, renewed periodically, and fans each event out to local viewers.
/// A viewer that cannot keep up loses the oldest events rather than slowing the others down.
/// </summary>
public sealed class SessionFeedHub(IGrainFactory grains, HotViewCache views, LiveStreamMetrics metrics, ILogger<SessionFeedHub> logger) : IAsyncDisposable
{
    private static readonly TimeSpan Renewal = TimeSpan.FromSeconds(20);

    /// <summary>How often a changed local viewer count is reported to the session grain (one message per process, not per viewer).</summary>
    private static readonly TimeSpan ViewerReport = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, LocalFeed> _feeds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public async Task<ChannelReader<FeedEvent>> JoinAsync(string mentorId, string liveId, CancellationToken cancellationToken)
    {
        var viewer = Channel.CreateBounded<FeedEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        LocalFeed feed;
        lock (_gate)
        {
            feed = _feeds.GetOrAdd(liveId, id => new LocalFeed(id, mentorId, grains, views, logger));
            feed.Add(viewer.Writer);
            metrics.ViewerJoined(liveId);
        }

        cancellationToken.Register(() => Leave(feed, viewer.Writer));
        try
        {
            await feed.EnsureSubscribedAsync(Renewal);
        }
        catch
        {
            Leave(feed, viewer.Writer);
            throw;
        }

        return viewer.Reader;
    }

    private void Leave(LocalFeed feed, ChannelWriter<FeedEvent> viewer)
    {
        bool last;
        lock (_gate)
        {
            // Both the failed join and the request's end call this; only the first removal counts.
            var (removed, wasLast) = feed.Remove(viewer);
            if (removed)
            {
                metrics.ViewerLeft(feed.LiveId);
            }

            last = wasLast;
            if (last)
            {
                _feeds.TryRemove(new KeyValuePair<string, LocalFeed>(feed.LiveId, feed));
            }
        }

        viewer.TryComplete();
        if (last)
        {
            _ = feed.DisposeAsync().AsTask();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var feed in _feeds.Values)
        {
            await feed.DisposeAsync();
        }

        _feeds.Clear();
    }

    private sealed class LocalFeed(string liveId, string mentorId, IGrainFactory grains, HotViewCache views, ILogger logger) : ISessionFeedObserver, IAsyncDisposable
    {
        private readonly ConcurrentDictionary<ChannelWriter<FeedEvent>, byte> _viewers = new();
        private readonly CancellationTokenSource _stopping = new();
        private ISessionFeedObserver? _reference;
        private Task? _renewing;
        private Task? _reportingViewers;

        public string LiveId => liveId;

        public void Add(ChannelWriter<FeedEvent> viewer) => _viewers[viewer] = 0;

        /// <summary>Whether the viewer was still here, and whether it was the last one.</summary>
        public (bool Removed, bool Last) Remove(ChannelWriter<FeedEvent> viewer) =>
            _viewers.TryRemove(viewer, out _) ? (true, _viewers.IsEmpty) : (false, false);

        public async Task EnsureSubscribedAsync(TimeSpan renewal)
        {
            var session = grains.GetGrain<ILiveSessionGrain>(liveId);
            lock (_viewers)
            {
                // The reference keeps this object reachable only weakly; the hub holds the strong reference.
                _reference ??= grains.CreateObjectReference<ISessionFeedObserver>(this);
            }

            await session.SubscribeFeedAsync(mentorId, _reference);
            lock (_viewers)
            {
                _renewing ??= RenewAsync(session, renewal);
                _reportingViewers ??= ReportViewersAsync(session);
            }
        }

        public Task OnCountsAsync(string liveId, ImmutableDictionary<string, long> counts) => Broadcast(new FeedEvent("counts", counts));

        public Task OnCommentAsync(string liveId, Comment comment) => Broadcast(new FeedEvent("comment", CommentResponse.From(comment)));

        public Task OnCommentDeletedAsync(string liveId, long commentId) => Broadcast(new FeedEvent("comment-deleted", new CommentDeletedEvent(commentId)));

        public Task OnStateChangedAsync(string liveId, SessionState state)
        {
            // A page told of the change reads the detail next (for its playback or recording URL): the view this
            // process holds predates the change, and serving it would put a page that just heard "ending" back on the
            // live stream, whose files are about to go.
            views.ForgetSession(liveId);
            return Broadcast(new FeedEvent("state", new SessionStateEvent(state)));
        }

        public Task OnViewersAsync(string liveId, int viewers) => Broadcast(new FeedEvent("viewers", new ViewersEvent(viewers)));

        private Task Broadcast(FeedEvent feedEvent)
        {
            foreach (var viewer in _viewers.Keys)
            {
                viewer.TryWrite(feedEvent);
            }

            return Task.CompletedTask;
        }

        private async Task RenewAsync(ILiveSessionGrain session, TimeSpan renewal)
        {
            using var timer = new PeriodicTimer(renewal);
            try
            {
                while (await timer.WaitForNextTickAsync(_stopping.Token))
                {
                    try
                    {
                        await session.SubscribeFeedAsync(mentorId, _reference!);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        // A silo moving the grain is transient; the next renewal re-registers.
                        logger.LogWarning(exception, "Renewing the live feed of session {LiveId} failed", liveId);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ReportViewersAsync(ILiveSessionGrain session)
        {
            using var timer = new PeriodicTimer(ViewerReport);
            var reported = -1;
            try
            {
                do
                {
                    var viewers = _viewers.Count;
                    if (viewers == reported)
                    {
                        continue;
                    }

                    try
                    {
                        await session.ReportViewersAsync(mentorId, _reference!, viewers);
                        reported = viewers;
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        logger.LogWarning(exception, "Reporting the viewers of session {LiveId} failed", liveId);
                    }
                }
                while (await timer.WaitForNextTickAsync(_stopping.Token));
            }
            catch (OperationCanceledException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stopping.CancelAsync();
            if (_renewing is not null)
            {
                await _renewing;
            }

            if (_reportingViewers is not null)
            {
                await _reportingViewers;
            }

            if (_reference is not null)
            {
                try
                {
                    await grains.GetGrain<ILiveSessionGrain>(liveId).UnsubscribeFeedAsync(_reference);
                }
                catch (Exception exception)
                {
                    logger.LogDebug(exception, "Unsubscribing the live feed of session {LiveId} failed; it will expire", liveId);
                }

                grains.DeleteObjectReference<ISessionFeedObserver>(_reference);
            }

            _stopping.Dispose();
        }
    }
}
