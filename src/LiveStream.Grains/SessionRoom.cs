using System.Collections.Immutable;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Reactions;
using LiveStream.Infrastructure.Postgres;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Orleans.Utilities;

namespace LiveStream.Grains;

/// <summary>
/// The reactions and comments of one session, owned by its session grain: validation, group-committed
/// durable writes, and the in-memory <see cref="ReactionBoard"/> the hot reads are answered from.
/// </summary>
public sealed class SessionRoom(IInteractionStore store, string liveId, TimeProvider clock, LiveStreamMetrics metrics, ILogger logger)
{
    /// <summary>Observers renew well within this; a dead API process drops out after it.</summary>
    public static readonly TimeSpan FeedExpiry = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How often the feed sends changed counts and viewers: a viewer sees a reaction well within a second, and a busy
    /// session still costs at most four messages a second per API process however many react.
    /// </summary>
    public static readonly TimeSpan FeedTick = TimeSpan.FromMilliseconds(250);

    private readonly ObserverManager<ISessionFeedObserver> _feed = new(FeedExpiry, logger);

    /// <summary>Enough to turn many concurrent taps into one round-trip, small enough to keep a flush short.</summary>
    public const int MaxBatchSize = 256;

    /// <summary>How many of the newest comments a reaction's answer carries.</summary>
    public const int LatestCommentsInAnswer = 20;

    private Task<ReactionBoard>? _board;
    private GroupCommit<PendingInteraction, AppendResult>? _writer;

    private GroupCommit<PendingInteraction, AppendResult> Writer =>
        _writer ??= new GroupCommit<PendingInteraction, AppendResult>(batch => store.AppendAsync(liveId, batch), MaxBatchSize);

    // Loaded once per activation and shared by every interleaved caller.
    private Task<ReactionBoard> BoardAsync() => _board ??= ReactionBoard.LoadAsync(store, liveId);

    /// <summary>Reactions and comments recorded until the scope ends go to PostgreSQL in one flush (see <see cref="GroupCommit{TItem, TResult}.Gather"/>).</summary>
    public IDisposable GatherWrites() => Writer.Gather();

    public async Task<ReactionSnapshot> ReactAsync(Interaction interaction)
    {
        var board = await RecordAsync(interaction);
        var latest = board.CommentsAfter(null, LatestCommentsInAnswer)!.Value;
        return new ReactionSnapshot(board.Counts, latest, latest.IsEmpty ? null : latest[^1].CommentId);
    }

    /// <summary>As <see cref="ReactAsync"/>, answering with the counts only (no latest comments to copy).</summary>
    public async Task<ImmutableDictionary<string, long>> ReactForCountsAsync(Interaction interaction) => (await RecordAsync(interaction)).Counts;

    /// <summary>Validates, waits for the group commit that makes it durable, then applies it to the board.</summary>
    private async Task<ReactionBoard> RecordAsync(Interaction interaction)
    {
        var pending = Validate(interaction);
        var board = await BoardAsync();
        var result = await Writer.WriteAsync(pending);
        if (result.KeyReused)
        {
            throw DomainException.IdempotencyKeyReused("This Idempotency-Key was already used for a different reaction or comment in this session.");
        }

        if (result.Inserted)
        {
            if (pending.Kind is { } kind)
            {
                board.AddReaction(kind);
                metrics.RecordReaction(kind);
            }
            else
            {
                metrics.RecordComment();
                var comment = new Comment(result.CommentId!.Value, pending.UserId, pending.Comment!, pending.At);
                board.AddComment(comment);
                await _feed.Notify(observer => observer.OnCommentAsync(liveId, comment));
            }
        }

        return board;
    }

    public async Task<ReactionSnapshot> GetAsync(long? afterCommentId, int limit)
    {
        limit = Math.Clamp(limit, 1, Limits.MaxPageSize);
        var board = await BoardAsync();
        var comments = board.CommentsAfter(afterCommentId, limit)
            ?? [.. await store.ListCommentsAsync(liveId, afterCommentId ?? 0, limit)];
        var next = comments.IsEmpty ? afterCommentId : comments[^1].CommentId;
        return new ReactionSnapshot(board.Counts, comments, next);
    }

    public async Task<ImmutableDictionary<string, long>> CountsAsync() => (await BoardAsync()).Counts;

    public bool HasFeedObservers => _feed.Count > 0;

