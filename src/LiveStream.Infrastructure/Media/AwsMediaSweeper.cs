using System.Diagnostics.Metrics;
using System.Net;
using LiveStream.Infrastructure.Aws;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>One AWS resource the sweeper deleted (or tried to).</summary>
public sealed record SweptResource(string Kind, string Id, string LiveId);

/// <summary>
/// The last line of defence against paid resources no session knows about: lists the account's MediaLive channels,
/// inputs and input security groups and MediaPackage channels and origin endpoints carrying our session tag (or our
/// deterministic names), and deletes those whose session is not in use any more. A resource is deleted only once it
/// has been seen unused for <see cref="AwsMediaOptions.SweepGrace"/>, so one being created right now (whose session
/// has not saved it yet) survives the sweep that happens to list it.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller at a time (the sweeper grain, a single activation in the cluster). What it remembers
/// between sweeps is only when it first saw each unused resource; losing that (a new activation) delays a deletion by
/// one grace period, never causes one.
/// </remarks>
public sealed partial class AwsMediaSweeper
{
    public const string MediaLiveChannelKind = "medialive-channel";
    public const string MediaLiveInputKind = "medialive-input";
    public const string SecurityGroupKind = "medialive-input-security-group";
    public const string PackageChannelKind = "mediapackage-channel";
    public const string EndpointKind = "mediapackage-origin-endpoint";

    /// <summary>Counter of swept resources, by <see cref="ResourceKindAttribute"/>.</summary>
    public const string SweptInstrument = "livestream.media.swept";

    public const string ResourceKindAttribute = "livestream.media.resource.kind";

    private readonly MediaLiveClient _mediaLive;
    private readonly MediaPackageClient _mediaPackage;
    private readonly IOptions<AwsMediaOptions> _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<AwsMediaSweeper> _logger;
    private readonly Counter<long> _swept;
    private readonly Dictionary<(string Kind, string Id), DateTimeOffset> _unusedSince = [];

    public AwsMediaSweeper(
        MediaLiveClient mediaLive, MediaPackageClient mediaPackage, IOptions<AwsMediaOptions> options, TimeProvider clock, IMeterFactory meters, ILogger<AwsMediaSweeper> logger)
    {
        (_mediaLive, _mediaPackage, _options, _clock, _logger) = (mediaLive, mediaPackage, options, clock, logger);
        _swept = meters.Create(LiveStreamTelemetry.MeterName)
            .CreateCounter<long>(SweptInstrument, "{resource}", "AWS media resources the sweeper deleted because no session in use owned them.");
    }

