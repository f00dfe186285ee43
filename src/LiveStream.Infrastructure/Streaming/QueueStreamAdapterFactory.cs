using Amazon;
using Amazon.Runtime;
using Amazon.SQS;
using LiveStream.Infrastructure.Postgres;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Configuration;
using Orleans.Providers.Streams.Common;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Streams;

namespace LiveStream.Infrastructure.Streaming;

/// <summary>
/// The Orleans entry point of a LiveStream queue stream provider (one instance per provider name, on silos
/// and clients alike): owns the backend queue, the stream-to-partition mapping and the in-memory cache.
/// </summary>
internal sealed partial class QueueStreamAdapterFactory : IQueueAdapterFactory, IAsyncDisposable
{
    private readonly string _name;
    private readonly QueueStreamOptions _options;
    private readonly IStreamQueue _queue;
    private readonly Serializer<QueueBatchContainer> _serializer;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _time;
    private readonly HashRingBasedStreamQueueMapper _mapper;
    private readonly SimpleQueueAdapterCache _cache;
    private readonly ReceiverRegistry _registry;
    private QueueStreamAdapter? _adapter;

    public QueueStreamAdapterFactory(
        string name,
        QueueStreamOptions options,
        SimpleQueueCacheOptions cacheOptions,
        IStreamQueue queue,
        Serializer<QueueBatchContainer> serializer,
        ILoggerFactory loggerFactory,
        TimeProvider time,
        DatabaseCircuit? circuit = null)
    {
        _name = name;
        // Consumers write to PostgreSQL: while its circuit is open, messages wait in the queue unspent.
        _registry = new ReceiverRegistry { HoldReceives = circuit is null ? null : () => circuit.IsOpen };
        _options = options;
        _queue = queue;
        _serializer = serializer;
        _loggerFactory = loggerFactory;
        _time = time;
        // One Orleans queue id per partition; the numeric id of a queue id is its partition number.
        _mapper = new HashRingBasedStreamQueueMapper(new HashRingStreamQueueMapperOptions { TotalQueueCount = options.QueueCount }, name);
        _cache = new SimpleQueueAdapterCache(cacheOptions, name, loggerFactory);
    }

    public static IQueueAdapterFactory Create(IServiceProvider services, string name)
    {
        var options = services.GetRequiredService<IOptionsMonitor<QueueStreamOptions>>().Get(name);
        QueueStreamOptionsValidator.ThrowIfInvalid(options, name);
        var loggerFactory = services.GetRequiredService<ILoggerFactory>();
        var circuit = services.GetService<DatabaseCircuit>();
        var queue = CreateQueue(options, name, loggerFactory, circuit);
        services.GetService<QueueDepthMonitor>()?.Track(name, queue, options.DepthSampleInterval);
        return new QueueStreamAdapterFactory(
            name,
            options,
            services.GetRequiredService<IOptionsMonitor<SimpleQueueCacheOptions>>().Get(name),
            queue,
            services.GetRequiredService<Serializer<QueueBatchContainer>>(),
            loggerFactory,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            circuit);
    }

    /// <summary>
    /// Builds the backend the options ask for (also used directly by the conformance tests). The PostgreSQL backend's
    /// enqueue runs inside the publishing grain's turn, so it is held to the database circuit like grain storage.
    /// </summary>
    public static IStreamQueue CreateQueue(QueueStreamOptions options, string providerName, ILoggerFactory loggerFactory, DatabaseCircuit? circuit = null)
    {
        var settings = new StreamQueueSettings(
            QueueNames.Prefix(options, providerName), options.QueueCount, options.VisibilityTimeout, options.MaxAttempts);
        switch (options.Backend)
        {
            case QueueStreamBackend.Postgres:
                return new PostgresStreamQueue(
                    NpgsqlDataSource.Create(options.ConnectionString!), ownsDataSource: true, settings, loggerFactory.CreateLogger<PostgresStreamQueue>(), circuit);
            case QueueStreamBackend.Sqs:
                var config = new AmazonSQSConfig();
                if (!string.IsNullOrEmpty(options.Sqs.ServiceUrl))
                {
                    config.ServiceURL = options.Sqs.ServiceUrl;
                    if (!string.IsNullOrEmpty(options.Sqs.Region))
                    {
                        config.AuthenticationRegion = options.Sqs.Region;
                    }
                }
                else
                {
                    config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Sqs.Region);
                }

                var client = string.IsNullOrEmpty(options.Sqs.AccessKeyId)
                    ? new AmazonSQSClient(config)
                    : new AmazonSQSClient(new BasicAWSCredentials(options.Sqs.AccessKeyId, options.Sqs.SecretAccessKey), config);
                return new SqsStreamQueue(client, ownsClient: true, settings, options.Sqs, loggerFactory.CreateLogger<SqsStreamQueue>());
            default:
                throw new OrleansConfigurationException($"Stream provider {providerName}: unknown backend {options.Backend}.");
        }
    }

    public Task<IQueueAdapter> CreateAdapter() => CreateAdapter(CancellationToken.None);

    public async Task<IQueueAdapter> CreateAdapter(CancellationToken cancellationToken)
    {
        // Creating the SQS queues (or proving the PostgreSQL table exists) here makes a misconfigured backend
        // fail the silo or client at start rather than at the first event.
        await _queue.InitializeAsync(cancellationToken);
        _adapter ??= new QueueStreamAdapter(_name, _queue, _mapper, _serializer, _options, _registry, _loggerFactory, _time);
        LogProviderReady(_loggerFactory.CreateLogger<QueueStreamAdapterFactory>(), _name, _options.Backend, _options.QueueCount);
        return _adapter;
    }

    public IQueueAdapterCache GetQueueAdapterCache() => _cache;

    public IStreamQueueMapper GetStreamQueueMapper() => _mapper;

    public Task<IStreamFailureHandler> GetDeliveryFailureHandler(QueueId queueId) =>
        Task.FromResult<IStreamFailureHandler>(new QueueStreamFailureHandler(
            _registry, queueId, _loggerFactory.CreateLogger<QueueStreamFailureHandler>()));

    public ValueTask DisposeAsync() => _queue.DisposeAsync();

    [LoggerMessage(Level = LogLevel.Information, Message = "Queue stream provider {Provider} ready on {Backend} with {QueueCount} partitions")]
    private static partial void LogProviderReady(ILogger logger, string provider, QueueStreamBackend backend, int queueCount);
}
