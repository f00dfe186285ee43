using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Telemetry;

/// <summary>
/// The business instruments of one process (meter <see cref="LiveStreamTelemetry.MeterName"/>). Silos feed the
/// session, reaction, notification and queue figures; API processes feed the viewers. docs/operations.md lists
/// every instrument with its unit and attributes.
/// </summary>
/// <remarks>
/// Per-session series (<see cref="SessionIdAttribute"/>) come only from observable instruments that report
/// sessions that are live or watched right now, so a session's series ends with it; the host caps how many such
/// series one process keeps (<c>Observability:SessionSeriesLimit</c>).
/// </remarks>
public sealed class LiveStreamMetrics : IDisposable
{
    public const string LiveSessions = "livestream.sessions.live";
    public const string Viewers = "livestream.viewers";
    public const string SessionViewers = "livestream.session.viewers";
    public const string Reactions = "livestream.reactions";
    public const string SessionReactions = "livestream.session.reactions";
    public const string Comments = "livestream.comments";
    public const string NotificationLag = "livestream.notifications.lag";
    public const string QueueDepth = "livestream.queue.depth";
    public const string TransitionAge = "livestream.sessions.transition.age";

    public const string SessionIdAttribute = "livestream.session.id";
    public const string ReactionKindAttribute = "livestream.reaction.kind";
    public const string NotificationKindAttribute = "livestream.notification.kind";
    public const string QueueNameAttribute = "messaging.destination.name";
    public const string QueueStateAttribute = "livestream.queue.state";
    public const string QueueBackendAttribute = "messaging.system";
    public const string SessionStateAttribute = "livestream.session.state";

    /// <summary>The instruments that carry <see cref="SessionIdAttribute"/>.</summary>
    public static IReadOnlyList<string> PerSessionInstruments { get; } = [SessionViewers, SessionReactions];

    // Fan-out lag spans milliseconds (a handful of followers) to many minutes (a huge fan-out behind a backlog).
    private static readonly double[] LagBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

