namespace LiveStream.Infrastructure.Aws;

// Records in this file are both the typed results of MediaPackageClient and the wire shapes (lowerCamel JSON).

/// <summary>String values of a MediaPackage harvest job's status.</summary>
public static class MediaPackageHarvestJobStatuses
{
    public const string InProgress = "IN_PROGRESS";
    public const string Succeeded = "SUCCEEDED";
    public const string Failed = "FAILED";
}

public sealed record MediaPackageChannel(
    string Id,
    string Arn,
    string? Description,
    MediaPackageHlsIngest? HlsIngest,
    IReadOnlyDictionary<string, string>? Tags);

public sealed record MediaPackageHlsIngest(IReadOnlyList<MediaPackageIngestEndpoint>? IngestEndpoints);

/// <summary>A WebDAV ingest URL with its credentials; MediaLive's MediaPackage output fills these in by itself.</summary>
public sealed record MediaPackageIngestEndpoint(string? Id, string? Url, string? Username, string? Password);

/// <summary>What to create an HLS origin endpoint with.</summary>
/// <param name="Id">Endpoint id, unique in the account and region; it becomes part of the playback URL.</param>
/// <param name="ChannelId">The MediaPackage channel the endpoint packages.</param>
public sealed record CreateOriginEndpointRequest(string Id, string ChannelId)
{
    /// <summary>How far back viewers can restart the live session; 0 disables startover. The harvest window must fit in it.</summary>
    public int StartoverWindowSeconds { get; init; }

    /// <summary>Delay added to the live edge (0 = none).</summary>
    public int TimeDelaySeconds { get; init; }

    public int SegmentDurationSeconds { get; init; } = 6;

    /// <summary>How much of the live edge each playlist lists.</summary>
    public int PlaylistWindowSeconds { get; init; } = 60;

    public string ManifestName { get; init; } = "index";

    public string? Description { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record MediaPackageOriginEndpoint(
    string Id,
    string Arn,
    string ChannelId,
    string? Url,
    string? ManifestName,
    int? StartoverWindowSeconds,
    int? TimeDelaySeconds,
    MediaPackageHlsPackage? HlsPackage)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record MediaPackageHlsPackage
{
    public int? SegmentDurationSeconds { get; init; }

    public int? PlaylistWindowSeconds { get; init; }

    public string? PlaylistType { get; init; }

    public string? AdMarkers { get; init; }

    public bool? IncludeIframeOnlyStream { get; init; }
}

/// <summary>Where a harvest job writes the recording: an S3 bucket, the manifest's key, and a role MediaPackage assumes to write there.</summary>
public sealed record MediaPackageS3Destination(string BucketName, string ManifestKey, string RoleArn);

/// <summary>What to create a harvest job (live-to-VOD clip) with.</summary>
public sealed record CreateHarvestJobRequest(
    string Id,
    string OriginEndpointId,
    DateTimeOffset StartTime,
    DateTimeOffset EndTime,
    MediaPackageS3Destination S3Destination);

public sealed record MediaPackageHarvestJob(
    string Id,
    string Arn,
    string? ChannelId,
    string? OriginEndpointId,
    string? Status,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    DateTimeOffset? CreatedAt,
    MediaPackageS3Destination? S3Destination);

internal sealed record MediaPackageListChannelsAnswer(IReadOnlyList<MediaPackageChannel>? Channels, string? NextToken);

internal sealed record MediaPackageListOriginEndpointsAnswer(IReadOnlyList<MediaPackageOriginEndpoint>? OriginEndpoints, string? NextToken);

internal sealed record MediaPackageCreateChannelBody(string Id, string? Description, IReadOnlyDictionary<string, string>? Tags);

internal sealed record MediaPackageCreateOriginEndpointBody(
    string Id,
    string ChannelId,
    string? Description,
    MediaPackageHlsPackage HlsPackage,
    string ManifestName,
    int StartoverWindowSeconds,
    int TimeDelaySeconds,
    IReadOnlyDictionary<string, string>? Tags);

internal sealed record MediaPackageCreateHarvestJobBody(
    string Id, string OriginEndpointId, string StartTime, string EndTime, MediaPackageS3Destination S3Destination);
