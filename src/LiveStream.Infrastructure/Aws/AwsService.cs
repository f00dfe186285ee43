namespace LiveStream.Infrastructure.Aws;

/// <summary>An AWS API as the wire sees it: the SigV4 signing name and the host prefix of its regional endpoint.</summary>
public sealed record AwsService(string SigningName, string EndpointPrefix)
{
    public static AwsService MediaLive { get; } = new("medialive", "medialive");

    public static AwsService MediaPackage { get; } = new("mediapackage", "mediapackage");

    public static AwsService Sns { get; } = new("sns", "sns");

    public override string ToString() => SigningName;
}
