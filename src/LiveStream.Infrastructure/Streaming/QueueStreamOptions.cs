using System.Text.RegularExpressions;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>Which durable queue carries the stream events.</summary>
public enum QueueStreamBackend
{
    /// <summary>Table queue in PostgreSQL (<c>sql/0020_stream_queue.sql</c>): the embedded default.</summary>
    Postgres,

    /// <summary>Amazon SQS standard queues with a redrive policy to a dead-letter queue.</summary>
    Sqs,
}

/// <summary>
/// Options of one LiveStream queue stream provider, bound from a configuration section such as
/// <c>Streaming:Queue</c>. Durations bind from <c>hh:mm:ss</c> strings.
/// </summary>
public sealed partial class QueueStreamOptions
{
    public QueueStreamBackend Backend { get; set; } = QueueStreamBackend.Postgres;

    /// <summary>PostgreSQL connection string; required when <see cref="Backend"/> is Postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// Start of every queue name. The provider name is appended, then the partition number
    /// (<c>livestream-events-3</c>); the dead-letter queue ends in <c>-dlq</c>. Different deployments that
    /// share a database or an AWS account need different prefixes.
    /// </summary>
    public string QueueNamePrefix { get; set; } = "livestream";

    /// <summary>Number of partitions; each is one Orleans queue id with its own pulling agent.</summary>
    public int QueueCount { get; set; } = 8;

    /// <summary>How long a received message stays invisible to other receivers before it is delivered again.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a message is handed out before it is moved to the dead-letter queue.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Most messages taken from one partition in one read.</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Pause between reads of an empty partition (the pulling agent's timer period).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Delay before the first retry of a message a consumer failed on; doubled for every further attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Upper bound of the retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long Orleans keeps retrying an event against a failing consumer in memory before it gives the
    /// message back to the queue for a later, backed-off attempt (Orleans' <c>MaxEventDeliveryTime</c>).
    /// </summary>
    public TimeSpan DeliveryRetryWindow { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a receiver keeps extending the lease of one message that is still being delivered. After that
    /// it lets the lease lapse so the message is delivered again (and eventually dead-lettered) instead of
    /// being held forever by a stuck consumer.
    /// </summary>
    public TimeSpan MaxLeaseDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often silos sample the queue depth metric (one cheap count per partition queue).</summary>
    public TimeSpan DepthSampleInterval { get; set; } = TimeSpan.FromSeconds(15);

    public SqsQueueOptions Sqs { get; set; } = new();

    /// <summary>Growing delay before attempt <paramref name="attempt"/> + 1 of a message that failed.</summary>
    public TimeSpan RetryDelay(int attempt)
    {
        var exponent = Math.Clamp(attempt - 1, 0, 30);
        var ticks = RetryBaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= RetryMaxDelay.Ticks ? RetryMaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Every problem with these options, for a stream provider called <paramref name="providerName"/>.</summary>
    public IReadOnlyList<string> Validate(string providerName)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(Backend))
        {
            errors.Add($"{nameof(Backend)} must be {nameof(QueueStreamBackend.Postgres)} or {nameof(QueueStreamBackend.Sqs)}.");
        }

        if (Backend == QueueStreamBackend.Postgres && string.IsNullOrWhiteSpace(ConnectionString))
        {
            errors.Add($"{nameof(ConnectionString)} is required for the {nameof(QueueStreamBackend.Postgres)} backend.");
        }

        // SQS allows letters, digits, '-' and '_' up to 80 characters; the same rule keeps PostgreSQL names tidy.
        var longest = QueueNames.DeadLetter(QueueNames.Prefix(this, providerName));
        if (!QueueNamePattern().IsMatch(QueueNamePrefix ?? string.Empty) || !QueueNamePattern().IsMatch(providerName))
        {
            errors.Add($"{nameof(QueueNamePrefix)} and the provider name may only contain letters, digits, '-' and '_' (got '{QueueNamePrefix}', '{providerName}').");
        }
        else if (Math.Max(longest.Length, QueueNames.Partition(QueueNames.Prefix(this, providerName), QueueCount - 1).Length) > 80)
        {
            errors.Add($"Queue names derived from {nameof(QueueNamePrefix)} '{QueueNamePrefix}' and provider '{providerName}' exceed 80 characters.");
        }

        if (QueueCount is < 1 or > 1024)
        {
            errors.Add($"{nameof(QueueCount)} must be between 1 and 1024.");
        }

        // SQS visibility is whole seconds up to 12 hours; PostgreSQL takes the same range so both behave alike.
        if (VisibilityTimeout < TimeSpan.FromSeconds(1) || VisibilityTimeout > TimeSpan.FromHours(12))
        {
            errors.Add($"{nameof(VisibilityTimeout)} must be between 1 second and 12 hours.");
        }

        if (MaxAttempts is < 1 or > 1000)
        {
            errors.Add($"{nameof(MaxAttempts)} must be between 1 and 1000.");
        }

        if (BatchSize is < 1 or > 1000)
        {
            errors.Add($"{nameof(BatchSize)} must be between 1 and 1000.");
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"{nameof(PollInterval)} must be between 10 ms and 1 minute.");
        }

