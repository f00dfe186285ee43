using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using LiveStream.Abstractions;
using LiveStream.Abstractions.Mentors;
using LiveStream.Abstractions.Sessions;
using Microsoft.Extensions.Options;

namespace LiveStream.Host.Api;

public sealed class HotViewOptions
{
    public const string Section = "HotViews";

    /// <summary>
    /// How old a session view (state and counts) or mentor page served from this API process may be. 0 turns the
    /// cache off. Authors never see their own changes late: their reads bypass it and their writes replace it.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan MaxStaleness { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// The views every viewer of a live session reads (session with counts, mentor page), held in this API process for
/// at most <see cref="HotViewOptions.MaxStaleness"/>: thousands of polls a second cost the cluster one call per
/// view per second per API process. Concurrent readers of an expired view share one grain call.
/// </summary>
public sealed class HotViewCache
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);

    private readonly IGrainFactory _grains;
    private readonly long _lifetime;
    private readonly ConcurrentDictionary<string, Entry<SessionView?>> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry<MentorView?>> _mentors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string MentorId, int Limit), Entry<Page<SessionSummary>>> _sessionLists = new();
    private long _nextSweep;

    public HotViewCache(IGrainFactory grains, IOptions<HotViewOptions> options)
    {
        _grains = grains;
        // Read once: no options lookup per request.
        _lifetime = (long)(options.Value.MaxStaleness.TotalSeconds * Stopwatch.Frequency);
        _nextSweep = Stopwatch.GetTimestamp() + (long)(SweepEvery.TotalSeconds * Stopwatch.Frequency);
    }

    /// <param name="fresh">Skip the cache (and refresh it): the caller is the author of the view's changes.</param>
    public Task<SessionView?> GetSessionAsync(string liveId, bool fresh) =>
        Get(_sessions, liveId, fresh, id => _grains.GetGrain<ILiveSessionGrain>(id).GetViewAsync());

    /// <inheritdoc cref="GetSessionAsync"/>
    public Task<MentorView?> GetMentorAsync(string mentorId, bool fresh) =>
        Get(_mentors, mentorId, fresh, id => _grains.GetGrain<IMentorGrain>(id).GetAsync());

    /// <summary>
    /// The first page of a mentor's sessions (a lag-tolerant read, DESIGN "reads that tolerate lag"): every viewer
    /// of a mentor opens it, and without the cache each open is a database query. Later pages are not cached.
    /// </summary>
    /// <inheritdoc cref="GetSessionAsync"/>
    public Task<Page<SessionSummary>> GetFirstSessionPageAsync(string mentorId, int limit, bool fresh) =>
        Get(_sessionLists, (mentorId, limit), fresh, key => _grains.GetGrain<IMentorGrain>(key.Item1).ListSessionsAsync(null, key.Item2));

    /// <summary>A command changed the session through this process: the next read asks the grain.</summary>
    public void ForgetSession(string liveId) => _sessions.TryRemove(liveId, out _);

    /// <summary>
    /// A reaction answered through this process carries the counts including it: the cached view takes them, so the
    /// viewer who reacted reads them back (and a poller sees them) without waiting for the view to expire.
    /// </summary>
    public void UpdateCounts(string liveId, System.Collections.Immutable.ImmutableDictionary<string, long> counts)
    {
        if (_sessions.TryGetValue(liveId, out var entry) && entry.View.IsCompletedSuccessfully && entry.View.Result is { } view)
        {
            _sessions.TryUpdate(liveId, entry with { View = Task.FromResult<SessionView?>(view with { Reactions = counts }) }, entry);
        }
    }

    /// <summary>A command changed the mentor through this process: the next read asks the grain.</summary>
    public void ForgetMentor(string mentorId) => _mentors.TryRemove(mentorId, out _);

    private Task<T> Get<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> views, TKey key, bool fresh, Func<TKey, Task<T>> load)
        where TKey : notnull
    {
        if (_lifetime == 0)
        {
            return load(key);
        }

        var now = Stopwatch.GetTimestamp();
        if (!fresh && views.TryGetValue(key, out var cached) && now < cached.Expires)
        {
            return cached.View;
        }

        SweepIfDue(now);
        var entry = new Entry<T>(load(key), now + _lifetime);
        views[key] = entry;
        // A failed call is not cached: the next reader retries it.
        _ = entry.View.ContinueWith(
            _ => views.TryRemove(new KeyValuePair<TKey, Entry<T>>(key, entry)),
            CancellationToken.None,
            TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return entry.View;
    }

    /// <summary>Views nobody read within their lifetime go, so memory follows what is hot, not what was ever read.</summary>
    private void SweepIfDue(long now)
    {
        var due = Interlocked.Read(ref _nextSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextSweep, now + (long)(SweepEvery.TotalSeconds * Stopwatch.Frequency), due) != due)
        {
            return;
        }

        Sweep(_sessions, now);
        Sweep(_mentors, now);
        Sweep(_sessionLists, now);
    }

    private static void Sweep<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> views, long now)
        where TKey : notnull
    {
        foreach (var (key, entry) in views)
        {
            if (entry.Expires <= now)
            {
                views.TryRemove(new KeyValuePair<TKey, Entry<T>>(key, entry));
            }
        }
    }

    private sealed record Entry<T>(Task<T> View, long Expires);
}
