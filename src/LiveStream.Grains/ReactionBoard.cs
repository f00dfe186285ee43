using System.Collections.Immutable;
using LiveStream.Abstractions.Reactions;
using LiveStream.Infrastructure.Postgres;

namespace LiveStream.Grains;

/// <summary>
/// A session's room in memory: counts per reaction kind and a window of the newest comments. It is a cache
/// of what the interaction store holds, rebuilt from it when the session grain activates, and only ever
/// advanced by writes the store confirmed as new, so retries and reactivations cannot double-count.
/// </summary>
public sealed class ReactionBoard
{
    public const int CommentWindow = 200;

    private readonly Dictionary<string, long> _counts;
    private readonly LinkedList<Comment> _recent = new();
    private ImmutableDictionary<string, long>? _countsSnapshot;

    private ReactionBoard(IReadOnlyDictionary<string, long> counts, IEnumerable<Comment> recent)
    {
        _counts = ReactionKinds.All.ToDictionary(kind => kind, kind => counts.GetValueOrDefault(kind), StringComparer.Ordinal);
        foreach (var comment in recent)
        {
            _recent.AddLast(comment);
        }
    }

    /// <summary>Comments older than this id are not in memory and must be paged from the store.</summary>
    public long OldestCommentIdInWindow => _recent.First?.Value.CommentId ?? long.MaxValue;

    /// <summary>True when every comment ever posted is in the window (a window that never overflowed).</summary>
    public bool HoldsAllComments { get; private set; }

    public static async Task<ReactionBoard> LoadAsync(IInteractionStore store, string liveId, CancellationToken cancellationToken = default)
    {
        var counts = await store.CountReactionsAsync(liveId, cancellationToken);
        var recent = await store.LatestCommentsAsync(liveId, CommentWindow + 1, cancellationToken);
        var board = new ReactionBoard(counts, recent.Skip(Math.Max(0, recent.Count - CommentWindow)));
        board.HoldsAllComments = recent.Count <= CommentWindow;
        return board;
    }

    public void AddReaction(string kind)
    {
        _counts[kind] = _counts.GetValueOrDefault(kind) + 1;
        _countsSnapshot = null;
    }

    public void AddComment(Comment comment)
    {
        _recent.AddLast(comment);
        if (_recent.Count > CommentWindow)
        {
            _recent.RemoveFirst();
            HoldsAllComments = false;
        }
    }

    public bool RemoveComment(long commentId)
    {
        for (var node = _recent.First; node is not null; node = node.Next)
        {
            if (node.Value.CommentId == commentId)
            {
                _recent.Remove(node);
                return true;
            }
        }

        return false;
    }

    /// <summary>Built once per change, not per read: every reaction answer and feed tick carries the counts.</summary>
    public ImmutableDictionary<string, long> Counts => _countsSnapshot ??= _counts.ToImmutableDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Comments after <paramref name="afterCommentId"/> (or the newest ones when null), oldest first, when the
    /// window covers that range; null when the caller must page the store instead.
    /// </summary>
    public ImmutableArray<Comment>? CommentsAfter(long? afterCommentId, int limit)
    {
        if (afterCommentId is null)
        {
            return [.. _recent.Skip(Math.Max(0, _recent.Count - limit))];
        }

        // Ids are global, not dense per session, so only ids inside the window prove nothing is missing before them.
        var covered = HoldsAllComments || afterCommentId.Value >= OldestCommentIdInWindow;
        return covered ? [.. _recent.Where(comment => comment.CommentId > afterCommentId.Value).Take(limit)] : null;
    }
}
