using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LiveStream.Infrastructure.Telemetry;

/// <summary>
/// The application's own trace source and meter; the host exports both. The spans below are the work a slow
/// request or a late notification is made of (docs/operations.md, "Traces"); each starts only when a listener
/// samples it, so an untraced process pays one null check.
/// </summary>
public static class LiveStreamTelemetry
{
    public const string SourceName = "LiveStream";
    public const string MeterName = "LiveStream";

    public const string SessionTransitionSpan = "session.transition";
    public const string GroupCommitFlushSpan = "group_commit.flush";

    /// <summary>An API process sending the reactions and comments it collected for one session in one grain call.</summary>
    public const string InteractionBatchSpan = "interaction_batch.send";
    public const string FanOutSpan = "notification.fan_out";
    public const string FanOutChunkSpan = "notification.fan_out_chunk";

    public const string SessionFromAttribute = "livestream.session.from";
    public const string SessionToAttribute = "livestream.session.to";
    public const string BatchSizeAttribute = "livestream.batch.size";
    public const string MenteesAttribute = "livestream.notification.mentees";

    public static readonly ActivitySource Source = new(SourceName);
    public static readonly Meter Meter = new(MeterName);

    /// <summary>A session moving between lifecycle states (the write of its new state included).</summary>
    public static Activity? StartSessionTransition(string liveId, string from, string to)
    {
        var activity = Source.StartActivity(SessionTransitionSpan);
        activity?.SetTag(LiveStreamMetrics.SessionIdAttribute, liveId);
        activity?.SetTag(SessionFromAttribute, from);
        activity?.SetTag(SessionToAttribute, to);
        return activity;
    }

    /// <summary>One group-commit flush: the writes of <paramref name="batchSize"/> callers in one round-trip.</summary>
    public static Activity? StartGroupCommitFlush(int batchSize) => StartBatch(GroupCommitFlushSpan, batchSize);

    public static Activity? StartInteractionBatch(int batchSize) => StartBatch(InteractionBatchSpan, batchSize);

    private static Activity? StartBatch(string name, int batchSize)
    {
        var activity = Source.StartActivity(name);
        activity?.SetTag(BatchSizeAttribute, batchSize);
        return activity;
    }

    /// <summary>
    /// A fan-out pass enqueuing chunks. It runs on a grain timer, outside the call that started it, so it takes that
    /// call's context (<paramref name="origin"/>) as its parent explicitly.
    /// </summary>
    public static Activity? StartFanOut(string liveId, string kind, ActivityContext origin)
    {
        var activity = Source.StartActivity(FanOutSpan, ActivityKind.Producer, origin);
        activity?.SetTag(LiveStreamMetrics.SessionIdAttribute, liveId);
        activity?.SetTag(LiveStreamMetrics.NotificationKindAttribute, kind);
        return activity;
    }

    /// <summary>
    /// One fan-out chunk delivered to its mentees' inboxes and devices: a child of the span that queued it
    /// (<paramref name="producerTraceParent"/>, carried in the queue message), linked to the delivery call.
    /// </summary>
    public static Activity? StartFanOutChunk(string liveId, string kind, int mentees, string? producerTraceParent)
    {
        var delivery = Activity.Current?.Context;
        var activity = producerTraceParent is not null && ActivityContext.TryParse(producerTraceParent, null, isRemote: true, out var producer)
            ? Source.StartActivity(FanOutChunkSpan, ActivityKind.Consumer, producer, links: delivery is { } d ? [new ActivityLink(d)] : null)
            : Source.StartActivity(FanOutChunkSpan, ActivityKind.Consumer);
        activity?.SetTag(LiveStreamMetrics.SessionIdAttribute, liveId);
        activity?.SetTag(LiveStreamMetrics.NotificationKindAttribute, kind);
        activity?.SetTag(MenteesAttribute, mentees);
        return activity;
    }

    /// <summary>
    /// One AWS API call with all its retries, named and tagged as OpenTelemetry's AWS SDK conventions do
    /// (<c>rpc.system=aws-api</c>, <c>rpc.service</c>, <c>rpc.method</c>), so X-Ray shows the action.
    /// </summary>
    public static Activity? StartAwsCall(string service, string operation)
    {
        var activity = Source.StartActivity($"{service}.{operation}", ActivityKind.Client);
        activity?.SetTag("rpc.system", "aws-api");
        activity?.SetTag("rpc.service", service);
        activity?.SetTag("rpc.method", operation);
        return activity;
    }

    /// <summary>Marks a span failed with the exception's type (never its message: it may carry user data).</summary>
    public static void Fail(Activity? activity, Exception exception)
    {
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        activity?.SetTag("error.type", exception.GetType().FullName);
    }
}
