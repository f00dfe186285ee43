using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using LiveStream.Infrastructure.Streaming;
using LiveStream.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace LiveStream.Infrastructure.Tests.Streaming;

/// <summary>The backends every queue test runs against, by the name the theories use.</summary>
public static class QueueBackends
{
    public const string Postgres = "postgres";
    public const string Sqs = "sqs";

    public static IReadOnlyList<string> Names { get; } = [Postgres, Sqs];

    public static TheoryData<string> All => [.. Names];

    /// <summary>Backends that promise FIFO order within one partition (SQS standard queues do not).</summary>
    public static TheoryData<string> Ordered => [Postgres];

    /// <summary>
    /// Backends that never lease one message to two receivers at once. SQS standard queues deliver at least once
    /// ("occasionally more than one copy"), and moto's server can hand one message to two concurrent receives;
    /// every consumer of ours is idempotent, so for SQS the contract is every message, none lost.
    /// </summary>
    public static TheoryData<string> Exclusive => [Postgres];
}

/// <summary>
/// A fresh migrated PostgreSQL database and a private moto server for one test class, plus the knowledge of
/// how to point <see cref="QueueStreamOptions"/> at each and how to count what a backend still stores.
/// </summary>
public sealed class QueueBackendEnvironment : IAsyncLifetime
{
    private TestDatabase? _database;
    private MotoServer? _moto;

    public TestDatabase Database => _database ?? throw new InvalidOperationException("Not initialized.");

    public MotoServer Moto => _moto ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync()
    {
        var database = TestDatabase.CreateAsync();
        var moto = MotoServer.StartAsync();
        _database = await database;
        _moto = await moto;
    }

    public async Task DisposeAsync()
    {
        if (_moto is not null)
        {
            await _moto.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>Options for <paramref name="backend"/> with a queue name prefix no other test uses.</summary>
    public QueueStreamOptions Options(string backend, Action<QueueStreamOptions>? adjust = null)
    {
        var options = new QueueStreamOptions();
        Configurer(backend, adjust)(options);
        return options;
    }

    /// <summary>
    /// The same settings as a delegate, for <c>OptionsBuilder.Configure</c>: a silo and a client configured with
    /// one configurer share the queue name prefix, as they must.
    /// </summary>
    public Action<QueueStreamOptions> Configurer(string backend, Action<QueueStreamOptions>? adjust = null)
    {
        var prefix = $"t{Guid.NewGuid():N}"[..12];
        var connectionString = backend == QueueBackends.Postgres ? Database.ConnectionString : null;
        var serviceUrl = backend == QueueBackends.Sqs ? Moto.ServiceUrl.ToString() : null;
        if (connectionString is null && serviceUrl is null)
        {
            throw new ArgumentOutOfRangeException(nameof(backend), backend, "Unknown backend.");
        }

        return options =>
        {
            options.QueueNamePrefix = prefix;
            options.QueueCount = 2;
            options.VisibilityTimeout = TimeSpan.FromSeconds(1);
            options.MaxAttempts = 3;
            if (connectionString is not null)
            {
                options.Backend = QueueStreamBackend.Postgres;
                options.ConnectionString = connectionString;
            }
            else
            {
                options.Backend = QueueStreamBackend.Sqs;
                options.Sqs = new SqsQueueOptions
                {
                    ServiceUrl = serviceUrl,
                    Region = MotoServer.Region,
                    AccessKeyId = MotoServer.AccessKey,
                    SecretAccessKey = MotoServer.SecretKey,
                    CreateQueues = true,
                    // Short polls keep "nothing is visible" assertions instant; long polling has its own test.
                    WaitTime = TimeSpan.Zero,
                };
            }

            adjust?.Invoke(options);
        };
    }

    internal static async Task<IStreamQueue> CreateQueueAsync(QueueStreamOptions options, string providerName = "conformance")
    {
        var queue = QueueStreamAdapterFactory.CreateQueue(options, providerName, NullLoggerFactory.Instance);
        await queue.InitializeAsync(CancellationToken.None);
        return queue;
    }

    public AmazonSQSClient CreateSqsClient() => new(
        new BasicAWSCredentials(MotoServer.AccessKey, MotoServer.SecretKey),
        new AmazonSQSConfig { ServiceURL = Moto.ServiceUrl.ToString(), AuthenticationRegion = MotoServer.Region });

    /// <summary>Messages the backend still holds for a provider, leased or not (dead letters excluded).</summary>
    public async Task<int> CountStoredMessagesAsync(QueueStreamOptions options, string providerName)
    {
        var names = Enumerable.Range(0, options.QueueCount)
            .Select(partition => $"{options.QueueNamePrefix}-{providerName}-{partition}")
            .ToArray();
        if (options.Backend == QueueStreamBackend.Postgres)
        {
            return await Database.ScalarAsync<int>("SELECT count(*)::int FROM stream_queue_messages WHERE queue_name = ANY(@names)", ("names", names));
        }

        using var client = CreateSqsClient();
        var total = 0;
        foreach (var name in names)
        {
            var url = (await client.GetQueueUrlAsync(name)).QueueUrl;
            var attributes = await client.GetQueueAttributesAsync(new GetQueueAttributesRequest
            {
                QueueUrl = url,
                AttributeNames = [QueueAttributeName.ApproximateNumberOfMessages, QueueAttributeName.ApproximateNumberOfMessagesNotVisible, QueueAttributeName.ApproximateNumberOfMessagesDelayed],
            });
            total += attributes.ApproximateNumberOfMessages + attributes.ApproximateNumberOfMessagesNotVisible + attributes.ApproximateNumberOfMessagesDelayed;
        }

        return total;
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting until {what}.");
            }

            await Task.Delay(50);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        HoldsAsync(() => Task.FromResult(condition()), timeout, what);
}
