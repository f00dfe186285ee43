using LiveStream.Infrastructure.Streaming;
using LiveStream.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Tests.Streaming;

/// <summary>
/// One in-process Orleans cluster per backend, each with the queue stream provider registered on the silo and
/// on the client. Events are produced from the client, pulled from the real queue by the silo and delivered
/// to <see cref="ProbeConsumerGrain"/>.
/// </summary>
public sealed class QueueStreamClusters : IAsyncLifetime
{
    public const string ProviderName = "queue";

    private readonly Dictionary<string, QueueStreamCluster> _clusters = [];

    public QueueBackendEnvironment Environment { get; } = new();

    public QueueStreamCluster this[string backend] => _clusters[backend];

    public async Task InitializeAsync()
    {
        await Environment.InitializeAsync();
        var started = await Task.WhenAll(QueueBackends.Names.Select(StartAsync));
        foreach (var cluster in started)
        {
            _clusters[cluster.Backend] = cluster;
        }
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_clusters.Values.Select(c => c.DisposeAsync().AsTask()));
        await Environment.DisposeAsync();
    }

    private async Task<QueueStreamCluster> StartAsync(string backend)
    {
        // Short everything so retries and dead-lettering play out in seconds.
        var configure = Environment.Configurer(backend, options =>
        {
            options.QueueCount = 4;
            options.VisibilityTimeout = TimeSpan.FromSeconds(2);
            options.MaxAttempts = 2;
            options.PollInterval = TimeSpan.FromMilliseconds(100);
            options.RetryBaseDelay = TimeSpan.FromMilliseconds(200);
            options.RetryMaxDelay = TimeSpan.FromSeconds(1);
            options.DeliveryRetryWindow = TimeSpan.FromMilliseconds(500);
            options.Sqs.WaitTime = TimeSpan.FromSeconds(1);
        });
        var log = new DeliveryLog();
        var serviceId = $"queue-streams-{backend}-{Guid.NewGuid():N}";
        var gatewayPort = FreePorts.Next();

        var siloBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        siloBuilder.Services.AddSingleton(log);
        if (System.Environment.GetEnvironmentVariable("LIVESTREAM_TEST_SILO_LOGS") is { Length: > 0 })
        {
            // Opt-in, for diagnosing a failing run: the provider's own log plus Orleans warnings.
            siloBuilder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ")
                .SetMinimumLevel(LogLevel.Warning)
                .AddFilter("LiveStream", LogLevel.Debug);
        }
        siloBuilder.UseOrleans(silo => silo
            .UseLocalhostClustering(FreePorts.Next(), gatewayPort, serviceId: serviceId, clusterId: serviceId)
            .AddLiveStreamQueueStreams(
                ProviderName, options => options.Configure(configure), stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly)));
        var silo = siloBuilder.Build();
        await silo.StartAsync();

        // A separate client host, so events enter through the client-side registration as the API role's would.
        var clientBuilder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        clientBuilder.UseOrleansClient(client => client
            .UseLocalhostClustering(gatewayPort, serviceId, serviceId)
            .AddLiveStreamQueueStreams(
                ProviderName, options => options.Configure(configure), stream => stream.ConfigureStreamPubSub(StreamPubSubType.ImplicitOnly)));
        var client = clientBuilder.Build();
        await client.StartAsync();

        var options = new QueueStreamOptions();
        configure(options);
        return new QueueStreamCluster(backend, silo, client, log, options, Environment);
    }
}

public sealed class QueueStreamCluster(string backend, IHost silo, IHost client, DeliveryLog log, QueueStreamOptions options, QueueBackendEnvironment environment)
    : IAsyncDisposable
{
    public string Backend { get; } = backend;

    public IClusterClient Client { get; } = client.Services.GetRequiredService<IClusterClient>();

    public QueueStreamOptions Options { get; } = options;

    public DeliveryLog Log { get; } = log;

    public IAsyncStream<ProbeEvent> Stream(string key) =>
        Client.GetStreamProvider(QueueStreamClusters.ProviderName).GetStream<ProbeEvent>(StreamId.Create(ProbeConsumerGrain.Namespace, key));

    public Task<int> CountStoredMessagesAsync() => environment.CountStoredMessagesAsync(Options, QueueStreamClusters.ProviderName);

    /// <summary>Ids of the probe events in the dead-letter queue, read through a separate backend instance.</summary>
    public async Task<IReadOnlyList<string>> DeadLetteredEventIdsAsync()
    {
        await using var queue = await QueueBackendEnvironment.CreateQueueAsync(Options, QueueStreamClusters.ProviderName);
        var serializer = Client.ServiceProvider.GetRequiredService<Serializer<QueueBatchContainer>>();
        var deadLetters = await queue.PeekDeadLettersAsync(10, CancellationToken.None);
        return deadLetters
            .SelectMany(d => serializer.Deserialize(d.Payload)?.Events.OfType<ProbeEvent>() ?? [])
            .Select(e => e.Id)
            .ToList();
    }

    public async ValueTask DisposeAsync()
    {
        await client.StopAsync();
        client.Dispose();
        await silo.StopAsync();
        silo.Dispose();
    }
}

