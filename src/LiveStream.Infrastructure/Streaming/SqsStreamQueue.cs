using System.Globalization;
using System.Text.Json;
using Amazon.SQS;
using Amazon.SQS.Model;
using LiveStream.Infrastructure.Telemetry;
using Microsoft.Extensions.Logging;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// Amazon SQS standard queues: one per partition plus one dead-letter queue that every partition's redrive
/// policy points at, so SQS itself moves a message out after <c>MaxAttempts</c> receives. Standard queues
/// deliver at least once and only roughly in order, which the stream provider tolerates.
/// </summary>
internal sealed partial class SqsStreamQueue(
    IAmazonSQS client,
    bool ownsClient,
    StreamQueueSettings settings,
    SqsQueueOptions sqsOptions,
    ILogger<SqsStreamQueue> logger) : IStreamQueue
{
    // Hard SQS limits: 10 entries per batch call, 256 KiB per message and per batch.
    private const int MaxBatchEntries = 10;
    private const int MaxBatchBytes = 256 * 1024;
    private const string DepthBackend = "aws_sqs";

    private readonly SemaphoreSlim _initializeLock = new(1, 1);
    private string[]? _partitionUrls;
    private string? _deadLetterUrl;

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_partitionUrls is not null)
        {
            return;
        }

        await _initializeLock.WaitAsync(cancellationToken);
        try
        {
            if (_partitionUrls is not null)
            {
                return;
            }

            var deadLetterUrl = sqsOptions.CreateQueues
                ? await CreateOrUpdateQueueAsync(settings.DeadLetterName, new Dictionary<string, string>
                {
                    // The longest retention SQS offers: dead letters wait for an operator.
                    [QueueAttributeName.MessageRetentionPeriod] = "1209600",
                }, cancellationToken)
                : await GetUrlAsync(settings.DeadLetterName, cancellationToken);

            var urls = new string[settings.PartitionCount];
            if (sqsOptions.CreateQueues)
            {
                var deadLetterArn = await GetQueueArnAsync(deadLetterUrl, cancellationToken);
                var redrivePolicy = JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["deadLetterTargetArn"] = deadLetterArn,
                    ["maxReceiveCount"] = settings.MaxAttempts.ToString(CultureInfo.InvariantCulture),
                });
                var attributes = new Dictionary<string, string>
                {
                    [QueueAttributeName.VisibilityTimeout] = Seconds(settings.VisibilityTimeout).ToString(CultureInfo.InvariantCulture),
                    [QueueAttributeName.RedrivePolicy] = redrivePolicy,
                };
                for (var partition = 0; partition < urls.Length; partition++)
                {
                    urls[partition] = await CreateOrUpdateQueueAsync(settings.PartitionName(partition), attributes, cancellationToken);
                }
            }
            else
            {
                for (var partition = 0; partition < urls.Length; partition++)
                {
                    urls[partition] = await GetUrlAsync(settings.PartitionName(partition), cancellationToken);
                }
            }

            _deadLetterUrl = deadLetterUrl;
            _partitionUrls = urls;
            LogInitialized(logger, settings.Prefix, urls.Length, settings.DeadLetterName);
        }
        finally
        {
            _initializeLock.Release();
        }
    }

    public async Task EnqueueAsync(int partition, IReadOnlyList<byte[]> payloads, CancellationToken cancellationToken)
    {
        var url = await PartitionUrlAsync(partition, cancellationToken);
        var batch = new List<SendMessageBatchRequestEntry>();
        var batchBytes = 0;
        foreach (var payload in payloads)
        {
            // SQS bodies are text; base64 keeps the Orleans binary payload intact.
            var body = Convert.ToBase64String(payload);
            if (body.Length > MaxBatchBytes)
            {
                throw new InvalidOperationException(
                    $"A stream batch of {payload.Length} bytes exceeds the SQS message limit of {MaxBatchBytes} bytes after base64 encoding.");
            }

            if (batch.Count == MaxBatchEntries || batchBytes + body.Length > MaxBatchBytes)
            {
                await SendBatchAsync(url, batch, cancellationToken);
                batch = [];
                batchBytes = 0;
            }

            batch.Add(new SendMessageBatchRequestEntry(batch.Count.ToString(CultureInfo.InvariantCulture), body));
            batchBytes += body.Length;
        }

        if (batch.Count > 0)
        {
            await SendBatchAsync(url, batch, cancellationToken);
        }
    }

    public async Task<IReadOnlyList<LeasedMessage>> ReceiveAsync(int partition, int maxCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        var url = await PartitionUrlAsync(partition, cancellationToken);
        var result = new List<LeasedMessage>();
        var wait = Seconds(sqsOptions.WaitTime);
        while (result.Count < maxCount)
        {
            var want = Math.Min(MaxBatchEntries, maxCount - result.Count);
            var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest
            {
                QueueUrl = url,
                MaxNumberOfMessages = want,
                // Only the first request long-polls; follow-ups just drain what is already there.
                WaitTimeSeconds = result.Count == 0 ? wait : 0,
                VisibilityTimeout = Seconds(settings.VisibilityTimeout),
                MessageSystemAttributeNames = [MessageSystemAttributeName.ApproximateReceiveCount],
            }, cancellationToken);

            var messages = response.Messages ?? [];
            foreach (var message in messages)
            {
                result.Add(new LeasedMessage(message.MessageId, message.ReceiptHandle, Convert.FromBase64String(message.Body), ReceiveCount(message)));
            }

            if (messages.Count < want)
            {
                break;
            }
        }

        return result;
    }

    public async Task AcknowledgeAsync(int partition, IReadOnlyList<LeasedMessage> messages, CancellationToken cancellationToken)
    {
        var url = await PartitionUrlAsync(partition, cancellationToken);
        foreach (var chunk in messages.Chunk(MaxBatchEntries))
        {
            var response = await client.DeleteMessageBatchAsync(new DeleteMessageBatchRequest
            {
                QueueUrl = url,
                Entries = chunk.Select((m, i) => new DeleteMessageBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.LeaseToken)).ToList(),
            }, cancellationToken);
            foreach (var failure in response.Failed ?? [])
            {
                // A stale receipt handle: the message was redelivered elsewhere and will be acknowledged there.
                LogBatchEntryFailed(logger, "delete", settings.PartitionName(partition), failure.Code, failure.Message);
            }
        }
    }

    public async Task ReleaseAsync(int partition, LeasedMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        var url = await PartitionUrlAsync(partition, cancellationToken);
        try
        {
            await client.ChangeMessageVisibilityAsync(new ChangeMessageVisibilityRequest
            {
                QueueUrl = url,
                ReceiptHandle = message.LeaseToken,
                VisibilityTimeout = Seconds(delay),
            }, cancellationToken);
        }
        catch (Exception exception) when (exception is MessageNotInflightException or ReceiptHandleIsInvalidException)
        {
            // The lease already lapsed; the message is (or will be) visible again anyway.
            LogStaleLease(logger, message.MessageId, settings.PartitionName(partition));
        }
    }

    public async Task ExtendLeaseAsync(int partition, IReadOnlyList<LeasedMessage> messages, TimeSpan visibility, CancellationToken cancellationToken)
    {
        var url = await PartitionUrlAsync(partition, cancellationToken);
        var seconds = Seconds(visibility);
        foreach (var chunk in messages.Chunk(MaxBatchEntries))
        {
            var response = await client.ChangeMessageVisibilityBatchAsync(new ChangeMessageVisibilityBatchRequest
            {
                QueueUrl = url,
                Entries = chunk.Select((m, i) => new ChangeMessageVisibilityBatchRequestEntry(i.ToString(CultureInfo.InvariantCulture), m.LeaseToken)
                {
                    VisibilityTimeout = seconds,
                }).ToList(),
            }, cancellationToken);
            foreach (var failure in response.Failed ?? [])
            {
                LogBatchEntryFailed(logger, "extend", settings.PartitionName(partition), failure.Code, failure.Message);
            }
        }
    }

    public async Task<IReadOnlyList<DeadLetteredMessage>> PeekDeadLettersAsync(int maxCount, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        // A zero visibility timeout looks without taking the messages away from anyone else.
        var response = await client.ReceiveMessageAsync(new ReceiveMessageRequest
        {
            QueueUrl = _deadLetterUrl,
            MaxNumberOfMessages = Math.Clamp(maxCount, 1, MaxBatchEntries),
            WaitTimeSeconds = 0,
            VisibilityTimeout = 0,
            MessageSystemAttributeNames = [MessageSystemAttributeName.ApproximateReceiveCount],
        }, cancellationToken);
        return (response.Messages ?? [])
            .Select(m => new DeadLetteredMessage(m.MessageId, Convert.FromBase64String(m.Body), ReceiveCount(m)))
            .ToList();
    }

    public async Task<IReadOnlyList<QueueDepthSample>> GetDepthsAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken);
        var samples = new List<QueueDepthSample>((_partitionUrls!.Length * 2) + 1);
        for (var partition = 0; partition < _partitionUrls.Length; partition++)
        {
            var (visible, notVisible) = await CountAsync(_partitionUrls[partition], cancellationToken);
            samples.Add(new QueueDepthSample(settings.PartitionName(partition), QueueDepthStates.Ready, DepthBackend, visible));
            samples.Add(new QueueDepthSample(settings.PartitionName(partition), QueueDepthStates.InFlight, DepthBackend, notVisible));
        }

        var (deadVisible, deadNotVisible) = await CountAsync(_deadLetterUrl!, cancellationToken);
        samples.Add(new QueueDepthSample(settings.DeadLetterName, QueueDepthStates.DeadLetter, DepthBackend, deadVisible + deadNotVisible));
        return samples;
    }

    /// <summary>SQS's approximate counts: visible, and in flight or delayed (our back-off is a visibility change).</summary>
    private async Task<(long Visible, long NotVisible)> CountAsync(string url, CancellationToken cancellationToken)
    {
        var response = await client.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames =
            [
                QueueAttributeName.ApproximateNumberOfMessages,
                QueueAttributeName.ApproximateNumberOfMessagesNotVisible,
                QueueAttributeName.ApproximateNumberOfMessagesDelayed,
            ],
        }, cancellationToken);
        return (response.ApproximateNumberOfMessages, response.ApproximateNumberOfMessagesNotVisible + response.ApproximateNumberOfMessagesDelayed);
    }

    public ValueTask DisposeAsync()
    {
        _initializeLock.Dispose();
        if (ownsClient)
        {
            client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private async Task<string> PartitionUrlAsync(int partition, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, settings.PartitionCount);
        await InitializeAsync(cancellationToken);
        return _partitionUrls![partition];
    }

    private async Task SendBatchAsync(string url, List<SendMessageBatchRequestEntry> entries, CancellationToken cancellationToken)
    {
        var response = await client.SendMessageBatchAsync(new SendMessageBatchRequest { QueueUrl = url, Entries = entries }, cancellationToken);
        if (response.Failed is { Count: > 0 } failed)
        {
            // The producer must see the failure: an event the queue did not take was not published.
            throw new InvalidOperationException(
                $"SQS refused {failed.Count} of {entries.Count} stream messages: {string.Join("; ", failed.Select(f => $"{f.Code}: {f.Message}"))}");
        }
    }

    private async Task<string> CreateOrUpdateQueueAsync(string name, Dictionary<string, string> attributes, CancellationToken cancellationToken)
    {
        try
        {
            var created = await client.CreateQueueAsync(new CreateQueueRequest { QueueName = name, Attributes = new(attributes) }, cancellationToken);
            return created.QueueUrl;
        }
        catch (QueueNameExistsException)
        {
            // The queue exists with other attributes (e.g. MaxAttempts changed): bring it in line with the options.
            var url = await GetUrlAsync(name, cancellationToken);
            await client.SetQueueAttributesAsync(url, new Dictionary<string, string>(attributes), cancellationToken);
            return url;
        }
    }

    private async Task<string> GetUrlAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetQueueUrlAsync(new GetQueueUrlRequest { QueueName = name }, cancellationToken)).QueueUrl;
        }
        catch (QueueDoesNotExistException exception)
        {
            throw new InvalidOperationException(
                $"SQS queue {name} does not exist. Create it (with a redrive policy to {settings.DeadLetterName}) or set Sqs:CreateQueues.", exception);
        }
    }

    private async Task<string> GetQueueArnAsync(string url, CancellationToken cancellationToken)
    {
        var response = await client.GetQueueAttributesAsync(new GetQueueAttributesRequest
        {
            QueueUrl = url,
            AttributeNames = [QueueAttributeName.QueueArn],
        }, cancellationToken);
        return response.QueueARN ?? throw new InvalidOperationException($"SQS did not report the ARN of {url}.");
    }

    private static int ReceiveCount(Message message) =>
        message.Attributes is { } attributes
        && attributes.TryGetValue(MessageSystemAttributeName.ApproximateReceiveCount, out var value)
        && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            ? count
            : 1;

    // SQS counts whole seconds; rounding up never makes a lease or back-off shorter than asked for.
    private static int Seconds(TimeSpan duration) => (int)Math.Clamp(Math.Ceiling(duration.TotalSeconds), 0, 43_200);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} SQS stream queues named {Prefix}-N ready, dead letters go to {DeadLetterQueue}")]
    private static partial void LogInitialized(ILogger logger, string prefix, int count, string deadLetterQueue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SQS {Operation} failed for an entry of {Queue}: {Code} {Reason}")]
    private static partial void LogBatchEntryFailed(ILogger logger, string operation, string queue, string code, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Lease of SQS message {MessageId} on {Queue} was already gone")]
    private static partial void LogStaleLease(ILogger logger, string messageId, string queue);
}
