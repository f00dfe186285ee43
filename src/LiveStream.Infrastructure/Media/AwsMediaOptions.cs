namespace LiveStream.Infrastructure.Media;

/// <summary>The production pipeline (section <c>Media:Aws</c>): MediaLive -> MediaPackage -> harvest to S3, played through CloudFront.</summary>
public sealed class AwsMediaOptions
{
    public const string Section = "Media:Aws";

    /// <summary>IAM role MediaLive assumes to write into MediaPackage.</summary>
    public string MediaLiveRoleArn { get; set; } = string.Empty;

    /// <summary>IAM role MediaPackage assumes to write harvested recordings into <see cref="RecordingsBucket"/>.</summary>
    public string HarvestRoleArn { get; set; } = string.Empty;

    /// <summary>Bucket harvest jobs write to; its "object created" events go to <see cref="RecordingEventsQueueUrl"/>.</summary>
    public string RecordingsBucket { get; set; } = string.Empty;

    /// <summary>Key prefix harvest jobs write under (the bucket notifies only below it).</summary>
    public string RecordingsPrefix { get; set; } = "recordings/";

    /// <summary>
    /// SQS queue receiving the bucket's S3 event notifications (replaces the seed's Lambda) and, through an
    /// EventBridge rule, MediaLive's channel alerts; empty turns the listener off.
    /// </summary>
    public string RecordingEventsQueueUrl { get; set; } = string.Empty;

    /// <summary>
    /// Whether MediaLive's input alerts (on <see cref="RecordingEventsQueueUrl"/>) drive the session: live when input
    /// arrives, failed after the no-input timeout, reconnect grace when input is lost. False (or no queue): a started
    /// channel counts as live at once and only the maximum duration bounds it.
    /// </summary>
    public bool UseInputAlerts { get; set; } = true;

    /// <summary>
    /// MediaLive alert types (EventBridge <c>detail.alert_type</c>) that mean the channel has no usable input from the
    /// mentor's encoder; SET raises, CLEARED clears. Other alert types are logged and ignored.
    /// </summary>
    public string[] InputAlertTypes { get; set; } =
        ["RTMP Has No Audio/Video", "RTMP Stream Not Found", "Initial Probe Taking Longer than Expected", "Video Not Detected", "Input Loss"];

    /// <summary>CloudFront base URL in front of the MediaPackage origin endpoints, e.g. <c>https://d111.cloudfront.net</c>; empty plays the origin.</summary>
    public string LivePlaybackBaseUrl { get; set; } = string.Empty;

    /// <summary>Base URL recordings are served from (CloudFront over the recordings bucket).</summary>
    public string RecordingsBaseUrl { get; set; } = string.Empty;

    /// <summary>Source addresses allowed to push RTMP (the input security group).</summary>
    public string[] AllowedCidrs { get; set; } = ["0.0.0.0/0"];

    /// <summary>How far back the origin keeps the session; must cover <see cref="MediaOptions.MaxDuration"/> for the harvest.</summary>
    public TimeSpan StartoverWindow { get; set; } = TimeSpan.FromHours(5);

    /// <summary>How long before the scheduled start the channel is created and started (MediaLive needs a minute or two).</summary>
    public TimeSpan PrewarmLead { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often the sweeper looks for resources no session in use owns (a reminder: at least a minute). Its cost is
    /// a handful of list calls; what a stray costs is MediaLive time, so minutes, not hours.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long after a silo starts the first sweep runs (so a fleet restart does not wait a whole interval).</summary>
    public TimeSpan SweepFirstAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long a resource must have been seen unused (its session not in use) before it is deleted: covers a
    /// creation whose session has not saved it yet, and a session whose own cleanup is still running.
    /// </summary>
    public TimeSpan SweepGrace { get; set; } = TimeSpan.FromMinutes(15);
}