    private readonly Meter _meter;
    private readonly Counter<long> _reactions;
    private readonly Counter<long> _comments;
    private readonly Histogram<double> _notificationLag;
    private readonly ConcurrentDictionary<string, LiveSession> _liveSessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _viewers = new(StringComparer.Ordinal);
    private readonly Lock _viewersGate = new();
    private readonly ConcurrentDictionary<string, IReadOnlyList<QueueDepthSample>> _queueDepths = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string State, long Since)> _transitions = new(StringComparer.Ordinal);

    public LiveStreamMetrics(IMeterFactory meterFactory, IOptions<LiveStreamMetricsOptions> options)
    {
        _meter = meterFactory.Create(LiveStreamTelemetry.MeterName);
        // A gauge only where its figure lives: a constant 0 from every API process would read as "no live session".
        if (options.Value.Sessions)
        {
            _meter.CreateObservableUpDownCounter(
                LiveSessions, () => _liveSessions.Count, "{session}", "Live sessions whose grain is active on this silo.");
            _meter.CreateObservableGauge(
                TransitionAge, ObserveTransitionAges, "s", "How long the oldest session on this silo has been starting or ending, by state.");
        }

        if (options.Value.Viewers)
        {
            _meter.CreateObservableUpDownCounter(
                Viewers, ObserveTotalViewers, "{viewer}", "Live-feed (SSE) connections this API process holds.");
            _meter.CreateObservableUpDownCounter(
                SessionViewers, ObserveSessionViewers, "{viewer}", "Live-feed (SSE) connections this API process holds, per session.");
        }

        _reactions = _meter.CreateCounter<long>(Reactions, "{reaction}", "Reactions stored (retries with the same idempotency key count once).");
        _meter.CreateObservableCounter(
            SessionReactions, ObserveSessionReactions, "{reaction}", "Reactions a live session received since it was scheduled, by kind.");
        _comments = _meter.CreateCounter<long>(Comments, "{comment}", "Comments stored.");
        _notificationLag = _meter.CreateHistogram(
            NotificationLag, "s", "From the session event to the notification in the follower's inbox.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LagBuckets });
        _meter.CreateObservableGauge(
            QueueDepth, ObserveQueueDepths, "{message}", "Messages in the durable stream queue not yet acknowledged, by partition queue and state.");
    }

    public void RecordReaction(string kind) => _reactions.Add(1, new KeyValuePair<string, object?>(ReactionKindAttribute, kind));

    public void RecordComment() => _comments.Add(1);

    public void RecordNotificationDelivered(string kind, TimeSpan lag) =>
        _notificationLag.Record(Math.Max(0, lag.TotalSeconds), new KeyValuePair<string, object?>(NotificationKindAttribute, kind));

    /// <summary>A session grain on this silo is live; dispose the handle when it stops being live or deactivates.</summary>
    public LiveSession TrackLiveSession(string liveId)
    {
        var session = new LiveSession(this, liveId);
        _liveSessions[liveId] = session;
        return session;
    }

    public void ViewerJoined(string liveId)
    {
        lock (_viewersGate)
        {
            _viewers[liveId] = _viewers.GetValueOrDefault(liveId) + 1;
        }
    }

    public void ViewerLeft(string liveId)
    {
        lock (_viewersGate)
        {
            if (_viewers.TryGetValue(liveId, out var count))
            {
                if (count <= 1)
                {
                    _viewers.Remove(liveId);
                }
                else
                {
                    _viewers[liveId] = count - 1;
                }
            }
        }
    }

    /// <summary>
    /// The session entered <paramref name="state"/> (<c>starting</c> or <c>ending</c>) now; null: it is in no
    /// transitional state any more (or its grain left this silo).
    /// </summary>
    public void TrackTransition(string liveId, string? state)
    {
        if (state is null)
        {
            _transitions.TryRemove(liveId, out _);
        }
        else
        {
            _transitions[liveId] = (state, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>The latest depth sample of one queue provider; replaces its previous sample.</summary>
    public void SetQueueDepths(string provider, IReadOnlyList<QueueDepthSample> samples) => _queueDepths[provider] = samples;

    public void Dispose() => _meter.Dispose();

    private int ObserveTotalViewers()
    {
        lock (_viewersGate)
        {
            return _viewers.Values.Sum();
        }
    }

    private List<Measurement<int>> ObserveSessionViewers()
    {
        lock (_viewersGate)
        {
            return [.. _viewers.Select(pair => new Measurement<int>(pair.Value, new KeyValuePair<string, object?>(SessionIdAttribute, pair.Key)))];
        }
    }

    private IEnumerable<Measurement<long>> ObserveSessionReactions()
    {
        foreach (var session in _liveSessions.Values)
        {
            // Unknown until the session's room is loaded; a guessed zero would look like a counter reset.
            if (session.ReactionCounts is not { } counts)
            {
                continue;
            }

            foreach (var (kind, count) in counts)
            {
                yield return new Measurement<long>(
                    count,
                    new KeyValuePair<string, object?>(SessionIdAttribute, session.LiveId),
                    new KeyValuePair<string, object?>(ReactionKindAttribute, kind));
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveTransitionAges() =>
        _transitions.Values
            .GroupBy(entry => entry.State, StringComparer.Ordinal)
            .Select(group => new Measurement<double>(
                Stopwatch.GetElapsedTime(group.Min(entry => entry.Since)).TotalSeconds,
                new KeyValuePair<string, object?>(SessionStateAttribute, group.Key)));

    private IEnumerable<Measurement<long>> ObserveQueueDepths()
    {
        foreach (var samples in _queueDepths.Values)
        {
            foreach (var sample in samples)
            {
                yield return new Measurement<long>(
                    sample.Messages,
                    new KeyValuePair<string, object?>(QueueNameAttribute, sample.Queue),
                    new KeyValuePair<string, object?>(QueueStateAttribute, sample.State),
                    new KeyValuePair<string, object?>(QueueBackendAttribute, sample.Backend));
            }
        }
    }

    /// <summary>One live session on this silo. Only its grain writes to it; the metrics reader only reads.</summary>
    public sealed class LiveSession(LiveStreamMetrics owner, string liveId) : IDisposable
    {
        private ImmutableDictionary<string, long>? _counts;

        public string LiveId => liveId;

        public ImmutableDictionary<string, long>? ReactionCounts => Volatile.Read(ref _counts);

        /// <summary>
        /// The session's reaction totals as an answer carried them. Interleaved answers may arrive out of order, so
        /// each kind keeps its highest total: a counter that went down would read as a reset.
        /// </summary>
        public void PublishReactionCounts(IReadOnlyDictionary<string, long> counts)
        {
            var current = _counts;
            if (current is not null && counts.All(pair => current.GetValueOrDefault(pair.Key) >= pair.Value))
            {
                return;
            }

            var merged = (current ?? ImmutableDictionary<string, long>.Empty.WithComparers(StringComparer.Ordinal)).ToBuilder();
            foreach (var (kind, count) in counts)
            {
                merged[kind] = Math.Max(merged.GetValueOrDefault(kind), count);
            }

            Volatile.Write(ref _counts, merged.ToImmutable());
        }

        public void Dispose() => owner._liveSessions.TryRemove(new KeyValuePair<string, LiveSession>(liveId, this));
    }
}

/// <summary>Which per-role gauges a process reports; both unless the host says otherwise.</summary>
public sealed class LiveStreamMetricsOptions
{
    /// <summary>Hosts session grains: <see cref="LiveStreamMetrics.LiveSessions"/>.</summary>
    public bool Sessions { get; set; } = true;

    /// <summary>Holds viewers' live feeds: <see cref="LiveStreamMetrics.Viewers"/> and <see cref="LiveStreamMetrics.SessionViewers"/>.</summary>
    public bool Viewers { get; set; } = true;
}

/// <param name="Queue">The partition (or dead-letter) queue's name.</param>
/// <param name="State"><c>ready</c> (visible to receivers), <c>in_flight</c> (leased or backing off) or <c>dead_letter</c>.</param>
/// <param name="Backend"><c>postgresql</c> or <c>aws_sqs</c>.</param>
public sealed record QueueDepthSample(string Queue, string State, string Backend, long Messages);
