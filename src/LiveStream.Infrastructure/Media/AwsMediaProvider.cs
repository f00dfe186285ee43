using System.Globalization;
using System.Net;
using LiveStream.Infrastructure.Aws;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Production media: per session an input security group and RTMP push input, a MediaLive channel encoding into a
/// MediaPackage channel, and an HLS origin endpoint with a startover window; on stop a harvest job writes the session
/// to S3, whose "object created" event (through SQS) completes the recording. Every resource is deleted afterwards.
/// </summary>
public sealed partial class AwsMediaProvider(
    MediaLiveClient mediaLive,
    MediaPackageClient mediaPackage,
    IHttpClientFactory httpClients,
    IPlaybackUrlSigner playbackSigner,
    IOptions<AwsMediaOptions> options,
    TimeProvider clock,
    ILogger<AwsMediaProvider> logger) : IMediaProvider
{
    public const string ProviderName = "aws";

    // Keys of MediaChannel.Resources.
    public const string SecurityGroupKey = "inputSecurityGroupId";
    public const string InputKey = "inputId";
    public const string IngestUrlKey = "ingestUrl";
    public const string PackageChannelKey = "mediaPackageChannelId";
    public const string EndpointKey = "originEndpointId";
    public const string ChannelKey = "mediaLiveChannelId";
    public const string StartedKey = "startedAt";
    public const string HarvestKey = "harvestJobId";

    private AwsMediaOptions Options => options.Value;

    public string Name => ProviderName;

    public TimeSpan PrewarmLead => Options.PrewarmLead;

    // MediaLive's input alerts reach the session through EventBridge -> SQS -> RecordingEventListener.
    public bool ReportsPublisher => Options.UseInputAlerts && !string.IsNullOrWhiteSpace(Options.RecordingEventsQueueUrl);

    /// <summary>The S3 key a session's harvested manifest is written to; the S3 event listener maps it back to the session.</summary>
    public string RecordingKey(string liveId) => $"{Prefix}{liveId}/index.m3u8";

    public string? LiveIdFromRecordingKey(string key)
    {
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = key[Prefix.Length..].Split('/');
        return parts is [var liveId, "index.m3u8"] && liveId.Length > 0 ? liveId : null;
    }

    /// <summary>Our MediaLive channels are named after their session; alerts name the channel only by ARN.</summary>
    public static string ChannelName(string liveId) => $"livestream-{liveId}";

    public static string? LiveIdFromChannelName(string? name) =>
        name is { Length: > 11 } && name.StartsWith("livestream-", StringComparison.Ordinal) ? name["livestream-".Length..] : null;

    private string Prefix => Options.RecordingsPrefix.Length == 0 || Options.RecordingsPrefix.EndsWith('/') ? Options.RecordingsPrefix : Options.RecordingsPrefix + "/";

    public string RecordingUrl(string key) => $"{Options.RecordingsBaseUrl.TrimEnd('/')}/{key}";

    public async Task<MediaIngest> GetIngestAsync(string liveId, string streamKey, MediaChannel? channel, CancellationToken cancellationToken)
    {
        // The push URL is the input's address, which exists once the channel was created (pre-warm or start).
        if (channel?.Resources.GetValueOrDefault(IngestUrlKey) is not { } url || channel.Resources.GetValueOrDefault(InputKey) is not { } inputId)
        {
            throw new Abstractions.DomainException(Abstractions.DomainErrorKind.Conflict, "The ingest address exists once the session is starting (or pre-warmed before its start).");
        }

        if (url.Length == 0)
        {
            // MediaLive answered the creation without a push address; ask again rather than hand out an empty URL.
            var input = await mediaLive.DescribeInputAsync(inputId, cancellationToken);
            url = IngestBase(input, streamKey);
            if (url.Length == 0)
            {
                LogNoIngestAddress(liveId, inputId);
                throw new Abstractions.DomainException(Abstractions.DomainErrorKind.Conflict, "MediaLive has not assigned the session's push address yet; retry shortly.");
            }
        }

        return new MediaIngest(url, streamKey);
    }

    /// <summary>The input's first push URL without the secret stream name (the client appends the stream key's secret part).</summary>
    private static string IngestBase(MediaLiveInput input, string streamKey)
    {
        var secret = Secret(streamKey);
        var destination = input.Destinations?.Select(d => d.Url).FirstOrDefault(u => !string.IsNullOrEmpty(u)) ?? string.Empty;
        return destination.EndsWith("/" + secret, StringComparison.Ordinal) ? destination[..^(secret.Length + 1)] : destination;
    }

    private static string Secret(string streamKey) => streamKey[(streamKey.IndexOf('.', StringComparison.Ordinal) + 1)..];

    public async Task<MediaChannel> StartChannelAsync(
        string liveId, string streamKey, MediaChannel? existing, Func<MediaChannel, Task> checkpoint, CancellationToken cancellationToken)
    {
        // Each id is handed to the checkpoint (saved by the session) before the next call that depends on it; what a
        // crash hides between a creation and its checkpoint is found again by name, or left to the sweeper.
        var resources = new Dictionary<string, string>(existing?.Resources ?? new Dictionary<string, string>());
        var playbackUrl = existing?.PlaybackUrl ?? string.Empty;
        var tags = new Dictionary<string, string> { [TagKey] = liveId };
        Task SaveAsync() => checkpoint(new MediaChannel(ProviderName, liveId, playbackUrl, new Dictionary<string, string>(resources)));

        if (!resources.ContainsKey(SecurityGroupKey))
        {
            // A group has no name and no idempotency token: one created by an attempt whose answer was lost is found by its tag.
            var group = (await SessionSecurityGroupsAsync(liveId, cancellationToken)).FirstOrDefault()
                ?? await mediaLive.CreateInputSecurityGroupAsync(Options.AllowedCidrs, tags, cancellationToken);
            resources[SecurityGroupKey] = group.Id;
            await SaveAsync();
        }

        if (!resources.ContainsKey(InputKey))
        {
            // The secret part of the stream name is the session's key, as with the local pipeline.
            var input = (await mediaLive.ListInputsAsync(cancellationToken)).FirstOrDefault(i => i.Name == ChannelName(liveId) && IsAlive(i.State))
                ?? await mediaLive.CreateRtmpPushInputAsync(
                    new CreateRtmpPushInputRequest(ChannelName(liveId), [$"live/{Secret(streamKey)}"], [resources[SecurityGroupKey]])
                    {
                        Tags = tags,
                        RequestId = RequestToken(liveId, resources[SecurityGroupKey], "input"),
                    },
                    cancellationToken);
            resources[InputKey] = input.Id;
            resources[IngestUrlKey] = IngestBase(input, streamKey);
            await SaveAsync();
        }

        // MediaPackage ids are ours to choose; deterministic ones make a retried start find what exists.
        var packageChannelId = ChannelName(liveId);
        if (!resources.ContainsKey(PackageChannelKey))
        {
            // Looked up before creating: an attempt whose answer was lost created it, and a second create is refused
            // by MediaPackage (or, on an emulator, silently makes a second one).
            if (!await PackageChannelExistsAsync(packageChannelId, cancellationToken))
            {
                await IgnoreConflictAsync(() => mediaPackage.CreateChannelAsync(packageChannelId, $"LiveStream session {liveId}", tags, cancellationToken));
            }

            resources[PackageChannelKey] = packageChannelId;
            await SaveAsync();
        }

        if (!resources.ContainsKey(EndpointKey))
        {
            var endpointId = EndpointId(liveId);
            var endpoint = (await mediaPackage.ListOriginEndpointsAsync(cancellationToken)).FirstOrDefault(e => e.Id == endpointId)
                ?? await mediaPackage.CreateOriginEndpointAsync(
                    new CreateOriginEndpointRequest(endpointId, packageChannelId)
                    {
                        StartoverWindowSeconds = (int)Options.StartoverWindow.TotalSeconds,
                        SegmentDurationSeconds = 2,
                        PlaylistWindowSeconds = 12,
                        Tags = tags,
                    },
                    cancellationToken);
            resources[EndpointKey] = endpoint.Id;
            playbackUrl = PlaybackUrl(endpoint);
            await SaveAsync();
        }

        if (!resources.ContainsKey(ChannelKey))
        {
            var channel = (await mediaLive.ListChannelsAsync(cancellationToken)).FirstOrDefault(c => c.Name == ChannelName(liveId) && IsAlive(c.State))
                ?? await mediaLive.CreateChannelAsync(
                    new CreateMediaLiveChannelRequest(ChannelName(liveId), resources[InputKey], packageChannelId, Options.MediaLiveRoleArn)
                    {
                        Tags = tags,
                        RequestId = RequestToken(liveId, resources[InputKey], "channel"),
                    },
                    cancellationToken);
            resources[ChannelKey] = channel.Id;
            await SaveAsync();
        }

        if (!resources.ContainsKey(StartedKey))
        {
            // Starting a channel that already starts or runs is a conflict, which means the same thing here.
            await IgnoreConflictAsync(() => mediaLive.StartChannelAsync(resources[ChannelKey], cancellationToken));
            resources[StartedKey] = clock.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
            LogCreated(liveId, resources[ChannelKey], packageChannelId);
        }

        return new MediaChannel(ProviderName, liveId, playbackUrl, resources);
    }

    public async Task<bool> IsPlayableAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        // What a player opening the session gets: the playback URL's playlist, with at least one segment.
        try
        {
            var http = httpClients.CreateClient(PlaybackProbeClient);
            // Probed as a viewer sees it: through the CDN, which serves signed requests only.
            var url = new Uri(playbackSigner.Sign(channel.PlaybackUrl, clock.GetUtcNow().AddMinutes(1)));
            var playlist = await http.GetStringAsync(url, cancellationToken);

            // MediaPackage answers with a master playlist; its first variant must list a segment.
            if (HlsPlaylist.FirstVariant(playlist) is { } variant)
            {
                // The signature covers the playlist's directory, so the variant carries the same query, as a player's does.
                var variantUrl = new Uri(url, variant);
                variantUrl = variantUrl.Query.Length > 1 ? variantUrl : new UriBuilder(variantUrl) { Query = url.Query.TrimStart('?') }.Uri;
                playlist = await http.GetStringAsync(variantUrl, cancellationToken);
            }

            return HlsPlaylist.ListsSegment(playlist);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return false;
        }
    }

    /// <summary>The tag every resource of a session carries; the sweeper finds strays by it.</summary>
    public const string TagKey = "livestream:liveId";

    public const string PlaybackProbeClient = "aws-playback-probe";

    private static bool IsAlive(string? state) => state is not (MediaLiveChannelStates.Deleting or MediaLiveChannelStates.Deleted or "DELETING" or "DELETED");

    /// <summary>MediaLive's idempotency token for one creation: the same session and parent resource give the same token.</summary>
    private static string RequestToken(string liveId, string parentId, string kind) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{liveId}/{parentId}/{kind}")))[..32].ToLowerInvariant();

    public async Task<MediaRecordingRequest> StopChannelAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        var resources = channel.Resources;
        if (resources.GetValueOrDefault(ChannelKey) is { } channelId)
        {
            // A retried stop finds the channel stopping or idle already, which MediaLive refuses as a conflict.
            await IgnoreMissingAsync(() => IgnoreConflictAsync(() => mediaLive.StopChannelAsync(channelId, cancellationToken)));
        }

        if (resources.GetValueOrDefault(EndpointKey) is not { } endpointId)
        {
            return new MediaRecordingRequest(null, Pending: false);
        }

        if (resources.GetValueOrDefault(StartedKey) is not { } started)
        {
            // The channel was never started (a start that failed before its last step): nothing was broadcast to harvest.
            return new MediaRecordingRequest(null, Pending: false);
        }

        var start = DateTimeOffset.Parse(started, CultureInfo.InvariantCulture);
        var end = clock.GetUtcNow();
        if (end - start < TimeSpan.FromSeconds(1))
        {
            end = start + TimeSpan.FromSeconds(1);
        }

        // A deterministic job id makes a retried stop a conflict rather than a second recording.
        try
        {
            await mediaPackage.CreateHarvestJobAsync(
                new CreateHarvestJobRequest(
                    $"livestream-{channel.LiveId}-recording", endpointId, start, end,
                    new MediaPackageS3Destination(Options.RecordingsBucket, RecordingKey(channel.LiveId), Options.HarvestRoleArn)),
                cancellationToken);
        }
        catch (AwsServiceException exception) when (exception.StatusCode == HttpStatusCode.Conflict)
        {
        }

        LogHarvestRequested(channel.LiveId, start, end);
        return new MediaRecordingRequest(null, Pending: true);
    }

    public async Task DeleteChannelAsync(MediaChannel channel, CancellationToken cancellationToken)
    {
        var resources = channel.Resources;
        var liveId = channel.LiveId;

        // What the session saved, and what a creation whose answer (or checkpoint) was lost left under the session's
        // name or tag: deleting only the saved ids would leave those running.
        var channelIds = (await mediaLive.ListChannelsAsync(cancellationToken))
            .Where(c => c.Name == ChannelName(liveId) && IsAlive(c.State)).Select(c => c.Id)
            .Union(resources.GetValueOrDefault(ChannelKey) is { } savedChannel ? [savedChannel] : [])
            .ToList();
        var inputIds = (await mediaLive.ListInputsAsync(cancellationToken))
            .Where(i => i.Name == ChannelName(liveId) && IsAlive(i.State)).Select(i => i.Id)
            .Union(resources.GetValueOrDefault(InputKey) is { } savedInput ? [savedInput] : [])
            .ToList();
        var groupIds = (await SessionSecurityGroupsAsync(liveId, cancellationToken)).Select(g => g.Id)
            .Union(resources.GetValueOrDefault(SecurityGroupKey) is { } savedGroup ? [savedGroup] : [])
            .ToList();

        // Order matters: the channel holds the input, the endpoint belongs to the package channel, the input to the group.
        foreach (var channelId in channelIds)
        {
            await DeleteMediaLiveChannelAsync(channelId, cancellationToken);
        }

        // MediaPackage ids are deterministic, so they are known even when never saved.
        await IgnoreMissingAsync(() => mediaPackage.DeleteOriginEndpointAsync(resources.GetValueOrDefault(EndpointKey) ?? EndpointId(liveId), cancellationToken));
        await IgnoreMissingAsync(() => mediaPackage.DeleteChannelAsync(resources.GetValueOrDefault(PackageChannelKey) ?? ChannelName(liveId), cancellationToken));

        foreach (var inputId in inputIds)
        {
            await IgnoreMissingAsync(() => mediaLive.DeleteInputAsync(inputId, cancellationToken));
        }

        foreach (var groupId in groupIds)
        {
            await IgnoreMissingAsync(() => mediaLive.DeleteInputSecurityGroupAsync(groupId, cancellationToken));
        }

        LogDeleted(liveId);
    }

    /// <summary>Stops (when running) and deletes a channel; one already deleting or gone is left alone, so a retried delete converges.</summary>
    private async Task DeleteMediaLiveChannelAsync(string channelId, CancellationToken cancellationToken)
    {
        MediaLiveChannel described;
        try
        {
            described = await mediaLive.DescribeChannelAsync(channelId, cancellationToken);
        }
        catch (AwsServiceException exception) when (exception.IsNotFound)
        {
            return;
        }

        if (!IsAlive(described.State))
        {
            return;
        }

        if (described.State is MediaLiveChannelStates.Starting or MediaLiveChannelStates.Running or MediaLiveChannelStates.Recovering)
        {
            await IgnoreMissingAsync(() => IgnoreConflictAsync(() => mediaLive.StopChannelAsync(channelId, cancellationToken)));
        }

        // Still stopping is a conflict: the effect fails and its retry deletes the channel once it is idle.
        await IgnoreMissingAsync(() => mediaLive.DeleteChannelAsync(channelId, cancellationToken));
    }

    private async Task<bool> PackageChannelExistsAsync(string packageChannelId, CancellationToken cancellationToken)
    {
        try
        {
            await mediaPackage.DescribeChannelAsync(packageChannelId, cancellationToken);
            return true;
        }
        catch (AwsServiceException exception) when (exception.IsNotFound)
        {
            return false;
        }
    }

    /// <summary>The session's input security groups, found by tag (a group has no name).</summary>
    private async Task<IReadOnlyList<MediaLiveInputSecurityGroup>> SessionSecurityGroupsAsync(string liveId, CancellationToken cancellationToken) =>
        [.. (await mediaLive.ListInputSecurityGroupsAsync(cancellationToken))
            .Where(g => g.State is not "DELETED" && g.Tags?.GetValueOrDefault(TagKey) == liveId)];

    private static string EndpointId(string liveId) => $"{ChannelName(liveId)}-hls";

    private string PlaybackUrl(MediaPackageOriginEndpoint endpoint)
    {
        // Viewers go through CloudFront: same path as the origin endpoint, CloudFront's host.
        var origin = new Uri(endpoint.Url ?? throw new InvalidOperationException("MediaPackage returned an endpoint without a URL."));
        return string.IsNullOrWhiteSpace(Options.LivePlaybackBaseUrl) ? origin.ToString() : $"{Options.LivePlaybackBaseUrl.TrimEnd('/')}{origin.PathAndQuery}";
    }

    private static async Task IgnoreConflictAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AwsServiceException exception) when (exception.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
        {
            // Exists already (a retried creation) or already in the wanted state.
        }
    }

    private static async Task IgnoreMissingAsync(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (AwsServiceException exception) when (exception.IsNotFound)
        {
            // Already gone (AWS answers 404; some emulators 400 with the same error code): deleting is idempotent.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId}: MediaLive channel {ChannelId} and MediaPackage channel {PackageChannelId} created and started")]
    private partial void LogCreated(string liveId, string channelId, string packageChannelId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId}: harvest of {Start} .. {End} requested")]
    private partial void LogHarvestRequested(string liveId, DateTimeOffset start, DateTimeOffset end);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {LiveId}: MediaLive input {InputId} has no push address")]
    private partial void LogNoIngestAddress(string liveId, string inputId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId}: AWS media resources deleted")]
    private partial void LogDeleted(string liveId);
}