public sealed class QueueStreamDeliveryTests(QueueStreamClusters clusters) : IClassFixture<QueueStreamClusters>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Every_event_produced_on_a_stream_reaches_its_implicit_subscriber_and_is_acknowledged(string backend)
    {
        var cluster = clusters[backend];
        var run = Guid.NewGuid().ToString("N")[..8];
        var streams = Enumerable.Range(0, 6).Select(s => $"{run}-s{s}").ToList();
        var produced = new List<ProbeEvent>();

        foreach (var key in streams)
        {
            var stream = cluster.Stream(key);
            for (var i = 0; i < 5; i++)
            {
                var item = new ProbeEvent($"{key}-e{i}", ProbeBehaviour.Succeed);
                await stream.OnNextAsync(item);
                produced.Add(item);
            }
        }

        await Eventually.HoldsAsync(() => produced.All(e => cluster.Log.Attempts(e.Id).Count > 0), Patience, "every event reached its consumer");
        await Eventually.HoldsAsync(async () => await cluster.CountStoredMessagesAsync() == 0, Patience, "every delivered message was acknowledged");
        Assert.All(produced, e => Assert.Equal(1, cluster.Log.Attempts(e.Id)[0]));
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Event_a_consumer_fails_on_is_redelivered_from_the_queue(string backend)
    {
        var cluster = clusters[backend];
        var item = new ProbeEvent($"flaky-{Guid.NewGuid():N}", ProbeBehaviour.FailFirstAttempt);

        await cluster.Stream(item.Id).OnNextAsync(item);

        await Eventually.HoldsAsync(() => cluster.Log.Attempts(item.Id).Contains(2), Patience, "the event came back from the queue as attempt 2");
        await Eventually.HoldsAsync(async () => await cluster.CountStoredMessagesAsync() == 0, Patience, "the redelivered message was acknowledged");
        var attempts = cluster.Log.Attempts(item.Id);
        Assert.Equal(1, attempts[0]);
        Assert.Equal(2, attempts[^1]);
        Assert.DoesNotContain(item.Id, await cluster.DeadLetteredEventIdsAsync());
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Event_a_consumer_always_fails_on_is_dead_lettered_after_max_attempts(string backend)
    {
        var cluster = clusters[backend];
        var item = new ProbeEvent($"poison-{Guid.NewGuid():N}", ProbeBehaviour.FailAlways);

        await cluster.Stream(item.Id).OnNextAsync(item);

        await Eventually.HoldsAsync(async () => (await cluster.DeadLetteredEventIdsAsync()).Contains(item.Id), Patience, "the event is in the dead-letter queue");
        Assert.Equal([1, 2], cluster.Log.Attempts(item.Id).Distinct().Order());
        Assert.Equal(0, await cluster.CountStoredMessagesAsync());
    }

    [Theory]
    [MemberData(nameof(QueueBackends.All), MemberType = typeof(QueueBackends))]
    public async Task Event_a_consumer_works_on_past_the_visibility_timeout_is_not_redelivered(string backend)
    {
        var cluster = clusters[backend];
        var item = new ProbeEvent($"slow-{Guid.NewGuid():N}", ProbeBehaviour.SlowFirstAttempt);
        Assert.True(ProbeConsumerGrain.SlowDelay > cluster.Options.VisibilityTimeout, "the consumer must outlast the lease it started with");

        await cluster.Stream(item.Id).OnNextAsync(item);

        await Eventually.HoldsAsync(() => cluster.Log.Attempts(item.Id).Count > 0, Patience, "the event reached its consumer");
        await Eventually.HoldsAsync(async () => await cluster.CountStoredMessagesAsync() == 0, Patience, "the message was acknowledged");
        Assert.Equal([1], cluster.Log.Attempts(item.Id));
    }
}