    public void Subscribe(ISessionFeedObserver observer) => _feed.Subscribe(observer, observer);

    public void Unsubscribe(ISessionFeedObserver observer)
    {
        _feed.Unsubscribe(observer);
        _viewers.Remove(observer);
    }

    /// <summary>SSE viewers per API process (observer); a process whose registration expired counts for nobody.</summary>
    private readonly Dictionary<ISessionFeedObserver, int> _viewers = [];
    private int _publishedViewers;

    public int Viewers => _viewers.Where(entry => _feed.Observers.ContainsKey(entry.Key)).Sum(entry => entry.Value);

    /// <summary>Called after <see cref="Subscribe"/> renewed the observer's registration.</summary>
    public void ReportViewers(ISessionFeedObserver observer, int viewers) => _viewers[observer] = Math.Max(0, viewers);

    /// <summary>Tells the feed about a state change, so open pages switch from waiting to playing to the recording.</summary>
    public Task PublishStateAsync(Abstractions.Sessions.SessionState state) =>
        _feed.Count == 0 ? Task.CompletedTask : _feed.Notify(observer => observer.OnStateChangedAsync(liveId, state));

    private async Task PublishViewersAsync()
    {
        foreach (var expired in _viewers.Keys.Where(observer => !_feed.Observers.ContainsKey(observer)).ToList())
        {
            _viewers.Remove(expired);
        }

        var viewers = Viewers;
        if (viewers != _publishedViewers)
        {
            _publishedViewers = viewers;
            await _feed.Notify(observer => observer.OnViewersAsync(liveId, viewers));
        }
    }

    private ImmutableDictionary<string, long>? _publishedCounts;

    /// <summary>The counts of the live feed, sent on the feed's tick when they changed since the last one.</summary>
    public async Task PublishCountsAsync()
    {
        _feed.ClearExpired();
        if (_feed.Count == 0)
        {
            return;
        }

        var counts = (await BoardAsync()).Counts;
        // The board builds a new snapshot per change, so an unchanged reference means nothing to send.
        if (!ReferenceEquals(counts, _publishedCounts))
        {
            _publishedCounts = counts;
            await _feed.Notify(observer => observer.OnCountsAsync(liveId, counts));
        }

        await PublishViewersAsync();
    }

    public async Task<bool> DeleteCommentAsync(long commentId)
    {
        var board = await BoardAsync();
        var deleted = await store.DeleteCommentAsync(liveId, commentId);
        board.RemoveComment(commentId);
        if (deleted)
        {
            await _feed.Notify(observer => observer.OnCommentDeletedAsync(liveId, commentId));
        }

        return deleted;
    }

    private PendingInteraction Validate(Interaction interaction)
    {
        if (!Limits.IsValidId(interaction.UserId))
        {
            throw DomainException.Invalid("userId", $"'userId' must match {Limits.IdPattern}.");
        }

        Validation.OptionalIdempotencyKey(interaction.IdempotencyKey);

        var requestKey = interaction.IdempotencyKey is { Length: > 0 } key ? key : Guid.NewGuid().ToString("N");
        var now = clock.GetUtcNow();
        return (interaction.Kind, interaction.Comment) switch
        {
            ({ } kind, null) when ReactionKinds.IsKnown(kind) => new PendingInteraction(interaction.UserId, requestKey, kind, null, now),
            ({ }, null) => throw DomainException.Invalid("reaction", $"'reaction' must be one of: {string.Join(", ", ReactionKinds.All)}."),
            (null, { } text) => new PendingInteraction(interaction.UserId, requestKey, null, CommentText.Clean(text), now),
            (null, null) => throw DomainException.Invalid("reaction", "Send either 'reaction' or 'comment'."),
            _ => throw DomainException.Invalid("comment", "Send either 'reaction' or 'comment', not both."),
        };
    }
}

/// <summary>Content checks for comments: length, visible text, no control characters.</summary>
public static class CommentText
{
    public static string Clean(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw DomainException.Invalid("comment", "'comment' is empty.");
        }

        if (trimmed.Length > Limits.MaxCommentLength)
        {
            throw DomainException.Invalid("comment", $"'comment' is longer than {Limits.MaxCommentLength} characters.");
        }

        if (Limits.TextProblem(trimmed, multiline: true) is { } problem)
        {
            throw DomainException.Invalid("comment", $"'comment' {problem}.");
        }

        return trimmed;
    }
}
