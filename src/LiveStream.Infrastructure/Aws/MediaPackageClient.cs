using System.Globalization;

namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// The AWS Elemental MediaPackage (v1) calls LiveStream makes: a channel MediaLive pushes into, an HLS origin
/// endpoint viewers (through CloudFront) play from, and a harvest job that turns the session into an S3 recording.
/// </summary>
public sealed class MediaPackageClient(AwsClientCore core)
{
    private static readonly AwsService Service = AwsService.MediaPackage;

    public Task<MediaPackageChannel> CreateChannelAsync(
        string channelId, string? description, IReadOnlyDictionary<string, string>? tags, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "CreateChannel", HttpMethod.Post, "/channels",
            new MediaPackageCreateChannelBody(AwsPaths.Id(channelId, nameof(channelId)), description, tags),
            AwsJsonContext.Default.MediaPackageCreateChannelBody, AwsJsonContext.Default.MediaPackageChannel, cancellationToken);

    public Task<MediaPackageChannel> DescribeChannelAsync(string channelId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DescribeChannel", HttpMethod.Get, $"/channels/{AwsPaths.Id(channelId, nameof(channelId))}",
            AwsJsonContext.Default.MediaPackageChannel, cancellationToken);

    /// <summary>The account's channels (first page; the signer sends no query string); the sweeper finds strays here by tag.</summary>
    public async Task<IReadOnlyList<MediaPackageChannel>> ListChannelsAsync(CancellationToken cancellationToken) =>
        (await core.SendJsonAsync(
            Service, "ListChannels", HttpMethod.Get, "/channels",
            AwsJsonContext.Default.MediaPackageListChannelsAnswer, cancellationToken).ConfigureAwait(false)).Channels ?? [];

    /// <summary>Deletes a channel; its origin endpoints have to be deleted first.</summary>
    public Task DeleteChannelAsync(string channelId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DeleteChannel", HttpMethod.Delete, $"/channels/{AwsPaths.Id(channelId, nameof(channelId))}", cancellationToken);

    public Task<MediaPackageOriginEndpoint> CreateOriginEndpointAsync(CreateOriginEndpointRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        AwsPaths.Id(request.Id, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.ChannelId);
        ArgumentOutOfRangeException.ThrowIfNegative(request.StartoverWindowSeconds);
        ArgumentOutOfRangeException.ThrowIfNegative(request.TimeDelaySeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.SegmentDurationSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(request.PlaylistWindowSeconds);

        var hls = new MediaPackageHlsPackage
        {
            SegmentDurationSeconds = request.SegmentDurationSeconds,
            PlaylistWindowSeconds = request.PlaylistWindowSeconds,
            // A sliding live playlist; going back in time is what the startover window is for.
            PlaylistType = "NONE",
            AdMarkers = "NONE",
            IncludeIframeOnlyStream = false,
        };
        var body = new MediaPackageCreateOriginEndpointBody(
            request.Id, request.ChannelId, request.Description, hls, request.ManifestName,
            request.StartoverWindowSeconds, request.TimeDelaySeconds, request.Tags);
        return core.SendJsonAsync(
            Service, "CreateOriginEndpoint", HttpMethod.Post, "/origin_endpoints", body,
            AwsJsonContext.Default.MediaPackageCreateOriginEndpointBody, AwsJsonContext.Default.MediaPackageOriginEndpoint,
            cancellationToken);
    }

    /// <summary>The account's origin endpoints (first page; the signer sends no query string). Ids are ours, so a retried creation is found here.</summary>
    public async Task<IReadOnlyList<MediaPackageOriginEndpoint>> ListOriginEndpointsAsync(CancellationToken cancellationToken) =>
        (await core.SendJsonAsync(
            Service, "ListOriginEndpoints", HttpMethod.Get, "/origin_endpoints",
            AwsJsonContext.Default.MediaPackageListOriginEndpointsAnswer, cancellationToken).ConfigureAwait(false)).OriginEndpoints ?? [];

    public Task DeleteOriginEndpointAsync(string originEndpointId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DeleteOriginEndpoint", HttpMethod.Delete,
            $"/origin_endpoints/{AwsPaths.Id(originEndpointId, nameof(originEndpointId))}", cancellationToken);

    /// <summary>
    /// Asks MediaPackage to write [start, end) of the endpoint's startover window to S3 as a VOD asset. The job runs
    /// asynchronously; watch <see cref="DescribeHarvestJobAsync"/> (or the S3 event) for SUCCEEDED.
    /// </summary>
    public Task<MediaPackageHarvestJob> CreateHarvestJobAsync(CreateHarvestJobRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        AwsPaths.Id(request.Id, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.OriginEndpointId);
        ArgumentNullException.ThrowIfNull(request.S3Destination);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.S3Destination.BucketName);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.S3Destination.ManifestKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.S3Destination.RoleArn);
        if (request.EndTime <= request.StartTime)
        {
            throw new ArgumentException("A harvest job's end time must be after its start time.", nameof(request));
        }

        var body = new MediaPackageCreateHarvestJobBody(
            request.Id, request.OriginEndpointId, Iso8601(request.StartTime), Iso8601(request.EndTime), request.S3Destination);
        return core.SendJsonAsync(
            Service, "CreateHarvestJob", HttpMethod.Post, "/harvest_jobs", body,
            AwsJsonContext.Default.MediaPackageCreateHarvestJobBody, AwsJsonContext.Default.MediaPackageHarvestJob,
            cancellationToken);
    }

    public Task<MediaPackageHarvestJob> DescribeHarvestJobAsync(string harvestJobId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DescribeHarvestJob", HttpMethod.Get, $"/harvest_jobs/{AwsPaths.Id(harvestJobId, nameof(harvestJobId))}",
            AwsJsonContext.Default.MediaPackageHarvestJob, cancellationToken);

    // MediaPackage takes harvest times as ISO 8601 strings; whole seconds in UTC leave nothing to interpret.
    private static string Iso8601(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
