using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LiveStream.Abstractions.Sessions;
using LiveStream.Infrastructure.Aws;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LiveStream.Infrastructure.Media;

/// <summary>
/// Consumes the media events queue: the recordings bucket's S3 "object created" notifications (replacing the seed's
/// Lambda), which tell the session grain its recording is ready, and MediaLive's channel alerts (EventBridge rule
/// to the same queue), whose input alarms tell it whether the mentor's encoder is pushing. A message is deleted only
/// after the grain took it, so a crash redelivers it; the grain folds duplicated and out-of-order events in.
/// </summary>
public sealed partial class RecordingEventListener(
    IGrainFactory grains,
    IOptions<AwsOptions> aws,
    IOptions<AwsMediaOptions> options,
    AwsMediaProvider provider,
    MediaLiveClient mediaLive,
    ILogger<RecordingEventListener> logger) : BackgroundService
{
    public const string ChannelAlert = "MediaLive Channel Alert";

    // Alerts name the channel by ARN only; a channel's session never changes, so the lookup is cached.
    private readonly ConcurrentDictionary<string, string?> _sessionOfChannel = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(options.Value.RecordingEventsQueueUrl))
        {
            LogDisabled();
            return;
        }

        using var sqs = CreateClient(aws.Value);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var batch = await sqs.ReceiveMessageAsync(
                    new ReceiveMessageRequest { QueueUrl = options.Value.RecordingEventsQueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 5 }, stoppingToken);
                foreach (var message in batch.Messages ?? [])
                {
                    await HandleOneAsync(sqs, message, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                // The silo may still be starting or the queue briefly unreachable; unhandled messages come back.
                LogReceiveFailed(exception);
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            }
        }
    }

    /// <summary>
    /// One message on its own: a bad or failing one stays on the queue (redelivered, then dead-lettered) while the
    /// rest of the batch is still handled and deleted.
    /// </summary>
    private async Task HandleOneAsync(AmazonSQSClient sqs, Message message, CancellationToken cancellationToken)
    {
        try
        {
            await HandleAsync(message.Body, cancellationToken);
            await sqs.DeleteMessageAsync(options.Value.RecordingEventsQueueUrl, message.ReceiptHandle, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogMessageFailed(exception, message.MessageId);
        }
    }

    private async Task HandleAsync(string body, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.TryGetProperty("detail-type", out var detailType))
        {
            await HandleEventBridgeAsync(document.RootElement, detailType.GetString(), cancellationToken);
            return;
        }

        if (!document.RootElement.TryGetProperty("Records", out var records))
        {
            // s3:TestEvent and anything else that is not a notification.
            return;
        }

        foreach (var record in records.EnumerateArray())
        {
            var eventName = record.GetProperty("eventName").GetString() ?? string.Empty;
            var key = Uri.UnescapeDataString((record.GetProperty("s3").GetProperty("object").GetProperty("key").GetString() ?? string.Empty).Replace('+', ' '));
            if (!eventName.StartsWith("ObjectCreated", StringComparison.Ordinal) || provider.LiveIdFromRecordingKey(key) is not { } liveId)
            {
                continue;
            }

            LogRecordingReady(liveId, key);
            await grains.GetGrain<ILiveSessionGrain>(liveId).RecordingReadyAsync(provider.RecordingUrl(key));
        }
    }

    /// <summary>
    /// A MediaLive channel alert (EventBridge shape: <c>time</c>, <c>detail.alarm_state</c> SET/CLEARED,
    /// <c>detail.alert_type</c>, <c>detail.channel_arn</c>, <c>detail.pipeline</c>) becomes an input signal for the
    /// channel's session when its type means "no input". Other events (state changes, other alerts) are only logged.
    /// </summary>
    private async Task HandleEventBridgeAsync(JsonElement root, string? detailType, CancellationToken cancellationToken)
    {
        if (detailType != ChannelAlert || !root.TryGetProperty("detail", out var detail))
        {
            LogIgnoredEvent(detailType ?? "(none)");
            return;
        }

        var alertType = detail.TryGetProperty("alert_type", out var type) ? type.GetString() ?? string.Empty : string.Empty;
        var alarmState = detail.TryGetProperty("alarm_state", out var stateValue) ? stateValue.GetString() : null;
        if (!options.Value.InputAlertTypes.Contains(alertType, StringComparer.OrdinalIgnoreCase) || alarmState is not ("SET" or "CLEARED"))
        {
            LogIgnoredAlert(alertType, alarmState ?? "(none)");
            return;
        }

        var channelArn = detail.TryGetProperty("channel_arn", out var arn) ? arn.GetString() : null;
        var channelId = channelArn?[(channelArn.LastIndexOf(':') + 1)..];
        if (string.IsNullOrEmpty(channelId) || await SessionOfChannelAsync(channelId, cancellationToken) is not { } liveId)
        {
            LogUnknownChannel(channelArn ?? "(none)", alertType);
            return;
        }

        var pipeline = detail.TryGetProperty("pipeline", out var pipelineValue) ? pipelineValue.GetString() : null;
        var at = DateTimeOffset.Parse(root.GetProperty("time").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        var lost = alarmState == "SET";
        LogInputAlert(liveId, alertType, alarmState, at);
        await grains.GetGrain<ILiveSessionGrain>(liveId).InputSignalAsync(new MediaInputSignal($"{alertType}#{pipeline ?? "0"}", lost, at));
    }

    private async Task<string?> SessionOfChannelAsync(string channelId, CancellationToken cancellationToken)
    {
        if (_sessionOfChannel.TryGetValue(channelId, out var known))
        {
            return known;
        }

        try
        {
            var channel = await mediaLive.DescribeChannelAsync(channelId, cancellationToken);
            var liveId = AwsMediaProvider.LiveIdFromChannelName(channel.Name);
            _sessionOfChannel[channelId] = liveId;
            return liveId;
        }
        catch (AwsServiceException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted since: its session is over and the alert says nothing any more.
            return null;
        }
    }

    private static AmazonSQSClient CreateClient(AwsOptions options)
    {
        var config = new AmazonSQSConfig();
        if (options.ServiceUrl is not null)
        {
            config.ServiceURL = options.ServiceUrl.ToString();
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is not null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        return string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonSQSClient(config)
            : new AmazonSQSClient(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media:Aws:RecordingEventsQueueUrl is empty; recordings will not be marked ready and input alerts are not followed")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving S3 recording events failed; retrying")]
    private partial void LogReceiveFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media event message {MessageId} failed; it stays on the queue for redelivery")]
    private partial void LogMessageFailed(Exception exception, string messageId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording of session {LiveId} is ready at {Key}")]
    private partial void LogRecordingReady(string liveId, string key);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {LiveId}: MediaLive alert {AlertType} {AlarmState} at {At}")]
    private partial void LogInputAlert(string liveId, string alertType, string alarmState, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored media event {DetailType}")]
    private partial void LogIgnoredEvent(string detailType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ignored MediaLive alert {AlertType} ({AlarmState}): not an input alarm")]
    private partial void LogIgnoredAlert(string alertType, string alarmState);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MediaLive alert {AlertType} for channel {ChannelArn} matches no session")]
    private partial void LogUnknownChannel(string channelArn, string alertType);
}
