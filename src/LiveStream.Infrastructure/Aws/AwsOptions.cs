namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// Settings shared by every AWS client of LiveStream, bound from the configuration section <c>Aws</c>
/// (for example <c>Aws__Region</c>, <c>Aws__ServiceUrl</c> as environment variables).
/// </summary>
public sealed class AwsOptions
{
    public const string SectionName = "Aws";

    /// <summary>
    /// AWS region, e.g. <c>eu-west-1</c>. When empty the standard <c>AWS_REGION</c> / <c>AWS_DEFAULT_REGION</c>
    /// variables are used, which Fargate and Lambda set on their own.
    /// </summary>
    public string? Region { get; set; }

    /// <summary>
    /// One endpoint for every service (MediaLive, MediaPackage, SNS), so tests and local runs can point all of
    /// them at a single emulator. Empty in production: each service then uses its regional AWS endpoint.
    /// </summary>
    public Uri? ServiceUrl { get; set; }

    /// <summary>Explicit access key; only meant for tests and emulators. Empty = AWS SDK default credential chain.</summary>
    public string? AccessKey { get; set; }

    /// <summary>Secret key paired with <see cref="AccessKey"/>.</summary>
    public string? SecretKey { get; set; }

    /// <summary>Optional session token paired with <see cref="AccessKey"/> for temporary credentials.</summary>
    public string? SessionToken { get; set; }

    /// <summary>How many times a throttled or transiently failed call is retried after the first attempt.</summary>
    public int MaxErrorRetry { get; set; } = 4;

    /// <summary>Base of the exponential backoff; attempt n waits a random time up to base * 2^n.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of a single backoff wait.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(20);

    internal string ResolveRegion()
    {
        var region = FirstNonEmpty(
            Region,
            Environment.GetEnvironmentVariable("AWS_REGION"),
            Environment.GetEnvironmentVariable("AWS_DEFAULT_REGION"));
        return region ?? throw new InvalidOperationException(
            "No AWS region configured: set Aws:Region or the AWS_REGION environment variable.");
    }

    internal bool HasExplicitCredentials => !string.IsNullOrWhiteSpace(AccessKey) && !string.IsNullOrWhiteSpace(SecretKey);

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