    /// <summary>
    /// One sweep. <paramref name="inUse"/> answers, per live id, whether its session may still own resources (asked
    /// once per live id and sweep). Returns what was deleted; a resource whose deletion failed is tried again next sweep.
    /// </summary>
    public async Task<IReadOnlyList<SweptResource>> SweepAsync(Func<string, CancellationToken, Task<bool>> inUse, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        var found = await ListOursAsync(cancellationToken);
        var now = _clock.GetUtcNow();
        var grace = _options.Value.SweepGrace;
        var verdicts = new Dictionary<string, bool>(StringComparer.Ordinal);
        var due = new List<SweptResource>();
        foreach (var resource in found)
        {
            if (!verdicts.TryGetValue(resource.LiveId, out var used))
            {
                verdicts[resource.LiveId] = used = await inUse(resource.LiveId, cancellationToken);
            }

            var key = (resource.Kind, resource.Id);
            if (used)
            {
                _unusedSince.Remove(key);
                continue;
            }

            if (!_unusedSince.TryGetValue(key, out var since))
            {
                _unusedSince[key] = since = now;
            }

            if (now - since >= grace)
            {
                due.Add(resource);
            }
        }

        // Forget what is gone, so the memory stays the size of the strays.
        foreach (var key in _unusedSince.Keys.Where(key => !found.Any(r => r.Kind == key.Kind && r.Id == key.Id)).ToList())
        {
            _unusedSince.Remove(key);
        }

        var swept = new List<SweptResource>();
        // Dependants first: the channel holds the input, the endpoint belongs to the package channel, the input to the group.
        foreach (var kind in (string[])[MediaLiveChannelKind, EndpointKind, PackageChannelKind, MediaLiveInputKind, SecurityGroupKind])
        {
            foreach (var resource in due.Where(r => r.Kind == kind))
            {
                try
                {
                    await DeleteAsync(resource, cancellationToken);
                    _unusedSince.Remove((resource.Kind, resource.Id), out var since);
                    _swept.Add(1, new KeyValuePair<string, object?>(ResourceKindAttribute, resource.Kind));
                    LogSwept(resource.Kind, resource.Id, resource.LiveId, now - since);
                    swept.Add(resource);
                }
                catch (AwsServiceException exception) when (exception.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
                {
                    // Still held by something deleted in this sweep (an input by its channel): the next sweep gets it.
                    LogSweepDeferred(resource.Kind, resource.Id, resource.LiveId, exception.ErrorCode);
                }
            }
        }

        return swept;
    }

    private async Task DeleteAsync(SweptResource resource, CancellationToken cancellationToken)
    {
        try
        {
            switch (resource.Kind)
            {
                case MediaLiveChannelKind:
                    // Only an idle channel can be deleted; stopping one that is idle already is a conflict, which is fine.
                    try
                    {
                        await _mediaLive.StopChannelAsync(resource.Id, cancellationToken);
                    }
                    catch (AwsServiceException exception) when (exception.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
                    {
                    }

                    await _mediaLive.DeleteChannelAsync(resource.Id, cancellationToken);
                    break;
                case EndpointKind:
                    await _mediaPackage.DeleteOriginEndpointAsync(resource.Id, cancellationToken);
                    break;
                case PackageChannelKind:
                    await _mediaPackage.DeleteChannelAsync(resource.Id, cancellationToken);
                    break;
                case MediaLiveInputKind:
                    await _mediaLive.DeleteInputAsync(resource.Id, cancellationToken);
                    break;
                case SecurityGroupKind:
                    await _mediaLive.DeleteInputSecurityGroupAsync(resource.Id, cancellationToken);
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(resource), resource.Kind, "Unknown resource kind.");
            }
        }
        catch (AwsServiceException exception) when (exception.IsNotFound)
        {
            // Deleted by its session meanwhile: the goal either way.
        }
    }

    /// <summary>Every resource of ours in the account, with the session it belongs to. A service that cannot be listed is skipped this sweep.</summary>
    private async Task<List<SweptResource>> ListOursAsync(CancellationToken cancellationToken)
    {
        var found = new List<SweptResource>();
        await ListAsync(MediaLiveChannelKind, async () =>
        {
            foreach (var channel in await _mediaLive.ListChannelsAsync(cancellationToken))
            {
                if (channel.State is not (MediaLiveChannelStates.Deleting or MediaLiveChannelStates.Deleted)
                    && LiveId(channel.Tags) is { } liveId)
                {
                    found.Add(new SweptResource(MediaLiveChannelKind, channel.Id, liveId));
                }
            }
        });
        await ListAsync(MediaLiveInputKind, async () =>
        {
            foreach (var input in await _mediaLive.ListInputsAsync(cancellationToken))
            {
                if (input.State is not ("DELETING" or "DELETED") && LiveId(input.Tags) is { } liveId)
                {
                    found.Add(new SweptResource(MediaLiveInputKind, input.Id, liveId));
                }
            }
        });
        await ListAsync(SecurityGroupKind, async () =>
        {
            // Groups have no name: only the tag says whose they are.
            foreach (var group in await _mediaLive.ListInputSecurityGroupsAsync(cancellationToken))
            {
                if (group.State is not "DELETED" && LiveId(group.Tags) is { } liveId)
                {
                    found.Add(new SweptResource(SecurityGroupKind, group.Id, liveId));
                }
            }
        });
        await ListAsync(PackageChannelKind, async () =>
        {
            foreach (var channel in await _mediaPackage.ListChannelsAsync(cancellationToken))
            {
                if (LiveId(channel.Tags) is { } liveId)
                {
                    found.Add(new SweptResource(PackageChannelKind, channel.Id, liveId));
                }
            }
        });
        await ListAsync(EndpointKind, async () =>
        {
            foreach (var endpoint in await _mediaPackage.ListOriginEndpointsAsync(cancellationToken))
            {
                if (LiveId(endpoint.Tags) is { } liveId)
                {
                    found.Add(new SweptResource(EndpointKind, endpoint.Id, liveId));
                }
            }
        });
        return found;
    }

    private async Task ListAsync(string kind, Func<Task> list)
    {
        try
        {
            await list();
        }
        catch (AwsServiceException exception)
        {
            // One service refusing (a missing permission, an outage) must not stop the others from being swept.
            LogListFailed(exception, kind, exception.ErrorCode);
        }
    }

    private static string? LiveId(IReadOnlyDictionary<string, string>? tags) =>
        tags?.GetValueOrDefault(AwsMediaProvider.TagKey) is { Length: > 0 } liveId ? liveId : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Swept {ResourceKind} {ResourceId} of session {LiveId}: no session in use has owned it for {UnusedFor}")]
    private partial void LogSwept(string resourceKind, string resourceId, string liveId, TimeSpan unusedFor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep of {ResourceKind} {ResourceId} of session {LiveId} deferred to the next sweep: {ErrorCode}")]
    private partial void LogSweepDeferred(string resourceKind, string resourceId, string liveId, string? errorCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeper could not list {ResourceKind}: {ErrorCode}")]
    private partial void LogListFailed(Exception exception, string resourceKind, string? errorCode);
}