        if (RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay || RetryMaxDelay > TimeSpan.FromHours(12))
        {
            errors.Add($"{nameof(RetryBaseDelay)} must not be negative and {nameof(RetryMaxDelay)} must lie between it and 12 hours.");
        }

        if (DeliveryRetryWindow <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(DeliveryRetryWindow)} must be positive.");
        }

        if (MaxLeaseDuration < VisibilityTimeout)
        {
            errors.Add($"{nameof(MaxLeaseDuration)} must be at least {nameof(VisibilityTimeout)}.");
        }

        if (DepthSampleInterval < TimeSpan.FromMilliseconds(100) || DepthSampleInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"{nameof(DepthSampleInterval)} must be between 100 ms and 1 hour.");
        }

        if (Backend == QueueStreamBackend.Sqs)
        {
            var sqs = Sqs ?? new SqsQueueOptions();
            if (sqs.ServiceUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                errors.Add($"{nameof(Sqs)}:{nameof(SqsQueueOptions.ServiceUrl)} must be an absolute URL.");
            }

            if (string.IsNullOrWhiteSpace(sqs.ServiceUrl) && string.IsNullOrWhiteSpace(sqs.Region))
            {
                errors.Add($"{nameof(Sqs)}:{nameof(SqsQueueOptions.Region)} or {nameof(Sqs)}:{nameof(SqsQueueOptions.ServiceUrl)} is required for the {nameof(QueueStreamBackend.Sqs)} backend.");
            }

            if (sqs.WaitTime < TimeSpan.Zero || sqs.WaitTime > TimeSpan.FromSeconds(20))
            {
                errors.Add($"{nameof(Sqs)}:{nameof(SqsQueueOptions.WaitTime)} must be between 0 and 20 seconds.");
            }

            if (string.IsNullOrEmpty(sqs.AccessKeyId) != string.IsNullOrEmpty(sqs.SecretAccessKey))
            {
                errors.Add($"{nameof(Sqs)}:{nameof(SqsQueueOptions.AccessKeyId)} and {nameof(SqsQueueOptions.SecretAccessKey)} go together.");
            }
        }

        return errors;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex QueueNamePattern();
}

/// <summary>Settings that only the SQS backend reads (section <c>Sqs</c> of the provider options).</summary>
public sealed class SqsQueueOptions
{
    /// <summary>Endpoint override, e.g. a local AWS emulator. Empty = the regional AWS endpoint.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>AWS region (signing region when <see cref="ServiceUrl"/> is set).</summary>
    public string? Region { get; set; }

    /// <summary>Create the partition queues and the dead-letter queue (with its redrive policy) at start.</summary>
    public bool CreateQueues { get; set; } = true;

    /// <summary>Long-polling wait of one receive request (0 to 20 s).</summary>
    public TimeSpan WaitTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Static credentials for emulators. Leave both empty in AWS so the default credential chain (task role,
    /// environment) is used.
    /// </summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }
}

/// <summary>The one place queue names are derived, so both backends and the tests agree.</summary>
internal static class QueueNames
{
    public static string Prefix(QueueStreamOptions options, string providerName) => $"{options.QueueNamePrefix}-{providerName}";

    public static string Partition(string prefix, int partition) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{prefix}-{partition}");

    public static string DeadLetter(string prefix) => $"{prefix}-dlq";
}
