namespace LiveStream.Infrastructure.Aws;

/// <summary>
/// The AWS Elemental MediaLive calls LiveStream makes: an RTMP push input per session, a channel encoding it into
/// a MediaPackage channel, and the channel's start/stop/delete lifecycle.
/// </summary>
public sealed class MediaLiveClient(AwsClientCore core)
{
    /// <summary>Id of the channel output destination that points at MediaPackage; the output group refers to it.</summary>
    public const string MediaPackageDestinationId = "mediapackage";

    private static readonly AwsService Service = AwsService.MediaLive;

    public async Task<MediaLiveInputSecurityGroup> CreateInputSecurityGroupAsync(
        IReadOnlyList<string> allowedCidrs, IReadOnlyDictionary<string, string>? tags, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(allowedCidrs);
        if (allowedCidrs.Count == 0)
        {
            throw new ArgumentException("At least one CIDR is needed, or no encoder could push.", nameof(allowedCidrs));
        }

        var body = new MediaLiveCreateInputSecurityGroupBody([.. allowedCidrs.Select(c => new MediaLiveInputWhitelistRule(c))], tags);
        var answer = await core.SendJsonAsync(
            Service, "CreateInputSecurityGroup", HttpMethod.Post, "/prod/inputSecurityGroups", body,
            AwsJsonContext.Default.MediaLiveCreateInputSecurityGroupBody, AwsJsonContext.Default.MediaLiveCreateInputSecurityGroupAnswer,
            cancellationToken).ConfigureAwait(false);
        return answer.SecurityGroup;
    }

    /// <summary>The account's input security groups (first page); a group has no name, so a retried creation is found by its tags.</summary>
    public async Task<IReadOnlyList<MediaLiveInputSecurityGroup>> ListInputSecurityGroupsAsync(CancellationToken cancellationToken) =>
        (await core.SendJsonAsync(
            Service, "ListInputSecurityGroups", HttpMethod.Get, "/prod/inputSecurityGroups",
            AwsJsonContext.Default.MediaLiveListInputSecurityGroupsAnswer, cancellationToken).ConfigureAwait(false)).InputSecurityGroups ?? [];

    public Task DeleteInputSecurityGroupAsync(string inputSecurityGroupId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DeleteInputSecurityGroup", HttpMethod.Delete,
            $"/prod/inputSecurityGroups/{AwsPaths.Id(inputSecurityGroupId, nameof(inputSecurityGroupId))}", cancellationToken);

    public async Task<MediaLiveInput> CreateRtmpPushInputAsync(CreateRtmpPushInputRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        ArgumentNullException.ThrowIfNull(request.StreamNames);
        ArgumentNullException.ThrowIfNull(request.InputSecurityGroupIds);
        if (request.StreamNames.Count is < 1 or > 2)
        {
            throw new ArgumentException("An RTMP push input has one stream name per pipeline: one or two.", nameof(request));
        }

        if (request.InputSecurityGroupIds.Count == 0)
        {
            throw new ArgumentException("An RTMP push input needs an input security group.", nameof(request));
        }

        // requestId is MediaLive's idempotency token: a retry of this very call cannot create a second input.
        var body = new MediaLiveCreateInputBody(
            request.Name,
            "RTMP_PUSH",
            [.. request.StreamNames.Select(s => new MediaLiveInputDestinationRequest(s))],
            request.InputSecurityGroupIds,
            request.RequestId ?? Guid.NewGuid().ToString("N"),
            request.Tags);
        var answer = await core.SendJsonAsync(
            Service, "CreateInput", HttpMethod.Post, "/prod/inputs", body,
            AwsJsonContext.Default.MediaLiveCreateInputBody, AwsJsonContext.Default.MediaLiveCreateInputAnswer,
            cancellationToken).ConfigureAwait(false);
        return answer.Input;
    }

    public Task<MediaLiveInput> DescribeInputAsync(string inputId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DescribeInput", HttpMethod.Get, $"/prod/inputs/{AwsPaths.Id(inputId, nameof(inputId))}",
            AwsJsonContext.Default.MediaLiveInput, cancellationToken);

    /// <summary>Deletes an input; MediaLive refuses (ConflictException) while a channel still uses it.</summary>
    public Task DeleteInputAsync(string inputId, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, "DeleteInput", HttpMethod.Delete, $"/prod/inputs/{AwsPaths.Id(inputId, nameof(inputId))}", cancellationToken);

