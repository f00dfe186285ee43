namespace LiveStream.Infrastructure.Aws;

// Records in this file are both the typed results of MediaLiveClient and the wire shapes: their property names
// become MediaLive's lowerCamel JSON members. Members AWS may omit are nullable.

/// <summary>String values of MediaLive's ChannelState.</summary>
public static class MediaLiveChannelStates
{
    public const string Creating = "CREATING";
    public const string CreateFailed = "CREATE_FAILED";
    public const string Idle = "IDLE";
    public const string Starting = "STARTING";
    public const string Running = "RUNNING";
    public const string Recovering = "RECOVERING";
    public const string Stopping = "STOPPING";
    public const string Deleting = "DELETING";
    public const string Deleted = "DELETED";
    public const string Updating = "UPDATING";
    public const string UpdateFailed = "UPDATE_FAILED";
}

/// <summary>String values of MediaLive's ChannelClass.</summary>
public static class MediaLiveChannelClasses
{
    /// <summary>Two redundant pipelines; needs two input destinations.</summary>
    public const string Standard = "STANDARD";

    /// <summary>One pipeline; about half the price, which suits one-mentor sessions.</summary>
    public const string SinglePipeline = "SINGLE_PIPELINE";
}

/// <summary>A MediaLive input security group: which source CIDRs may push to an input.</summary>
public sealed record MediaLiveInputSecurityGroup(
    string Id,
    string Arn,
    string? State,
    IReadOnlyList<MediaLiveInputWhitelistRule>? WhitelistRules,
    IReadOnlyList<string>? Inputs)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record MediaLiveInputWhitelistRule(string Cidr);

/// <summary>What to create an RTMP push input with.</summary>
/// <param name="Name">Input name shown in the console.</param>
/// <param name="StreamNames">
/// One <c>application/instance</c> stream name per pipeline (one for a single-pipeline channel, two for standard);
/// the encoder publishes to <c>rtmp://{input ip}:1935/{stream name}</c>.
/// </param>
/// <param name="InputSecurityGroupIds">Security groups allowing the encoders' addresses.</param>
public sealed record CreateRtmpPushInputRequest(string Name, IReadOnlyList<string> StreamNames, IReadOnlyList<string> InputSecurityGroupIds)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>MediaLive's idempotency token; a deterministic one makes a retried creation return the same input.</summary>
    public string? RequestId { get; init; }
}

public sealed record MediaLiveInput(
    string Id,
    string Arn,
    string? Name,
    string? Type,
    string? State,
    string? InputClass,
    IReadOnlyList<MediaLiveInputDestination>? Destinations,
    IReadOnlyList<string>? AttachedChannels,
    IReadOnlyList<string>? SecurityGroups)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

/// <summary>Where an encoder pushes to; <see cref="Url"/> is the full RTMP URL including the stream name.</summary>
public sealed record MediaLiveInputDestination(string? Url, string? Ip, string? Port);

/// <summary>What to create a channel with: one RTMP input in, one MediaPackage channel out.</summary>
/// <param name="RoleArn">IAM role MediaLive assumes (the "MediaLiveAccessRole").</param>
public sealed record CreateMediaLiveChannelRequest(string Name, string InputId, string MediaPackageChannelId, string RoleArn)
{
    public string ChannelClass { get; init; } = MediaLiveChannelClasses.SinglePipeline;

    /// <summary>Encoding ladder; <see langword="null"/> uses <see cref="MediaLiveEncoderPresets.MediaPackage720pLadder"/>.</summary>
    public MediaLiveEncoderSettings? EncoderSettings { get; init; }

    public IReadOnlyDictionary<string, string>? Tags { get; init; }

    /// <summary>MediaLive's idempotency token; a deterministic one makes a retried creation return the same channel.</summary>
    public string? RequestId { get; init; }
}

public sealed record MediaLiveChannel(
    string Id,
    string Arn,
    string? Name,
    string? State,
    string? ChannelClass,
    string? RoleArn,
    IReadOnlyList<MediaLiveInputAttachment>? InputAttachments,
    IReadOnlyList<MediaLiveOutputDestination>? Destinations,
    MediaLiveEncoderSettings? EncoderSettings,
    int? PipelinesRunningCount)
{
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}

public sealed record MediaLiveInputAttachment(string? InputAttachmentName, string? InputId, MediaLiveInputSettings? InputSettings);

public sealed record MediaLiveInputSettings(IReadOnlyList<MediaLiveAudioSelector>? AudioSelectors, string? SourceEndBehavior);

/// <summary>An audio selector without selector settings picks the input's first audio track.</summary>
public sealed record MediaLiveAudioSelector(string Name);

/// <summary>A channel output destination; LiveStream only uses the MediaPackage kind.</summary>
public sealed record MediaLiveOutputDestination(string Id, IReadOnlyList<MediaLiveMediaPackageDestination>? MediaPackageSettings);

public sealed record MediaLiveMediaPackageDestination(string ChannelId);

public sealed record MediaLiveInputSpecification(string Codec, string MaximumBitrate, string Resolution);

// Wire envelopes: MediaLive wraps create answers, and takes create requests with members we do not expose.

internal sealed record MediaLiveCreateInputSecurityGroupBody(
    IReadOnlyList<MediaLiveInputWhitelistRule> WhitelistRules, IReadOnlyDictionary<string, string>? Tags);

internal sealed record MediaLiveCreateInputSecurityGroupAnswer(MediaLiveInputSecurityGroup SecurityGroup);

internal sealed record MediaLiveCreateInputBody(
    string Name,
    string Type,
    IReadOnlyList<MediaLiveInputDestinationRequest> Destinations,
    IReadOnlyList<string> InputSecurityGroups,
    string RequestId,
    IReadOnlyDictionary<string, string>? Tags);

internal sealed record MediaLiveInputDestinationRequest(string StreamName);

internal sealed record MediaLiveCreateInputAnswer(MediaLiveInput Input);

internal sealed record MediaLiveCreateChannelBody(
    string Name,
    string ChannelClass,
    IReadOnlyList<MediaLiveInputAttachment> InputAttachments,
    MediaLiveInputSpecification InputSpecification,
    IReadOnlyList<MediaLiveOutputDestination> Destinations,
    MediaLiveEncoderSettings EncoderSettings,
    string RoleArn,
    string RequestId,
    IReadOnlyDictionary<string, string>? Tags);

internal sealed record MediaLiveCreateChannelAnswer(MediaLiveChannel Channel);

internal sealed record MediaLiveListInputsAnswer(IReadOnlyList<MediaLiveInput>? Inputs, string? NextToken);

internal sealed record MediaLiveListChannelsAnswer(IReadOnlyList<MediaLiveChannel>? Channels, string? NextToken);

internal sealed record MediaLiveListInputSecurityGroupsAnswer(IReadOnlyList<MediaLiveInputSecurityGroup>? InputSecurityGroups, string? NextToken);
