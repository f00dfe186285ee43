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
/// Consumes the recordings bucket's S3 "object created" notifications from SQS (replacing the seed's Lambda) and
/// tells the session grain its recording is ready. A message is deleted only after the grain took it, so a crash
/// redelivers it; the grain folds duplicates in.
/// </summary>
public sealed partial class RecordingEventListener(
    IGrainFactory grains,
    IOptions<AwsOptions> aws,
    IOptions<AwsMediaOptions> options,
    AwsMediaProvider provider,
    ILogger<RecordingEventListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(options.Value.RecordingQueueUrl))
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
                    new ReceiveMessageRequest { QueueUrl = options.Value.RecordingQueueUrl, MaxNumberOfMessages = 10, WaitTimeSeconds = 5 }, stoppingToken);
                foreach (var message in batch.Messages ?? [])
                {
                    await HandleAsync(message.Body);
                    await sqs.DeleteMessageAsync(options.Value.RecordingQueueUrl, message.ReceiptHandle, stoppingToken);
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

    private async Task HandleAsync(string body)
    {
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("Records", out var records))
        {
            // s3:TestEvent and anything else that is not a notification.
            return;
        }

        foreach (var record in records.EnumerateArray())
        {
            var eventName = record.GetProperty("eventName").GetString() ?? string.Empty;
            var key = Uri.UnescapeDataString((record.GetProperty("s3").GetProperty("object").GetProperty("key").GetString() ?? string.Empty).Replace('+', ' '));
            if (!eventName.StartsWith("ObjectCreated", StringComparison.Ordinal) || AwsMediaProvider.LiveIdFromRecordingKey(key) is not { } liveId)
            {
                continue;
            }

            LogRecordingReady(liveId, key);
            await grains.GetGrain<ILiveSessionGrain>(liveId).RecordingReadyAsync(provider.RecordingUrl(key));
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Media:Aws:RecordingQueueUrl is empty; recordings will not be marked ready")]
    private partial void LogDisabled();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Receiving S3 recording events failed; retrying")]
    private partial void LogReceiveFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recording of session {LiveId} is ready at {Key}")]
    private partial void LogRecordingReady(string liveId, string key);
}
