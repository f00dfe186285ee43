namespace LiveStream.Infrastructure.Media;

/// <summary>The production pipeline (section <c>Media:Aws</c>): MediaLive -> MediaPackage -> harvest to S3, played through CloudFront.</summary>
public sealed class AwsMediaOptions
{
    public const string Section = "Media:Aws";

    /// <summary>IAM role MediaLive assumes to write into MediaPackage.</summary>
    public string MediaLiveRoleArn { get; set; } = string.Empty;

    /// <summary>IAM role MediaPackage assumes to write harvested recordings into <see cref="RecordingsBucket"/>.</summary>
    public string HarvestRoleArn { get; set; } = string.Empty;

    /// <summary>Bucket harvest jobs write to; its "object created" events go to <see cref="RecordingQueueUrl"/>.</summary>
    public string RecordingsBucket { get; set; } = string.Empty;

    /// <summary>SQS queue receiving the bucket's S3 event notifications (replaces the seed's Lambda).</summary>
    public string RecordingQueueUrl { get; set; } = string.Empty;

    /// <summary>CloudFront domain in front of the MediaPackage origin endpoints, e.g. <c>d111.cloudfront.net</c>.</summary>
    public string CloudFrontDomain { get; set; } = string.Empty;

    /// <summary>Base URL recordings are served from (CloudFront over the recordings bucket).</summary>
    public string RecordingsBaseUrl { get; set; } = string.Empty;

    /// <summary>Source addresses allowed to push RTMP (the input security group).</summary>
    public string[] AllowedCidrs { get; set; } = ["0.0.0.0/0"];

    /// <summary>How far back the origin keeps the session; must cover <see cref="MediaOptions.MaxDuration"/> for the harvest.</summary>
    public TimeSpan StartoverWindow { get; set; } = TimeSpan.FromHours(5);

    /// <summary>How long before the scheduled start the channel is created and started (MediaLive needs a minute or two).</summary>
    public TimeSpan PrewarmLead { get; set; } = TimeSpan.FromMinutes(5);
}