    public async Task<MediaLiveChannel> CreateChannelAsync(CreateMediaLiveChannelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        AwsPaths.Id(request.InputId, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.MediaPackageChannelId);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.RoleArn);

        var attachment = new MediaLiveInputAttachment(
            request.InputId,
            request.InputId,
            new MediaLiveInputSettings(
                [new MediaLiveAudioSelector(MediaLiveEncoderPresets.AudioSelectorName)],
                // An encoder that drops and reconnects must not end the channel's output.
                SourceEndBehavior: "CONTINUE"));
        var destination = new MediaLiveOutputDestination(
            MediaPackageDestinationId, [new MediaLiveMediaPackageDestination(request.MediaPackageChannelId)]);
        var body = new MediaLiveCreateChannelBody(
            request.Name,
            request.ChannelClass,
            [attachment],
            // Input spec drives MediaLive pricing: an AVC HD source up to 10 Mbps is what a mentor's encoder sends.
            new MediaLiveInputSpecification("AVC", "MAX_10_MBPS", "HD"),
            [destination],
            request.EncoderSettings ?? MediaLiveEncoderPresets.MediaPackage720pLadder(MediaPackageDestinationId),
            request.RoleArn,
            request.RequestId ?? Guid.NewGuid().ToString("N"),
            request.Tags);
        var answer = await core.SendJsonAsync(
            Service, "CreateChannel", HttpMethod.Post, "/prod/channels", body,
            AwsJsonContext.Default.MediaLiveCreateChannelBody, AwsJsonContext.Default.MediaLiveCreateChannelAnswer,
            cancellationToken).ConfigureAwait(false);
        return answer.Channel;
    }

    /// <summary>Every input of the account (the first page: the request signer sends no query string, and LiveStream keeps one per live session).</summary>
    public async Task<IReadOnlyList<MediaLiveInput>> ListInputsAsync(CancellationToken cancellationToken) =>
        (await core.SendJsonAsync(
            Service, "ListInputs", HttpMethod.Get, "/prod/inputs",
            AwsJsonContext.Default.MediaLiveListInputsAnswer, cancellationToken).ConfigureAwait(false)).Inputs ?? [];

    /// <summary>Every channel of the account (the first page: the request signer sends no query string, and LiveStream keeps one per live session).</summary>
    public async Task<IReadOnlyList<MediaLiveChannel>> ListChannelsAsync(CancellationToken cancellationToken) =>
        (await core.SendJsonAsync(
            Service, "ListChannels", HttpMethod.Get, "/prod/channels",
            AwsJsonContext.Default.MediaLiveListChannelsAnswer, cancellationToken).ConfigureAwait(false)).Channels ?? [];

    public Task<MediaLiveChannel> DescribeChannelAsync(string channelId, CancellationToken cancellationToken) =>
        ChannelCallAsync("DescribeChannel", HttpMethod.Get, channelId, suffix: string.Empty, cancellationToken);

    /// <summary>Starts the channel; the answer shows STARTING, RUNNING follows (poll <see cref="DescribeChannelAsync"/>).</summary>
    public Task<MediaLiveChannel> StartChannelAsync(string channelId, CancellationToken cancellationToken) =>
        ChannelCallAsync("StartChannel", HttpMethod.Post, channelId, "/start", cancellationToken);

    /// <summary>Stops the channel; the answer shows STOPPING, IDLE follows.</summary>
    public Task<MediaLiveChannel> StopChannelAsync(string channelId, CancellationToken cancellationToken) =>
        ChannelCallAsync("StopChannel", HttpMethod.Post, channelId, "/stop", cancellationToken);

    /// <summary>Deletes an idle channel; the answer shows DELETING, DELETED follows.</summary>
    public Task<MediaLiveChannel> DeleteChannelAsync(string channelId, CancellationToken cancellationToken) =>
        ChannelCallAsync("DeleteChannel", HttpMethod.Delete, channelId, suffix: string.Empty, cancellationToken);

    private Task<MediaLiveChannel> ChannelCallAsync(
        string operation, HttpMethod method, string channelId, string suffix, CancellationToken cancellationToken) =>
        core.SendJsonAsync(
            Service, operation, method, $"/prod/channels/{AwsPaths.Id(channelId, nameof(channelId))}{suffix}",
            AwsJsonContext.Default.MediaLiveChannel, cancellationToken);
}
